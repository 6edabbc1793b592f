"""Metric tiles: a value, its band (CSS class and label) and a sparkline of the last minute."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label, Sparkline

from execlog_tui.ui.fmt import BAND_CLASSES, band_label


class MetricTile(Widget):
    """One figure. Colours come from the `-optimal`/... classes in the .tcss, never from Python."""

    def __init__(self, title: str, *, sparkline: bool = True, band: str | None = None, **kwargs: Any) -> None:
        """`band`: the one the first figure is known to have (the tile is styled once, with its class,
        not once without and again with it)."""
        if band is not None:
            kwargs["classes"] = f"{kwargs.get('classes', '')} -{band}".strip()
        super().__init__(**kwargs)
        self.title = title
        self._has_sparkline = sparkline
        self._last: tuple[Any, ...] | None = None
        self._value: str | None = None
        self._band = band
        self._series: tuple[float, ...] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="tile-top"):
            yield Label(self.title, classes="tile-title")
            yield Label("—", classes="tile-value")
        yield Label(band_label(self._band), classes="tile-band")
        if self._has_sparkline:
            yield Sparkline([], classes="tile-spark")

    def show(self, value: str, band: str | None, series: Sequence[float] = ()) -> None:
        key = (value, band, tuple(series))
        if key == self._last:
            return  # nothing changed: no repaint, no bytes over SSH
        self._last = key
        # Each part repaints only when what it shows changed: under load the series moves every
        # second while the value and band mostly stay; a layout pass only when the value's width changed.
        if value != self._value:
            old = self._value
            self._value = value
            self.query_one(".tile-value", Label).update(value, layout=old is None or len(old) != len(value))
        if band != self._band:
            old_label = band_label(self._band)
            self._band = band
            new_label = band_label(band)
            relayout = len(old_label) != len(new_label)
            self.query_one(".tile-band", Label).update(new_label, layout=relayout)
            for cls in BAND_CLASSES:
                self.set_class(band == cls[1:], cls)
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
        return str(self.query_one(".tile-value", Label).content)


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
