"""The session's numbered notices and its memory safeguard, in `-b -d` as in the dashboard.

`run_follow_batch` runs in a thread over a real MonitorSession on a real file; the test waits for its
output with a deadline and ends it with its stop event.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from execlog_tui.core.ringbuffer import RingBuffer
from execlog_tui.follow_batch import FollowBatchOptions, run_follow_batch
from execlog_tui.session import EVENTS_KEPT, SHRINK_FLOOR, EventLog, MemoryGuard, MonitorSession

DEADLINE_S = 20.0


def lines(start: int, count: int) -> str:
    return "".join(
        f"2026-01-01T00:00:{i % 60:02d}.{i % 1000:03d}Z|API|CALL|5|SUCCESS|i={i}\n" for i in range(start, start + count)
    )


def wait_for(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not predicate():
        assert time.monotonic() < deadline, f"not within {DEADLINE_S} s: {what}"
        time.sleep(0.02)


class Output(io.StringIO):
    """What the report loop printed so far, read from the test's thread."""

    def count(self, text: str) -> int:
        return self.getvalue().count(text)


@contextmanager
def follow_batch(session: MonitorSession, delay: float = 0.05) -> Iterator[Output]:
    out, err, stop = Output(), io.StringIO(), threading.Event()
    status: list[int] = []
    thread = threading.Thread(
        target=lambda: status.append(
            run_follow_batch(session, FollowBatchOptions(delay=delay), out=out, err=err, stop=stop)
        )
    )
    thread.start()
    try:
        yield out
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive() and status == [0], err.getvalue()


# ---------------------------------------------------------------------------------- the event log
def test_event_log_numbers_never_repeat_and_readers_keep_their_place() -> None:
    log = EventLog(keep=5)
    assert log.since(0).texts == () and log.since(0).seq == 0
    for i in range(1, 4):
        assert log.add(f"e{i}") == i
    got = log.since(0)
    assert got.texts == ("e1", "e2", "e3") and got.seq == 3 and got.dropped == 0
    assert log.since(got.seq).texts == ()
    for i in range(4, 13):
        log.add(f"e{i}")
    later = log.since(got.seq)  # 9 new, 5 kept
    assert later.texts == ("e8", "e9", "e10", "e11", "e12") and later.seq == 12 and later.dropped == 4
    assert log.since(11).texts == ("e12",) and log.since(11).dropped == 0
    assert log.texts() == ["e8", "e9", "e10", "e11", "e12"]


# ---------------------------------------------------------------------------------- -b -d notices
def pad_to(session: MonitorSession, seq: int) -> None:
    while session.event_log.seq < seq:
        session.event_log.add(f"padding {session.event_log.seq + 1}")


def test_batch_follow_prints_the_201st_and_the_10000th_event(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(lines(0, 50))
    session = MonitorSession([str(log)], ring_capacity=1000)
    with follow_batch(session) as out:
        wait_for(lambda: session.mode == "following" and out.count("execlog-top  as of") > 0, "the first report")
        pad_to(session, EVENTS_KEPT)
        log.write_text(lines(1000, 3))  # shorter than before: a truncation, the 201st event
        wait_for(lambda: out.count("event: truncated:") == 1, "the 201st event printed")
        pad_to(session, 9_999)
        log.unlink()  # the 10,000th
        wait_for(lambda: out.count("event: deleted:") == 1, "the 10,000th event printed")
        assert session.event_log.seq >= 10_000
    text = out.getvalue()
    assert "event: padding 200\n" in text and "event: padding 9999\n" in text
    printed = text.count("event: padding ")
    dropped = sum(
        int(line.split("(")[1].split(" ")[0].replace(",", ""))
        for line in text.splitlines()
        if "earlier events dropped" in line
    )
    # Notices 1-9,999 are 9,998 paddings and the truncation: each padding printed once or counted as dropped.
    assert printed + dropped == 9_998


# ---------------------------------------------------------------------------------- the safeguard
def test_memory_guard_halves_the_ring_down_to_the_floor_with_a_cooldown() -> None:
    ring = RingBuffer(10_000)
    ring.extend_raw([f"line {i}" for i in range(8_000)])
    now = [0.0]
    rss: list[float | None] = [50.0]
    guard = MemoryGuard(100.0, ring, threading.RLock(), rss_probe=lambda: rss[0], clock=lambda: now[0])
    assert not guard.check() and guard.rss_mb == 50.0 and len(ring) == 8_000
    rss[0] = 150.0
    now[0] = 1.0
    assert not guard.check() and guard.rss_mb == 50.0  # probed at most every 2 s
    now[0] = 2.0
    assert guard.check() and len(ring) == 4_000 and guard.shrinks == 1
    assert guard.message == "memory 150 MB > limit 100 MB: log buffer shrunk to 4,000 lines"
    now[0] = 10.0
    assert not guard.check() and len(ring) == 4_000  # cooldown: once per 30 s
    for step in range(1, 5):
        now[0] = 10.0 + 30 * step
        guard.check()
    assert len(ring) == SHRINK_FLOOR and ring.raw_newest(1) == ["line 7999"]  # the newest are kept
    rss[0] = None
    now[0] = 1000.0
    assert not guard.check()


def test_batch_follow_has_the_memory_safeguard(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(lines(0, 3000))
    session = MonitorSession([str(log)], ring_capacity=5000, rss_probe=lambda: 500.0)
    with follow_batch(session) as out:
        wait_for(
            lambda: "safeguard: memory 500 MB > limit 100 MB: log buffer shrunk to 1,500 lines" in out.getvalue(),
            "the safeguard's notice",
        )
    assert len(session.ring) == 1500


def test_replay_session_has_the_memory_safeguard() -> None:
    from execlog_tui.replay.clock import MAX
    from execlog_tui.replay.session import ReplaySession

    rotated = str(Path(__file__).resolve().parents[3] / "sample_logs" / "rotated")
    session = ReplaySession([rotated], speed=MAX, ring_capacity=100_000, rss_probe=lambda: 500.0)
    session.settle()
    for _ in range(1000):  # at max speed each pump reads on; the sample is read within a few
        if not session.pump():
            break
    held = len(session.ring)
    assert held > 2 * SHRINK_FLOOR
    assert session.memory.check()
    assert len(session.ring) <= held // 2 + 1 and session.memory.shrinks == 1
    assert session.memory.message is not None and "memory 500 MB > limit 100 MB" in session.memory.message
