"""A panel that renders Text built from its own component classes (colours stay in the .tcss)."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.widget import Widget


class TextPanel(Widget):
    """Subclasses store their data with `set_data()` and lay it out for the width in `build()`."""

    DEFAULT_CSS = """
    TextPanel { text-wrap: nowrap; text-overflow: ellipsis; height: auto; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data: Any = None
        self._lines = -1  # lines in the last text rendered

    def style_of(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def set_data(self, data: Any) -> None:
        if data == self.data:
            return  # unchanged: no repaint, no bytes over SSH
        self.data = data
        # A layout pass (the whole screen's) only when the panel's height may change: same line count,
        # same height, and only this panel repaints.
        width = self.size.width
        # (Building the text twice costs less than a reflow of every widget on the screen.)
        if width and self._lines >= 0 and self.build(width).plain.count("\n") + 1 == self._lines:
            self.refresh()
        else:
            self.refresh(layout=True)

    def build(self, width: int) -> Text:
        raise NotImplementedError

    def render(self) -> Text:
        if self.data is None:
            return Text("")
        text = self.build(self.size.width or 80)
        self._lines = text.plain.count("\n") + 1
        return text

    @property
    def plain(self) -> str:
        return self.render().plain
