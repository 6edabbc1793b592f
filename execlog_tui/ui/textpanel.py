"""A panel that renders Text built from its own component classes (colours stay in the .tcss)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widget import Widget

CURSOR_STYLE = Style(reverse=True)  # the focused panel's row: reverse video, so every theme shows it


class TextPanel(Widget):
    """Subclasses store their data with `set_data()` and lay it out for the width in `build()`.

    A panel whose rows open something (`row_figures()`, after `HEAD_LINES` heading lines) takes focus:
    up and down move a row cursor, drawn while the panel has focus."""

    HEAD_LINES: ClassVar[int] = 0
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
    ]

    DEFAULT_CSS = """
    TextPanel { text-wrap: nowrap; text-overflow: ellipsis; height: auto; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data: Any = None
        self._lines = -1  # lines in the last text rendered
        self.cursor = 0  # the row the cursor is on (drawn while focused)
        self._rows_shown = 0  # rows of row_figures() the last render showed

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
        figures = len(self.row_figures())
        room = self._lines - self.HEAD_LINES
        # Rows that do not fit end in a "+N more" line: the cursor stays on the rows shown.
        self._rows_shown = figures if figures <= room else max(0, room - 1)
        if self.has_focus and self._rows_shown:
            self.cursor = min(self.cursor, self._rows_shown - 1)
            lines = text.split("\n", allow_blank=True)
            at = self.HEAD_LINES + self.cursor
            start = sum(len(line) + 1 for line in lines[:at])
            text.stylize(CURSOR_STYLE, start, start + len(lines[at]))
        return text

    # ---- the row cursor ------------------------------------------------------------------------
    def row_figures(self) -> list[tuple[str, int | None]]:
        """(evidence figure, at) of each row, in the order shown; none by default."""
        return []

    def selected_figure(self) -> tuple[str, int | None] | None:
        figures = self.row_figures()
        if not figures:
            return None
        return figures[min(self.cursor, len(figures) - 1)]

    def action_cursor(self, step: int) -> None:
        last = (self._rows_shown or len(self.row_figures())) - 1
        self.cursor = max(0, min(last, self.cursor + step))
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    @property
    def plain(self) -> str:
        return self.render().plain
