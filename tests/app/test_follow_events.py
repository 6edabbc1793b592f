"""Follow notices reach the screen past the session's bounded log: the 201st and the 10,000th.

A real MonitorSession on a real file, driven by the dashboard. The session keeps only its newest 200
notices; the test pads its log (the session's public EventLog) past that, then makes a real follow event
happen on the file (a truncation, a deletion) and waits, with a deadline, for it in the events list (key e).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from execlog_tui.session import EVENTS_KEPT, MonitorSession
from execlog_tui.ui.app import ExeclogApp, make_app
from tests.app.test_ui_pilot import SIZE, sync

DEADLINE_S = 20.0


def lines(start: int, count: int) -> str:
    return "".join(
        f"2026-01-01T00:00:{i % 60:02d}.{i % 1000:03d}Z|API|CALL|5|SUCCESS|i={i}\n" for i in range(start, start + count)
    )


def events(app: ExeclogApp) -> list[str]:
    """The notices in the events list (key e): follow events no longer come as toasts over the log."""
    return [notice.line() for notice in app.notices.items]


async def until(pilot: object, predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not predicate():
        assert time.monotonic() < deadline, f"not within {DEADLINE_S} s: {what}"
        await pilot.pause(0.05)  # type: ignore[attr-defined]


def pad_to(session: MonitorSession, seq: int) -> None:
    """Notices up to number `seq` (the next one the session makes is number seq + 1)."""
    while session.event_log.seq < seq:
        session.event_log.add(f"padding {session.event_log.seq + 1}")


@sync
async def test_the_201st_and_the_10000th_follow_event_reach_the_screen(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(lines(0, 50))
    session = MonitorSession([str(log)], ring_capacity=1000)
    app = make_app(session, rss_probe=lambda: 42.0, refresh_hz=20)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: session.mode == "following", "the session follows the file")
        assert session.event_log.seq < EVENTS_KEPT

        pad_to(session, EVENTS_KEPT)
        log.write_text(lines(1000, 3))  # shorter than before: a truncation
        await until(pilot, lambda: any("truncated" in t for t in events(app)), "the 201st event in the events list")
        assert session.event_log.seq > EVENTS_KEPT

        pad_to(session, 9_999)
        log.unlink()
        await until(pilot, lambda: any("deleted" in t for t in events(app)), "the 10,000th event in the events list")
        assert session.event_log.seq >= 10_000
        # The lines of the file still arrive too: the follower is alive after all of it.
        log.write_text(lines(2000, 4))
        await until(pilot, lambda: session.snapshot().source.entries == 57, "the reappeared file's lines")
