"""The 1h and 1d windows' cached complete minutes: a second merged into its minute after the clock moved into
the next minute is in the windows at once (the per-window cache once kept the minute without it)."""

from __future__ import annotations

from execlog_tui.core.engine import MetricsEngine

BASE = 1_757_412_000_000  # 2025-09-09T10:00:00Z


def iso(ms: int) -> str:
    from execlog_tui.core.timefmt import format_ts

    return format_ts(ms) or ""


def test_a_second_merged_after_the_clock_moved_on_counts_in_the_minute_windows() -> None:
    engine = MetricsEngine(wall_ms=BASE)
    engine.feed_lines([f"{iso(BASE + 59_500)}|API|CALL|1|SUCCESS|"])  # 10:00:59.500, the current second
    engine.advance(BASE + 60_200)  # the wall clock, in the next minute: that second is not merged yet
    first = engine.snapshot()
    assert first.windows["1h"].entries == first.windows["1d"].entries == 1
    engine.feed_lines([f"{iso(BASE + 60_500)}|API|CALL|1|SUCCESS|"])  # merges 10:00:59 into its minute
    second = engine.snapshot()
    assert second.windows["1m"].entries == 2
    assert second.windows["1h"].entries == second.windows["1d"].entries == 2
    assert second.components["API"].entries == 2
