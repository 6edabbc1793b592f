"""What the dashboard and the text report show alike: band glyphs and labels, alert values, alert groups.

One home for each, so the screen, `-b` and the README cannot drift apart (no Rich, no Textual here).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from execlog_tui.core.config import BAND_NAMES, CONDITION_UNITS, Condition, NotationError
from execlog_tui.core.critical_paths import STUCK_CONDITION_MARK
from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.snapshot import AlertView, PathView


@dataclass(frozen=True, slots=True)
class BandMark:
    """A band as text: a glyph and a word, so it reads without colour (SPEC 5)."""

    name: str
    glyph: str
    label: str

    @property
    def text(self) -> str:
        return f"{self.glyph} {self.label}"


# The one vocabulary of bands: tiles, help, the text report's cells and legend, and the README.
BAND_MARKS: dict[str, BandMark] = {
    m.name: m
    for m in (
        BandMark("optimal", "✓", "optimal"),
        BandMark("acceptable", "•", "acceptable"),
        BandMark("warning", "▲", "warning"),
        BandMark("error", "✗", "error"),
    )
}
assert tuple(BAND_MARKS) == BAND_NAMES
NO_BAND = "no band"


def band_text(band: str | None) -> str:
    """`✓ optimal` … `✗ error`; `no band` for a figure without one."""
    mark = BAND_MARKS.get(band or "")
    return NO_BAND if mark is None else mark.text


def band_legend() -> str:
    return "   ".join(m.text for m in BAND_MARKS.values())


# The unit each alert figure is read in (SPEC 7), for a condition written without one.
FIGURE_UNITS = {name: unit or "/s" for name, unit in CONDITION_UNITS.items()}
MAX_DECIMALS = 3


def _with_unit(number: str, unit: str) -> str:
    return number + (unit if unit in ("%", "/s") else f" {unit}") if unit else number


def _condition(text: str) -> Condition | None:
    try:
        return Condition.parse(text)
    except NotationError:
        return None  # breaker:… and critical:… alerts have a sentence, not a figure condition


def alert_value(value: float | None, condition: str) -> str:
    """An alert's value with its unit, shown so that it satisfies its own condition.

    `cache_hit_rate < 70%` fired at 69.96 reads `69.96%`, never `70.0%`: one decimal, more while the
    rounded text would not meet the condition, and at the last decimal rounded toward the side that meets it.
    """
    if value is None:
        return "—"
    if STUCK_CONDITION_MARK in condition:
        return f"{value:.1f} s"  # stuck:PATH: the seconds the run had been running when it fired (SPEC 10)
    cond = _condition(condition)
    unit = "" if cond is None else (cond.unit or FIGURE_UNITS.get(cond.name, ""))
    if cond is None or not cond.holds(value) or not math.isfinite(value):
        return _with_unit(f"{value:.1f}", unit)
    for digits in range(1, MAX_DECIMALS + 1):
        text = f"{value:.{digits}f}"
        if cond.holds(float(text)):
            return _with_unit(text, unit)
    scale = 10**MAX_DECIMALS
    toward = math.floor if cond.op in ("<", "<=") else math.ceil
    return _with_unit(f"{toward(value * scale) / scale:.{MAX_DECIMALS}f}", unit)


# Firings of one alert closer than this to the previous one's end are one episode (one row): a figure
# that hovers at its threshold fires and resolves every few seconds.
EPISODE_GAP_MS = 5 * 60_000


@dataclass(frozen=True, slots=True)
class AlertGroup:
    """The repeats of one alert: how many firings, the first and the last, and its state now."""

    name: str
    condition: str
    count: int
    first_fired: int
    last: AlertView  # the newest firing: its value, when it fired, and when (if) it resolved

    @property
    def firing(self) -> bool:
        return self.last.resolved is None

    @property
    def value(self) -> float | None:
        return self.last.value

    @property
    def last_fired(self) -> int:
        return self.last.fired

    @property
    def resolved(self) -> int | None:
        return self.last.resolved


def group_alerts(alerts: Iterable[AlertView], gap_ms: int = EPISODE_GAP_MS) -> list[AlertGroup]:
    """Repeats of one alert folded into episodes, firing ones first (newest first), then resolved ones
    by when they ended (newest first). The screen's panel and the text report both show these rows;
    JSON keeps every firing."""
    by_name: dict[str, list[AlertView]] = {}
    for a in sorted(alerts, key=lambda a: a.fired):
        by_name.setdefault(a.name, []).append(a)
    groups: list[AlertGroup] = []
    for name, firings in by_name.items():
        start = firings[0]
        count = 0
        prev: AlertView | None = None
        for a in firings:
            if prev is not None and (prev.resolved is None or a.fired - prev.resolved > gap_ms):
                groups.append(AlertGroup(name, prev.condition, count, start.fired, prev))
                start, count = a, 0
            count += 1
            prev = a
        assert prev is not None
        groups.append(AlertGroup(name, prev.condition, count, start.fired, prev))
    firing = sorted((g for g in groups if g.firing), key=lambda g: (-g.last_fired, g.name))
    resolved = sorted((g for g in groups if not g.firing), key=lambda g: (-(g.resolved or 0), g.name))
    return firing + resolved


# ---- a critical path's latest run (SPEC 10): the panel's line and the text report's, word for word ----


def run_span(ms: float | int) -> str:
    """A run's elapsed time: `254 ms`, `4.2 s`, `42 s`, `3m 20s`, `2h 05m`, `448d 21h`."""
    if ms < 1000:
        return f"{max(ms, 0):.0f} ms"
    if ms < 10_000:
        return f"{ms / 1000:.1f} s"
    s = int(ms // 1000)
    if s < 60:
        return f"{s} s"
    return minutes_and_up(s)


def minutes_and_up(seconds: int) -> str:
    """A span of a minute or more in its two largest units: `3m 20s`, `3h 12m`, `2d 04h`."""
    m, s = divmod(seconds, 60)
    if m < 60:
        return f"{m}m {s:02d}s"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h {m:02d}m"
    d, h = divmod(h, 24)
    return f"{d}d {h:02d}h"


def stage_ms(ms: float) -> str:
    """A checkpoint's own duration in a run line: `48`, `0.5` (ms, said once by the total)."""
    return f"{ms:.0f}" if float(ms).is_integer() or ms >= 100 else f"{ms:.1f}"


def run_state(path: PathView) -> str:
    """none, running, stuck (running, its stuck:PATH alert firing), failed or complete."""
    run = path.latest
    if run is None:
        return "none"
    if run.running:
        return "stuck" if path.stuck else "running"
    return "failed" if run.state == "failed" else "complete"


def run_head(path: PathView) -> str:
    """`bootstrap complete 254 ms`, `bootstrap RUNNING 42 s at PARALLEL` (stuck), `… running 42 s at …`,
    `cache_operations failed 1m 00s after UPDATE`, `bootstrap no run yet`. Names are made inert."""
    name = sanitize(path.name)
    run = path.latest
    if run is None:
        return f"{name} no run yet"
    stage = sanitize(run.stage)
    state = run_state(path)
    if state == "stuck":
        return f"{name} RUNNING {run_span(run.elapsed_ms)} at {stage}"
    if state == "running":
        return f"{name} running {run_span(run.elapsed_ms)} at {stage}"
    if state == "failed":
        return f"{name} failed {run_span(run.elapsed_ms)} after {stage}"
    return f"{name} complete {run_span(run.elapsed_ms)}"


def run_steps(path: PathView) -> list[str]:
    """The latest run's checkpoints with their own durations, the first (the start) and the last (its
    duration is the run's total) left out: `CORE 48`, `PARALLEL 90`, `VALIDATION 105`."""
    run = path.latest
    if run is None or not path.checkpoints:
        return []
    first, last = path.checkpoints[0], path.checkpoints[-1]
    return [
        f"{sanitize(r.checkpoint)} {stage_ms(r.duration_ms)}" for r in run.reached if r.checkpoint not in (first, last)
    ]
