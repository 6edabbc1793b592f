"""A fixed session for tests and previews: the `Session` contract (execlog_tui.session) over hand-made
snapshots and lines, with the ring production uses."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence

from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import LINE_LIMIT
from execlog_tui.core.ringbuffer import RingBuffer
from execlog_tui.core.snapshot import MetricsSnapshot
from execlog_tui.session import EventLog, Events, MemoryGuard, RssProbe

Line = Entry | ParseError


def _no_rss() -> float | None:
    return None  # a fixed session never probes the process: its screens stay the same


class StaticSession:
    """A session that never reads a file: fixed snapshots and lines, for deterministic screens. Its ring
    is the live session's RingBuffer; its memory guard runs only when a test calls it."""

    replay = None

    def __init__(
        self,
        snapshot: MetricsSnapshot,
        lines: Sequence[Line] = (),
        *,
        last_entry_snapshot: MetricsSnapshot | None = None,
        mode: str = "following",
        history_done: bool = True,
        progress: tuple[int, int] = (0, 0),
        events: Sequence[str] = (),
        capacity: int = 100_000,
        paths: Sequence[str] = (),
        memory_limit_mb: float = 100.0,
        rss_probe: RssProbe = _no_rss,
    ) -> None:
        self._snapshot = snapshot
        self._last_entry_snapshot = last_entry_snapshot or snapshot
        self.ring = RingBuffer(capacity)
        self.ring.extend(lines)
        self.lock = threading.RLock()
        self.memory = MemoryGuard(memory_limit_mb, self.ring, self.lock, rss_probe=rss_probe)
        self.mode = mode
        self.history_done = history_done
        self.progress = progress
        self.event_log = EventLog()
        for text in events:
            self.event_log.add(text)
        self.data_version = 1
        self.error: str | None = None
        self.paths: list[str] = list(paths)
        self.line_limit = LINE_LIMIT
        self.started = False
        self.stopped = False
        self.waker: Callable[[], None] | None = None
        self.waited: float | None = None  # the dashboard's wait for a kept history

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def set_waker(self, waker: Callable[[], None] | None) -> None:
        self.waker = waker

    def wait_kept_history(self, timeout: float) -> None:
        self.waited = timeout

    def snapshot(self, as_of_last_entry: bool = False) -> MetricsSnapshot:
        return self._last_entry_snapshot if as_of_last_entry else self._snapshot

    def events_since(self, seq: int) -> Events:
        return self.event_log.since(seq)

    # Test helpers: change what the next refresh will read.
    def set_snapshot(self, snapshot: MetricsSnapshot) -> None:
        self._snapshot = snapshot
        self.data_version += 1

    def add_lines(self, lines: Iterable[Line]) -> None:
        self.ring.extend(lines)
        self.data_version += 1

    def add_event(self, text: str) -> None:
        self.event_log.add(text)
        self.data_version += 1
