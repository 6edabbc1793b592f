"""Small builders for engine tests: lines at given times."""

from __future__ import annotations

from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.timefmt import format_ts, parse_timestamp


def T(text: str) -> int:
    ts = parse_timestamp(text if "T" in text else f"2025-09-09T{text}Z")
    assert ts is not None, text
    return ts


def line(
    at: str,
    component: str = "API",
    action: str = "CALL",
    duration: float = 10,
    status: str = "SUCCESS",
    details: str = "",
) -> str:
    ts = format_ts(T(at))
    return f"{ts}|{component}|{action}|{duration:g}|{status}|{details}"


def engine_with(lines: list[str], **kw) -> MetricsEngine:
    e = MetricsEngine(**kw)
    e.feed_lines(lines)
    return e
