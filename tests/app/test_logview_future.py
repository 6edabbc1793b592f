"""SPEC 3: an entry dated more than max_future ahead of the wall clock is shown in the log view marked as
such, from the history and while following; an entry within max_future is an ordinary line.

A real MonitorSession on a real file, with a wall clock the test sets: the mark is what the engine
decided when it fed the line (`MetricsEngine.is_future`), carried to the view in the ring's flags.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from execlog_tui.core.config import Config
from execlog_tui.core.ringbuffer import FUTURE
from execlog_tui.core.timefmt import format_ts
from execlog_tui.session import MonitorSession
from execlog_tui.ui.app import make_app
from execlog_tui.ui.logview import FUTURE_MARK, PARSE_MARK, LogView
from tests.app.test_ui_pilot import sync, visible_log

DEADLINE_S = 20.0
NOW = 1_790_000_000_000  # the wall clock the session is given (2026-09-21)
MAX_FUTURE = Config().log.max_future_ms


async def until(pilot: object, predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not predicate():
        assert time.monotonic() < deadline, f"not within {DEADLINE_S} s: {what}"
        await pilot.pause(0.05)  # type: ignore[attr-defined]


def line(ts: int, details: str, status: str = "SUCCESS") -> str:
    return f"{format_ts(ts)}|API|CALL|5|{status}|{details}\n"


@sync
async def test_future_entries_are_marked_in_the_log_view(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(
        line(NOW - 2_000, "history one")
        + line(NOW + MAX_FUTURE + 1, "history future", "FAILURE")
        + line(NOW + MAX_FUTURE, "history at the limit")
        + "not an entry\n"
        + line(NOW - 1_000, "history two")
    )
    wall = [NOW]
    session = MonitorSession([str(log)], Config(), ring_capacity=1000, wall_clock=lambda: wall[0])
    app = make_app(session, rss_probe=lambda: 42.0, refresh_hz=20)
    async with app.run_test(size=(140, 40)) as pilot:
        view = app.query_one(LogView)
        await until(pilot, lambda: session.mode == "following" and view.shown_count == 5, "the history in the view")
        wall[0] = NOW + 600_000  # ten minutes on: followed lines are judged at their arrival
        with log.open("a") as f:
            f.write(line(NOW + 600_000 + MAX_FUTURE + 5_000, "followed future"))
            f.write(line(NOW + 600_000 + 60_000, "followed a minute ahead"))
            f.write(line(NOW + 599_000, "followed now"))
        await until(pilot, lambda: view.shown_count == 8, "the followed lines in the view")
        await pilot.pause()
        shown = [row for row in visible_log(app) if row]
        assert shown == [
            line(NOW - 2_000, "history one").rstrip("\n"),
            FUTURE_MARK + line(NOW + MAX_FUTURE + 1, "history future", "FAILURE").rstrip("\n"),
            line(NOW + MAX_FUTURE, "history at the limit").rstrip("\n"),
            PARSE_MARK + "not an entry",
            line(NOW - 1_000, "history two").rstrip("\n"),
            FUTURE_MARK + line(NOW + 600_000 + MAX_FUTURE + 5_000, "followed future").rstrip("\n"),
            line(NOW + 600_000 + 60_000, "followed a minute ahead").rstrip("\n"),
            line(NOW + 599_000, "followed now").rstrip("\n"),
        ]
        # The history's future line stays marked once the wall clock has moved past it: the mark is
        # what the engine decided when the line was fed, not a comparison made again when it is drawn.
        _raws, flags = session.ring.lines_newest(8)
        assert [bool(f & FUTURE) for f in flags] == [False, True, False, False, False, True, False, False]
        # The marked lines are the ones the figures left out (SPEC 3: counted in source.future only).
        src = session.snapshot().source
        assert src.future == 2 and src.entries == 7
        # The mark has its own style, not the line's status colour (the history's future line is a FAILURE).
        mark = next(iter(view.render_line(1)))
        future_style = view.get_component_rich_style("logview--future", partial=True)
        assert mark.text == FUTURE_MARK
        assert mark.style is not None and mark.style.reverse and mark.style.color == future_style.color
