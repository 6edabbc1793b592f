"""The immutable picture of the engine at one moment: what the dashboard and batch mode render."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from execlog_tui.core.timefmt import format_ts
from execlog_tui.core.windows import WINDOW_NAMES

__all__ = [
    "WINDOW_NAMES",
    "AlertView",
    "BreakerView",
    "ComponentFigures",
    "MetricsSnapshot",
    "SourceView",
    "SourceWarningView",
    "WindowFigures",
    "snapshot_to_json",
]


@dataclass(frozen=True, slots=True)
class WindowFigures:
    """SPEC section 4's figures for one window as of the snapshot's time."""

    name: str
    entries: int
    requests_per_second: float
    errors: int
    error_rate: float | None
    avg_response_ms: float | None
    p95_response_ms: float | None
    cache_hit_rate: float | None
    memory_mb: float | None
    memory_max_mb: float | None
    bands: dict[str, str | None]  # response_time, cache_hit_rate, memory_usage, error_rate


@dataclass(frozen=True, slots=True)
class ComponentFigures:
    entries: int
    errors: int
    avg_ms: float
    max_ms: float


@dataclass(frozen=True, slots=True)
class BreakerView:
    component: str
    state: str  # CLOSED, OPEN, HALF_OPEN
    since: int  # epoch ms
    opened: int
    inferred: bool


@dataclass(frozen=True, slots=True)
class AlertView:
    name: str  # e.g. error_rate, breaker:CACHE, critical:API
    condition: str
    value: float | None
    fired: int
    resolved: int | None

    @property
    def firing(self) -> bool:
        return self.resolved is None


@dataclass(frozen=True, slots=True)
class SourceWarningView:
    file: str
    message: str


@dataclass(frozen=True, slots=True)
class SourceView:
    files: tuple[str, ...] = ()
    entries: int = 0
    parse_errors: int = 0
    first: int | None = None
    last: int | None = None
    warnings: tuple[SourceWarningView, ...] = ()
    future: int = 0  # entries dated too far ahead of the wall clock, left out of everything else (SPEC 3)


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    as_of: int | None  # epoch ms; None before any entry
    source: SourceView
    windows: dict[str, WindowFigures]
    components: dict[str, ComponentFigures]
    bootstrap_ms: float | None
    bootstrap_band: str | None
    breakers: dict[str, BreakerView]
    alerts: tuple[AlertView, ...]  # every alert that fired, oldest first
    degraded: bool
    degraded_reason: str | None
    # Per-second history of the last 60 seconds up to as_of, oldest first, for sparklines:
    # entries, errors, avg_response_ms, p95_response_ms, cache_hit_rate, memory_mb (None where nothing
    # was logged). p95_response_ms is each second's own p95, by the windows' nearest-rank rule.
    series: dict[str, tuple[float | None, ...]] = field(default_factory=dict)

    @property
    def firing(self) -> tuple[AlertView, ...]:
        return tuple(a for a in self.alerts if a.resolved is None)


def _num(value: float | None) -> float | None:
    """The figure itself, never rounded (SPEC 9: json writes the shortest text that reads back as
    the same float); None for nothing, and for a sum that overflowed (JSON has no Infinity)."""
    if value is None or not math.isfinite(value):
        return None
    return value


def _whole(value: float | None) -> float | int | None:
    """254.0 as 254, as SPEC section 9 writes it; fractions stay."""
    if value is not None and float(value).is_integer():
        return int(value)
    return value


def snapshot_to_json(snap: MetricsSnapshot) -> dict[str, Any]:
    """SPEC section 9, key for key (extra keys may follow, none renamed)."""
    windows: dict[str, Any] = {}
    for name in WINDOW_NAMES:
        w = snap.windows[name]
        windows[name] = {
            "entries": w.entries,
            "requests_per_second": _num(w.requests_per_second),
            "errors": w.errors,
            "error_rate": _num(w.error_rate),
            "avg_response_ms": _num(w.avg_response_ms),
            "p95_response_ms": _num(w.p95_response_ms),
            "cache_hit_rate": _num(w.cache_hit_rate),
            "memory_mb": _num(w.memory_mb),
            "memory_max_mb": _num(w.memory_max_mb),
            "bands": dict(w.bands),
        }
    src = snap.source
    return {
        "as_of": format_ts(snap.as_of),
        "source": {
            "files": list(src.files),
            "entries": src.entries,
            "parse_errors": src.parse_errors,
            "future": src.future,
            "first": format_ts(src.first),
            "last": format_ts(src.last),
            "warnings": [{"file": w.file, "message": w.message} for w in src.warnings],
        },
        "windows": windows,
        "components": {
            name: {"entries": c.entries, "errors": c.errors, "avg_ms": _num(c.avg_ms), "max_ms": _num(c.max_ms)}
            for name, c in sorted(snap.components.items())
        },
        "bootstrap": {"ms": _whole(snap.bootstrap_ms), "band": snap.bootstrap_band},
        "breakers": {
            name: {"state": b.state, "since": format_ts(b.since), "opened": b.opened, "inferred": b.inferred}
            for name, b in sorted(snap.breakers.items())
        },
        "alerts": [
            {
                "name": a.name,
                "condition": a.condition,
                "value": _num(a.value),
                "fired": format_ts(a.fired),
                "resolved": format_ts(a.resolved),
            }
            for a in snap.alerts
        ],
        "degraded": snap.degraded,
        "degraded_reason": snap.degraded_reason,
    }
