"""Metric tiles: a value, its band (CSS class and label) and a sparkline of the last minute."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label, Sparkline

from execlog_tui.ui.fmt import BAND_CLASSES, band_label


class MetricTile(Widget):
    """One figure: its title and value on the first row, its band's label on the second, and on a tile
    tall enough (wide screens) a sparkline of the last minute below. The two rows are the tile's own
    drawing (not a row of two labels and a label: four widgets less to style, lay out and draw at the
    start, of the screen's 77); the sparkline is a widget of its own. Colours come from the
    `-optimal`/... classes and the tile's parts (`tile--title`, `tile--value`, `tile--band`) in the
    .tcss, never from Python."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"tile--title", "tile--value", "tile--band"}

    def __init__(self, title: str, *, sparkline: bool = True, band: str | None = None, **kwargs: Any) -> None:
        """`band`: the one the first figure is known to have (the tile is styled once, with its class,
        not once without and again with it)."""
        if band is not None:
            kwargs["classes"] = f"{kwargs.get('classes', '')} -{band}".strip()
        super().__init__(**kwargs)
        self.title = title
        self._has_sparkline = sparkline
        self._last: tuple[Any, ...] | None = None
        self._value = "—"
        self._band = band
        self._series: tuple[float, ...] | None = None

    def compose(self) -> ComposeResult:
        if self._has_sparkline:
            yield Sparkline([], classes="tile-spark")

    def render(self) -> Text:
        width = self.size.width
        value = self._value
        # Short of room the title gives way (with an ellipsis, then whole), never the figure: the value
        # keeps its width and, after a title, a blank before it.
        room = width - cell_len(value) - 1
        title = Text(self.title, style=self.get_component_rich_style("tile--title", partial=True))
        if room <= 0:
            title = Text("")  # (rich's truncate to 0 cells leaves all but one character and an ellipsis)
        elif title.cell_len > room:
            title.truncate(room, overflow="ellipsis")
        gap = width - title.cell_len - cell_len(value)
        top = Text.assemble(
            title,
            " " * max(gap, 1 if title.cell_len else 0),
            (value, self.get_component_rich_style("tile--value", partial=True)),
        )
        band = Text(band_label(self._band), style=self.get_component_rich_style("tile--band", partial=True))
        return Text("\n", end="").join([top, band])

    def show(self, value: str, band: str | None, series: Sequence[float] = ()) -> None:
        key = (value, band, tuple(series))
        if key == self._last:
            return  # nothing changed: no repaint, no bytes over SSH
        self._last = key
        # Each part repaints only when what it shows changed: under load the series moves every
        # second while the value and band mostly stay.
        if value != self._value or band != self._band:
            self._value = value
            if band != self._band:
                self._band = band
                for cls in BAND_CLASSES:
                    self.set_class(band == cls[1:], cls)
            self.refresh()
        if self._has_sparkline and key[2] != self._series:
            self._series = key[2]
            self.query_one(Sparkline).data = list(series) or [0.0]

    @property
    def band(self) -> str | None:
        for cls in BAND_CLASSES:
            if self.has_class(cls):
                return cls[1:]
        return None

    @property
    def value_text(self) -> str:
        return self._value

    @property
    def band_text(self) -> str:
        """The band's label as shown on the second row."""
        return band_label(self._band)

    @property
    def series(self) -> list[float]:
        """What the sparkline shows (empty before the first figure, or without a sparkline)."""
        return list(self.query_one(Sparkline).data or []) if self._has_sparkline else []


class WindowSwitch(Widget):
    """The 1m / 5m / 1h / 1d selector; keys 1-4 pick one. The current one is bracketed, not only coloured."""

    def __init__(self, windows: Sequence[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.windows = tuple(windows)
        self.current = self.windows[0]
        self._selected = False  # every label is drawn on the first select
        self._coverage: str | None = None

    def compose(self) -> ComposeResult:
        yield Label("Window  keys 1-4", classes="tile-title")
        with Horizontal(classes="wins"):
            for name in self.windows:
                yield Label(Text(f" {name} "), id=f"win-{name}", classes="win")

    def show_coverage(self, note: str | None) -> None:
        """`7m of data` (in the warning colour) in place of the title while the data covers less than
        the window shown (the title's row is there either way: nothing moves)."""
        if note == self._coverage:
            return
        self._coverage = note
        title = self.query_one(".tile-title", Label)
        title.update(Text(note) if note else "Window  keys 1-4")
        title.set_class(note is not None, "-partial")

    def select(self, name: str) -> None:
        # Only the label that was current and the one that is now change (a key press repaints two).
        changed = {self.current, name} if self.is_mounted and self._selected else set(self.windows)
        self._selected = True
        self.current = name
        for label in self.query(".win").results(Label):
            window = (label.id or "")[4:]
            if window not in changed:
                continue
            here = window == name
            label.set_class(here, "-current")
            label.update(Text(f"[{window}]" if here else f" {window} "), layout=False)  # same width
