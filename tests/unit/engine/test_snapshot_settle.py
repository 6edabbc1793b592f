"""A look at the figures while the input is still being fed (a frame during the history, a replay
between its steps) changes nothing of what follows: with `settle=False` the clock's own second is not
judged before the rest of its entries (SPEC 7). A settled look there judged it early, for good: an
alert a second late, and the cache kept that state."""

from __future__ import annotations

import gzip
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execlog_tui.core.config import Config
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.core.timefmt import format_ts
from execlog_tui.replay.controller import ReplayController
from execlog_tui.sources.logset import discover
from tests.unit.replay.test_replay_property import logs

WALL = 1_757_500_000_000
T = 1_757_412_000_000  # a whole second


def fed(lines: list[str], cuts: list[int], look: bool) -> dict:
    engine = MetricsEngine(Config(), wall_ms=WALL)
    at = 0
    for cut in sorted({min(c, len(lines)) for c in cuts}) + [len(lines)]:
        engine.feed_lines(lines[at:cut])
        at = max(at, cut)
        if look:
            engine.snapshot(settle=False)
    return snapshot_to_json(engine.snapshot())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=logs(), cuts=st.lists(st.integers(0, 400), max_size=8))
def test_looking_while_feeding_changes_nothing(lines: list[str], cuts: list[int]) -> None:
    assert fed(lines, cuts, look=True) == fed(lines, cuts, look=False)


def whole_second_burst() -> list[str]:
    """A success and a failure both dated exactly T, the failure second: the 1m error rate at T is 50 %."""
    return [
        *(f"{format_ts(T - 30_000)}|API|CALL|5|SUCCESS|before" for _ in range(17)),
        f"{format_ts(T)}|API|CALL|5|SUCCESS|ok",
        f"{format_ts(T)}|API|CALL|5|FAILURE|boom",
        f"{format_ts(T + 5000)}|API|CALL|5|SUCCESS|after",
    ]


def alerts_of(engine: MetricsEngine) -> list[tuple[str, str | None]]:
    return [(r.name, format_ts(r.fired)) for r in engine.alerts.history]


def test_a_look_between_two_entries_of_a_whole_second() -> None:
    lines = whole_second_burst()
    reference = MetricsEngine(Config(), wall_ms=WALL)
    reference.feed_lines(lines)
    reference.snapshot()
    engine = MetricsEngine(Config(), wall_ms=WALL)
    engine.feed_lines(lines[:18])  # up to the success at T
    engine.snapshot(settle=False)
    engine.feed_lines(lines[18:])
    engine.snapshot()
    assert alerts_of(engine) == alerts_of(reference)
    assert ("error_rate", format_ts(T)) in alerts_of(reference)


def test_a_replay_step_cut_by_its_budget_leaves_the_second_open(tmp_path: Path) -> None:
    d = tmp_path / "logs"
    d.mkdir()
    with gzip.open(d / "execution.log.1.gz", "wt") as f:
        f.write("".join(x + "\n" for x in whole_second_burst()[:18]))
    (d / "execution.log").write_text("".join(x + "\n" for x in whole_second_burst()[18:]))
    reference = ReplayController(discover([str(d)]), Config(), wall_ms=WALL)
    reference.advance_to(1 << 62)
    c = ReplayController(discover([str(d)]), Config(), wall_ms=WALL)
    c.advance_to(1 << 62, budget=1)  # one member: the one ending with the success at T
    assert not c.settled
    c.engine.snapshot(settle=c.settled)  # the replay screen's frame (ReplaySession.snapshot)
    c.advance_to(1 << 62)
    assert c.settled
    assert alerts_of(c.engine) == alerts_of(reference.engine)
