"""The evidence behind a figure (issue 11): the entries a figure counted, with file and line.

`collect_evidence(session, ...)` serves the dashboard (call it from a worker thread: it takes the
session's lock only to copy what it needs); `collect_batch(sets, config, ...)` serves
`execlog-top -b --evidence`. Both apply the engine's own rules (core/entry.py, core/windows.py,
core/breakers.py) to the entries read through the one reader (sources/reader.py).

Rows are in log order (read order) everywhere; `EvidenceResult.slowest_first()` gives the order the
screen shows for response_time and p95. Memory is bounded: at most `limit` rows are kept (the newest,
or for response_time and p95 the slowest), `total` counts them all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from execlog_tui.core.timefmt import format_ts

# The figures a user can open; the last three take a name: component:NAME, breaker:NAME, alert:NAME.
FIGURES: tuple[str, ...] = (
    "error_rate",
    "response_time",
    "p95",
    "cache_hit_rate",
    "memory",
    "bootstrap",
    "requests",
    "component",
    "breaker",
    "alert",
)
NAMED_FIGURES: tuple[str, ...] = ("component", "breaker", "alert")
DEFAULT_LIMIT = 1000
DEFAULT_WINDOW = "1m"
COMPONENT_WINDOW = "1d"  # per-component figures are over the longest window (SPEC 4)

Progress = Callable[[int, int], None]  # (bytes read, bytes to read)


class EvidenceError(ValueError):
    """A figure, window or name that does not exist: one line, for stderr or a status line."""


@dataclass(frozen=True, slots=True)
class Figure:
    kind: str  # one of FIGURES
    name: str | None = None  # the NAME of component:NAME, breaker:NAME, alert:NAME

    @property
    def text(self) -> str:
        return self.kind if self.name is None else f"{self.kind}:{self.name}"


def parse_figure(text: str) -> Figure:
    """`error_rate`, `component:CACHE`, `alert:breaker:CACHE`...; EvidenceError (a ValueError) otherwise."""
    kind, sep, name = text.strip().partition(":")
    if kind not in FIGURES:
        raise EvidenceError(f"unknown figure {text!r}: expected one of {', '.join(_figure_names())}")
    if kind in NAMED_FIGURES:
        if not sep or not name.strip():
            raise EvidenceError(f"{kind} needs a name: {kind}:NAME")
        name = name.strip()
        # Components (and the component part of breaker names) are shown in upper case (SPEC 1).
        if kind in ("component", "breaker"):
            name = name.upper()
        elif ":" in name:
            prefix, _, comp = name.partition(":")
            name = f"{prefix}:{comp.upper()}"
        return Figure(kind, name)
    if sep:
        raise EvidenceError(f"figure {kind} takes no name, got {text!r}")
    return Figure(kind)


def _figure_names() -> list[str]:
    return [f"{k}:NAME" if k in NAMED_FIGURES else k for k in FIGURES]


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    file: str
    line: int  # 1-based physical line number in `file`
    ts: int | None  # epoch ms
    raw: str  # the line as read: untrusted text, sanitise before showing it
    mark: str | None = None  # "p95" on the p95 line, a breaker transition ("CLOSED->OPEN"), ...
    duration_ms: float | None = None


@dataclass(slots=True)
class EvidenceResult:
    figure: str
    window: str  # the window's name, or "all" for bootstrap and breakers (the whole history up to as_of)
    as_of: int | None
    total: int
    rows: list[EvidenceRow] = field(default_factory=list)  # log order
    cancelled: bool = False
    source: str = "files"  # "ring" when served from the session's ring buffer

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)

    def slowest_first(self) -> list[EvidenceRow]:
        """The rows by duration, slowest first (ties in log order): the screen's order for
        response_time and p95."""
        order = sorted(range(len(self.rows)), key=lambda i: (-(self.rows[i].duration_ms or 0.0), i))
        return [self.rows[i] for i in order]

    def to_json(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "window": self.window,
            "as_of": format_ts(self.as_of),
            "total": self.total,
            "entries": [{"file": r.file, "line": r.line, "ts": format_ts(r.ts), "raw": r.raw} for r in self.rows],
        }


def collect_evidence(
    session: Any,
    figure: str,
    window: str = DEFAULT_WINDOW,
    at: int | None = None,
    limit: int = DEFAULT_LIMIT,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> EvidenceResult:
    """The evidence of `figure` as the session shows it now (or as of `at`). Blocking: run it in a
    worker. EvidenceError for an unknown figure/window/name."""
    raise NotImplementedError  # stub: the interface is committed first


def collect_batch(
    sets: Any,
    config: Any,
    figure: str,
    window: str | None = None,
    at: int | None = None,
    limit: int = DEFAULT_LIMIT,
    line_limit: int = 64 * 1024,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> EvidenceResult:
    """The evidence of `figure` in the report `-b [--at T]` would print for `sets`."""
    raise NotImplementedError  # stub: the interface is committed first
