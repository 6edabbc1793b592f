"""The per-second p95 series (the p95 tile's sparkline) and how much of a window the data covers."""

from __future__ import annotations

import json
from pathlib import Path

from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.core.windows import WINDOWS_BY_NAME, coverage_note, covered_ms, span_text
from execlog_tui.report import make_console, print_report

from .helpers import T, engine_with, line


def test_the_p95_series_is_each_seconds_nearest_rank_p95_not_the_average() -> None:
    # 10:00:01: durations 1..100 (avg 50.5, p95 95); 10:00:03: 20 x 10 ms and one 400 ms (p95 10).
    lines = [line(f"10:00:01.{i:03d}", duration=i + 1) for i in range(100)]
    lines += [line(f"10:00:03.{i:03d}", duration=10) for i in range(20)] + [line("10:00:03.500", duration=400)]
    snap = engine_with(lines).snapshot()
    p95, avg = snap.series["p95_response_ms"], snap.series["avg_response_ms"]
    assert len(p95) == len(avg) == 60
    assert (p95[-3], p95[-2], p95[-1]) == (95.0, None, 10.0)
    assert avg[-3] == 50.5 and p95 != avg
    # One rule: a window holding only one of those seconds has the series' value as its p95.
    only_first = engine_with(lines[:100]).snapshot()
    assert only_first.windows["1m"].p95_response_ms == only_first.series["p95_response_ms"][-1] == 95.0


def test_coverage_of_a_window_after_seven_minutes_of_data() -> None:
    first, t = T("10:00:00"), T("10:07:10")
    day, minute = WINDOWS_BY_NAME["1d"], WINDOWS_BY_NAME["1m"]
    assert covered_ms(day, first, t) == 430_000
    assert coverage_note(day, first, t) == "7m of data"
    assert coverage_note(minute, first, t) is None  # the data starts before the 1m window does
    assert covered_ms(minute, first, t) == 60_000
    assert covered_ms(day, None, t) is None and coverage_note(day, None, None) is None
    assert [span_text(ms) for ms in (900, 45_000, 420_000, 7_500_000, 7_200_000, 97_200_000)] == [
        "0s",
        "45s",
        "7m",
        "2h 05m",
        "2h",
        "1d 03h",
    ]


def test_the_text_report_says_how_much_of_each_window_the_data_covers(tmp_path: Path) -> None:
    e = engine_with([line(f"10:0{m}:00") for m in range(8)] + [line("10:07:10")])
    snap = e.snapshot()
    out = tmp_path / "report.txt"
    with out.open("w") as f:
        print_report(snap, make_console(f, no_color=True))
    row = next(r for r in out.read_text().splitlines() if r.strip().startswith("coverage"))
    assert row.split() == ["coverage", "full", "full", "7m", "of", "data", "7m", "of", "data"]
    # SPEC 9 has no coverage field: the JSON stays as it was.
    assert "coverage" not in json.dumps(snapshot_to_json(snap))
