"""What the dashboard reads: the `SessionLike` protocol, and a fixed session for tests and previews."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, runtime_checkable

from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.snapshot import MetricsSnapshot

Line = Entry | ParseError


@runtime_checkable
class RingLike(Protocol):
    """The ring buffer as the UI uses it: newest N lines, iterated oldest to newest."""

    def __iter__(self) -> Iterator[Line]: ...
    def __len__(self) -> int: ...
    @property
    def total(self) -> int: ...  # lines ever appended (evicted ones included)
    def resize(self, capacity: int) -> None: ...


class SessionLike(Protocol):
    """The subset of `execlog_tui.session.MonitorSession` the dashboard touches, on its timer only."""

    ring: RingLike
    progress: tuple[int, int]
    history_done: bool
    mode: str
    events: list[str]
    data_version: int

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def snapshot(self, as_of_last_entry: bool = False) -> MetricsSnapshot: ...


class ListRing:
    """A minimal ring over a list: what tests and previews use in place of the real buffer."""

    def __init__(self, lines: Iterable[Line] = (), capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._lines: list[Line] = []
        self.total = 0
        self.extend(lines)

    def extend(self, lines: Iterable[Line]) -> None:
        for line in lines:
            self._lines.append(line)
            self.total += 1
        if len(self._lines) > self.capacity:
            del self._lines[: len(self._lines) - self.capacity]

    def append(self, line: Line) -> None:
        self.extend((line,))

    def resize(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        if len(self._lines) > self.capacity:
            del self._lines[: len(self._lines) - self.capacity]

    def __iter__(self) -> Iterator[Line]:
        return iter(list(self._lines))

    def __len__(self) -> int:
        return len(self._lines)


class StaticSession:
    """A session that never reads a file: fixed snapshots and lines, for deterministic screens."""

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
    ) -> None:
        self._snapshot = snapshot
        self._last_entry_snapshot = last_entry_snapshot or snapshot
        self.ring = ListRing(lines, capacity)
        self.mode = mode
        self.history_done = history_done
        self.progress = progress
        self.events = list(events)
        self.data_version = 1
        self.started = False
        self.stopped = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def snapshot(self, as_of_last_entry: bool = False) -> MetricsSnapshot:
        return self._last_entry_snapshot if as_of_last_entry else self._snapshot

    # Test helpers: change what the next refresh will read.
    def set_snapshot(self, snapshot: MetricsSnapshot) -> None:
        self._snapshot = snapshot
        self.data_version += 1

    def add_lines(self, lines: Iterable[Line]) -> None:
        self.ring.extend(lines)
        self.data_version += 1
