"""SPEC 3's entries from the future: more than `max_future` (5 minutes) ahead of the wall clock, they
move no clock and count only in `source.entries` and `source.future`, with a warning per file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from execlog_tui.core.config import Config, LogConfig
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.core.timefmt import format_ts, parse_timestamp
from execlog_tui.pipeline import read_history
from execlog_tui.replay.controller import ReplayController
from execlog_tui.sources.logset import discover

WALL = parse_timestamp("2026-12-01T10:00:00Z") or 0
FUTURE = "2099-01-01T00:00:00.000Z|API|CALL|1|SUCCESS|from the future"


def at(offset_ms: int, status: str = "FAILURE", comp: str = "API") -> str:
    return f"{format_ts(WALL + offset_ms)}|{comp}|CALL|10|{status}|x"


def burst() -> list[str]:
    """A 100 % FAILURE burst around the wall clock, one 2099 line in the middle."""
    return [at(-20_000 + i * 1000) for i in range(10)] + [FUTURE] + [at(-9_000 + i * 1000) for i in range(9)]


def test_a_future_line_moves_no_clock_and_hides_no_incident() -> None:
    e = MetricsEngine(wall_ms=WALL)
    e.feed_lines(burst())
    j = snapshot_to_json(e.snapshot())
    assert j["as_of"] == format_ts(WALL - 1000)  # the newest entry that is not in the future
    assert j["source"]["entries"] == 20 and j["source"]["future"] == 1
    assert j["source"]["last"] == format_ts(WALL - 1000)
    one = j["windows"]["1m"]
    assert (one["entries"], one["errors"], one["error_rate"]) == (19, 19, 100.0)  # none counted as late
    firing = {a["name"] for a in j["alerts"] if a["resolved"] is None}
    assert {"error_rate", "breaker:API"} <= firing
    assert j["components"]["API"]["entries"] == 19  # the future line is in no figure
    assert j["source"]["warnings"] == [
        {
            "file": "",
            "message": "1 entry dated more than 5 minutes ahead of the wall clock:"
            " left out of the clock and the figures",
        }
    ]


def test_the_limit_is_the_configured_max_future_and_exactly_five_minutes_by_default() -> None:
    e = MetricsEngine(wall_ms=WALL)
    e.feed_lines([at(0, "SUCCESS"), at(300_000, "SUCCESS"), at(300_001, "SUCCESS")])
    assert (e.entries, e.future, e.t) == (3, 1, WALL + 300_000)
    short = replace(Config(), log=replace(LogConfig(), max_future_ms=30_000))
    e = MetricsEngine(short, wall_ms=WALL)
    e.feed_lines([at(0, "SUCCESS"), at(60_000, "SUCCESS")])
    assert (e.entries, e.future, e.t) == (2, 1, WALL)


@pytest.mark.parametrize("fast", [True, False], ids=["fastpath", "per-line"])
def test_history_warns_once_per_file_with_the_count_and_at_does_not_stop_at_a_future_line(
    tmp_path: Path, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not fast:
        monkeypatch.setenv("EXECLOG_NO_FASTPATH", "1")
    log = tmp_path / "execution.log"
    log.write_text("\n".join(burst() + [FUTURE]) + "\n")
    e = MetricsEngine(wall_ms=WALL)
    read_history(discover([str(log)]), e, until=WALL - 2000)
    j = snapshot_to_json(e.snapshot(as_of=WALL - 2000))
    # The 2099 line is after --at T but moves no clock: the feed goes on to the first real entry after T.
    assert j["source"]["entries"] == 19 and j["source"]["future"] == 1
    assert j["windows"]["1m"]["errors"] == 18
    e = MetricsEngine(wall_ms=WALL)
    read_history(discover([str(log)]), e)
    j = snapshot_to_json(e.snapshot())
    assert j["source"]["future"] == 2
    assert [w["file"] for w in j["source"]["warnings"]] == [str(log)]
    assert j["source"]["warnings"][0]["message"].startswith("2 entries dated more than 5 minutes ahead")


def test_a_replay_does_not_stall_at_a_future_line(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text("\n".join(burst()) + "\n")
    c = ReplayController(discover([str(log)]), wall_ms=WALL, checkpoint_every_ms=5000)
    c.advance_to(WALL - 5000)
    assert c.engine.entries == 16 and c.engine.future == 1  # fed past the 2099 line, up to the target
    c.advance_to(WALL)
    assert c.engine.last == WALL - 1000 and c.engine.future == 1 and c.engine.entries == 20
    # A restored checkpoint takes the replay's wall clock, not one kept in it.
    c.wall_ms = WALL - 600_000
    c.seek(WALL - 8_000)
    assert c.restores >= 1 and c.engine.future_limit == WALL - 300_000
