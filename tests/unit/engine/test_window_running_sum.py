"""The shortest window's running sum (what every whole-second evaluation reads) equals adding up its
buckets, on random logs with late lines, fractional and huge durations, memory reports and gaps."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.timefmt import format_ts
from execlog_tui.core.windows import Agg
from tests.unit.replay.test_replay_property import logs

FIELDS = ("entries", "errors", "completed", "dur_sum", "hits", "misses", "mem_ts", "mem_last")


class Checked(MetricsEngine):
    checked = 0

    def _window_sum(self, lo: int, s: int) -> Agg | None:
        got = super()._window_sum(lo, s)
        if got is not None:
            want = self._window_sum_of_buckets(lo, s)
            assert [getattr(got, f) for f in FIELDS] == [getattr(want, f) for f in FIELDS], (lo, s)
            Checked.checked += 1
        return got


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=logs(), huge=st.lists(st.sampled_from(["1e300", "9007199254740993", "70368744177664"]), max_size=3))
def test_running_sum_is_the_sum_of_the_buckets(lines: list[str], huge: list[str]) -> None:
    if lines and huge:
        ts = lines[len(lines) // 2].split("|")[0]
        lines = lines[: len(lines) // 2] + [f"{ts}|API|CALL|{h}|SUCCESS|big" for h in huge] + lines[len(lines) // 2 :]
    engine = Checked(wall_ms=1_757_500_000_000)
    engine.feed_lines(lines)
    engine.advance(engine.t + 200_000 if engine.t is not None else 0)


def test_the_check_runs() -> None:
    Checked.checked = 0
    t = 1_757_412_000_000
    lines = [f"{format_ts(t + i * 250)}|API|CALL|{i % 7}|SUCCESS|x" for i in range(2000)]
    Checked(wall_ms=1_757_500_000_000).feed_lines(lines)
    assert Checked.checked > 400
