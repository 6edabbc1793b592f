"""The C scanner and the per-line path agree on timestamps across SPEC 1's whole range and just outside
it: years 0000-9999 written, UTC instants of years 0 and 10000 through offsets up to ±23:59, dates
before 1970 (negative epoch milliseconds), in runs the scanner aggregates and lines it hands back."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execlog_tui.core import fastpath
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.core.timefmt import MAX_TS_MS

pytestmark = pytest.mark.skipif(not fastpath.available(), reason="the C scanner is not built")

EDGES = [
    (0, 1, 1, 0, 0, 0),
    (1, 1, 1, 0, 0, 0),
    (1, 1, 1, 23, 59, 59),
    (1969, 12, 31, 23, 59, 58),
    (1969, 12, 31, 23, 59, 59),
    (1970, 1, 1, 0, 0, 0),
    (1600, 2, 29, 12, 0, 0),
    (1900, 2, 29, 12, 0, 0),
    (9999, 12, 31, 0, 0, 0),
    (9999, 12, 31, 23, 59, 59),
]
DATES = st.sampled_from(EDGES) | st.tuples(
    st.integers(0, 9999),
    st.integers(1, 12),
    st.integers(1, 31),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
)
ZONES = st.sampled_from(["", "Z", "Z", "+14:00", "-14:00", "+23:59", "-23:59", "-12:00", "+00:01", "+24:00"])
STATUSES = st.sampled_from(["SUCCESS", "SUCCESS", "INFO", "FAILURE"])
# A group: one second's lines at increasing milliseconds (a run for the scanner when UTC and in order).
GROUP = st.tuples(DATES, ZONES, st.integers(0, 990), st.integers(1, 5), STATUSES, st.integers(0, 120))


def lines_of(groups: list[tuple]) -> list[str]:
    out = []
    for (y, mo, d, h, mi, s), zone, ms, n, status, dur in groups:
        prefix = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"
        for i in range(n):
            out.append(f"{prefix}.{min(ms + i, 999):03d}{zone}|API|CALL|{dur + i}|{status}|x")
    return out


def both(lines: list[str], wall_ms: int) -> tuple[dict, dict]:
    ref = MetricsEngine(wall_ms=wall_ms)
    ref.feed_lines(lines)
    fast = MetricsEngine(wall_ms=wall_ms)
    feeder = fastpath.FastFeeder(fast)
    feeder.feed_block(("\n".join(lines) + "\n").encode())
    return snapshot_to_json(ref.snapshot()), snapshot_to_json(fast.snapshot())


@settings(max_examples=300, deadline=None)
@given(groups=st.lists(GROUP, min_size=1, max_size=12), sort=st.booleans())
def test_c_fast_path_and_per_line_path_agree_on_timestamps_across_the_range(groups: list[tuple], sort: bool) -> None:
    if sort:
        groups = sorted(groups)  # mostly in order: long runs for the scanner
    lines = lines_of(groups)
    ref, fast = both(lines, wall_ms=MAX_TS_MS)  # nothing is in the future of the year 9999
    assert json.dumps(fast, sort_keys=True) == json.dumps(ref, sort_keys=True)


@settings(max_examples=100, deadline=None)
@given(groups=st.lists(GROUP, min_size=1, max_size=12))
def test_they_agree_with_a_wall_clock_in_the_middle_of_the_range_too(groups: list[tuple]) -> None:
    """Entries after the wall clock + 5 minutes are left out (SPEC 3) by both paths alike."""
    lines = lines_of(sorted(groups))
    ref, fast = both(lines, wall_ms=1_764_590_400_000)  # 2025-12-01T12:00:00Z
    assert json.dumps(fast, sort_keys=True) == json.dumps(ref, sort_keys=True)


def test_negative_seconds_go_into_runs_and_figures() -> None:
    """Before 1970 every second is negative: the scanner aggregates them like any other (not late)."""
    lines = [f"1969-12-31T23:59:{s:02d}.{i:03d}Z|API|CALL|{i}|SUCCESS|x" for s in (57, 58, 59) for i in range(50)]
    lines += ["1969-12-31T23:59:59.999Z|API|CALL|1|FAILURE|x"]
    ref, fast = both(lines, wall_ms=MAX_TS_MS)
    assert fast == ref
    assert fast["windows"]["1m"]["entries"] == 151 and fast["windows"]["1m"]["errors"] == 1
    assert fast["as_of"] == "1969-12-31T23:59:59.999Z"
