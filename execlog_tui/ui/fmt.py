"""Small formatting helpers shared by the panels: numbers, ages, times and band labels."""

from __future__ import annotations

from execlog_tui.core.display import BAND_MARKS, NO_BAND, minutes_and_up
from execlog_tui.core.timefmt import format_ts

# A band is never shown by colour alone (SPEC 5): each has a glyph and a word, from the one table.
BAND_LABELS = {name: mark.text for name, mark in BAND_MARKS.items()}
BAND_CLASSES = tuple(f"-{name}" for name in BAND_MARKS)


def band_label(band: str | None) -> str:
    # "no band" indented as far as a band's word, so the tile's label column does not move.
    return BAND_LABELS.get(band or "", "  " + NO_BAND)


def number(value: float | None, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "—"
    if abs(value) >= 10_000:
        return f"{value:,.0f}{unit}"
    return f"{value:.{digits}f}{unit}"


def duration(ms: float | None, digits: int = 1) -> str:
    """A duration that fits a tile at 80 columns: milliseconds below a second, then seconds, minutes."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.{digits}f} ms"
    if ms < 600_000:
        return f"{ms / 1000:.2f} s"
    return f"{ms / 60_000:,.1f} min"


def count(value: int) -> str:
    return f"{value:,}"


def age(ms: int | None) -> str:
    """A short duration: 850ms, 12s, 3m 20s, 3h 12m, 2d 4h."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{max(ms, 0)}ms"
    s = ms // 1000
    if s < 60:
        return f"{s}s"
    return minutes_and_up(s)


def clock(ms: int | None) -> str:
    """HH:MM:SS of an epoch-ms time (UTC); the date is in the header."""
    text = format_ts(ms)
    return "—" if text is None else text[11:19]


def size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def short_count(value: int) -> str:
    """Up to 5 characters: 9,999 then 820k, 1.5M."""
    if value < 10_000:
        return f"{value:,}"
    if value < 1_000_000:
        return f"{value / 1000:.0f}k"
    return f"{value / 1_000_000:.1f}M"
