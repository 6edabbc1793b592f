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
    "PathView",
    "ReachedView",
    "RunView",
    "SourceView",
    "SourceWarningView",
    "StageFigures",
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
class StageFigures:
    """One checkpoint's entries in a window (SPEC 10), of any status, inside a run or not."""

    checkpoint: str  # the configured name
    entries: int
    errors: int
    avg_ms: float | None  # of duration_ms, None with no entries
    p95_ms: float | None  # nearest rank, within 2 % or 1 ms
    hits: int | None = None  # the HIT_MISS row only
    misses: int | None = None


@dataclass(frozen=True, slots=True)
class ReachedView:
    checkpoint: str
    at: int  # epoch ms
    duration_ms: float  # the entry's own duration


@dataclass(frozen=True, slots=True)
class RunView:
    """A path's latest run (SPEC 10)."""

    state: str  # running, complete or failed (a superseded run is never the latest)
    started: int
    ended: int | None  # None while running
    elapsed_ms: int  # (ended, or T while running) - started
    stage: str  # the last checkpoint reached
    reached: tuple[ReachedView, ...]

    @property
    def running(self) -> bool:
        return self.state == "running"


@dataclass(frozen=True, slots=True)
class PathView:
    """One configured critical path as of the snapshot (SPEC 10)."""

    name: str
    component: str
    checkpoints: tuple[str, ...]  # configured names, in order
    timeout_ms: int | None
    stages: dict[str, tuple[StageFigures, ...]]  # window name -> a row per checkpoint, in order
    latest: RunView | None  # None before the path's first run
    stuck: bool = False  # its stuck:PATH alert is firing

    @property
    def alert_name(self) -> str:
        return f"stuck:{self.name}"


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
    # SPEC 10: every configured critical path, in the configuration's order.
    critical_paths: dict[str, PathView] = field(default_factory=dict)

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
        "critical_paths": {name: _path_json(p) for name, p in snap.critical_paths.items()},
    }


def _stage_json(row: StageFigures) -> dict[str, Any]:
    out: dict[str, Any] = {
        "checkpoint": row.checkpoint,
        "entries": row.entries,
        "errors": row.errors,
        "avg_ms": _num(row.avg_ms),
        "p95_ms": _num(row.p95_ms),
    }
    if row.hits is not None:
        out["hits"] = row.hits
        out["misses"] = row.misses
    return out


def _path_json(p: PathView) -> dict[str, Any]:
    """SPEC 10's `critical_paths` value of one path."""
    latest = p.latest
    return {
        "component": p.component,
        "timeout_s": _whole(p.timeout_ms / 1000) if p.timeout_ms is not None else None,
        "stages": {w: [_stage_json(r) for r in rows] for w, rows in p.stages.items()},
        "latest": None
        if latest is None
        else {
            "state": latest.state,
            "started": format_ts(latest.started),
            "ended": format_ts(latest.ended),
            "elapsed_ms": latest.elapsed_ms,
            "stage": latest.stage,
            "reached": [
                {"checkpoint": r.checkpoint, "at": format_ts(r.at), "duration_ms": _num(r.duration_ms)}
                for r in latest.reached
            ],
        },
    }
