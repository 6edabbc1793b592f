"""A monitoring session: read a set's history, then follow its live file, in a worker thread.

The dashboard and batch follow mode (`-b -d`) drive the same session. The worker owns the engine and
the ring buffer; other threads read them only through `snapshot()` and `ring_view()` under the lock.

`Session` is the contract the dashboard reads (this MonitorSession, the replay's ReplaySession and the
tests' StaticSession implement it); `Ring` is the one interface of the rings behind it. The session's
notices are numbered (`EventLog`): a reader asks for what came after the last number it saw, so a
bounded log never loses a reader's place. The memory safeguard (`MemoryGuard`) lives here too, so every
mode that holds a ring has it.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from execlog_tui.alert_log import AlertLogWriter
from execlog_tui.cache.plans import CacheOptions, nearly_kept
from execlog_tui.core.alerts import AlertRecord
from execlog_tui.core.config import Config
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import LINE_LIMIT, parse_line
from execlog_tui.core.ringbuffer import RingBuffer
from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.snapshot import MetricsSnapshot
from execlog_tui.history import (
    ChildFailed,
    HistoryChild,
    TailChunk,
    can_fork,
    read_session_history,
    start_child,
)
from execlog_tui.pipeline import HistoryResult, set_size
from execlog_tui.sources.follower import ROTATED, TRUNCATED, WARNING, FollowEvent, HistoryLimit, LogFollower
from execlog_tui.sources.logset import LogSet, Member, SourceError, discover
from execlog_tui.sources.reader import SourceWarning, is_stream_path
from execlog_tui.sources.stream import StreamFollower

Clock = Callable[[], int]
RssProbe = Callable[[], "float | None"]

EVENTS_KEPT = 200  # notices a session keeps; a reader that falls further behind is told how many it missed
MEMORY_CHECK_EVERY_S = 2.0
SHRINK_FLOOR = 1_000  # the ring never shrinks below this many lines
# Python rarely hands freed memory back to the system, so RSS stays high for a while after a shrink:
# wait this long before halving again, or one spike would empty the buffer.
SHRINK_COOLDOWN_S = 30.0


def _file_key(path: Path) -> str:
    """One key per file however it was named (the follower's path and the set member's)."""
    return os.path.realpath(path)


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


def read_rss_mb() -> float | None:
    """The process's resident set size now (Linux /proc), or None where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Hand the memory freed after a transient peak (the history's tail as a str per line) back to the
    system: glibc's malloc keeps it otherwise (~5-10 MB of RSS for good, and the memory safeguard reads
    RSS). A no-op where there is no glibc."""
    try:
        import ctypes

        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, ImportError):
        return
    trim(0)


# ---------------------------------------------------------------------------------- the contract
class Ring(Protocol):
    """The newest lines of a session, as the log view and the safeguard use them (`core.ringbuffer.
    RingBuffer` for live sessions and tests, `replay.ring.LazyRing` for a replay)."""

    @property
    def total(self) -> int: ...  # lines ever appended (evicted ones included); never decreases
    @property
    def lines_so_far(self) -> int: ...  # lines of the log up to the newest one held (the title's count)
    @property
    def capacity(self) -> int: ...
    def __len__(self) -> int: ...
    def lines_newest(self, count: int) -> tuple[list[str], bytes]: ...  # raw lines and flag bytes
    def resize(self, capacity: int) -> None: ...
    def origin(self, index: int) -> tuple[str, int] | None: ...  # (file, line) of a kept line, if known
    def origins_newest(self, count: int) -> list[tuple[str, int] | None]: ...  # aligned with lines_newest


@dataclass(frozen=True, slots=True)
class Events:
    """What `events_since(seq)` returns: the notices after `seq`, oldest first, the number of the newest
    (pass it next time) and how many after `seq` were already dropped from the bounded log."""

    texts: tuple[str, ...]
    seq: int
    dropped: int


class EventLog:
    """Numbered notices, the newest `keep` of them. Numbers start at 1 and never repeat, so a reader's
    place (the last number it saw) stays valid however many notices are dropped from the front."""

    def __init__(self, keep: int = EVENTS_KEPT) -> None:
        self._items: deque[tuple[int, str]] = deque(maxlen=keep)
        self._seq = 0
        self._lock = threading.Lock()  # appended by the worker, read by the UI or the batch loop

    @property
    def seq(self) -> int:
        """The number of the newest notice (0 before the first)."""
        return self._seq

    def add(self, text: str) -> int:
        with self._lock:
            self._seq += 1
            self._items.append((self._seq, text))
            return self._seq

    def since(self, seq: int) -> Events:
        with self._lock:
            newest = self._seq
            if seq >= newest:
                return Events((), newest, 0)
            texts = tuple(text for n, text in self._items if n > seq)
            return Events(texts, newest, newest - seq - len(texts))

    def texts(self) -> list[str]:
        """The notices still kept, oldest first."""
        with self._lock:
            return [text for _n, text in self._items]


class MemoryGuard:
    """The memory safeguard (SAFEGUARDS memory_protection): when the monitor's own RSS passes the limit,
    halve the ring (never below SHRINK_FLOOR lines, at most once per SHRINK_COOLDOWN_S) and say so.

    The session's worker calls `check()` as it goes; `check()` probes the RSS at most every
    MEMORY_CHECK_EVERY_S. `message` is the last shrink's one-line notice, `shrinks` counts them.
    """

    def __init__(
        self,
        limit_mb: float,
        ring: Ring,
        lock: AbstractContextManager[Any],
        *,
        rss_probe: RssProbe = read_rss_mb,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit_mb = limit_mb
        self.ring = ring
        self.lock = lock
        self.rss_probe = rss_probe
        self.clock = clock
        self.rss_mb: float | None = None
        self.message: str | None = None
        self.shrinks = 0
        self._last_check = -1e9
        self._last_shrink = -1e9

    def check(self) -> bool:
        """Probe (if it is time) and enforce; True if the ring was shrunk."""
        now = self.clock()
        if now - self._last_check < MEMORY_CHECK_EVERY_S:
            return False
        self._last_check = now
        self.rss_mb = self.rss_probe()
        return self.enforce()

    def enforce(self) -> bool:
        """Halve the ring if the last probed RSS is past the limit (cooldown and floor permitting)."""
        rss, limit = self.rss_mb, self.limit_mb
        if rss is None or rss <= limit:
            return False
        with self.lock:
            held = len(self.ring)
            if held <= SHRINK_FLOOR:
                return False
            now = self.clock()
            if now - self._last_shrink < SHRINK_COOLDOWN_S:
                return False
            self._last_shrink = now
            new_capacity = max(SHRINK_FLOOR, held // 2)
            self.ring.resize(new_capacity)
            self.message = f"memory {rss:.0f} MB > limit {limit:.0f} MB: log buffer shrunk to {new_capacity:,} lines"
            self.shrinks += 1
        return True


class IncidentView(Protocol):
    """An incident on a replay's timeline (`replay.controller.Incident`)."""

    @property
    def ts(self) -> int: ...
    @property
    def kind(self) -> str: ...  # alert | breaker | critical | parse
    @property
    def label(self) -> str: ...


class ReplayState(Protocol):
    """What the header and the timeline bar show of a replay (`replay.session.ReplayView`). Declared
    here, not imported, so that the session module does not depend on the replay package (which
    depends on it)."""

    @property
    def clock(self) -> int | None: ...
    @property
    def speed(self) -> str: ...
    @property
    def paused(self) -> bool: ...
    @property
    def ended(self) -> bool: ...
    @property
    def busy(self) -> str | None: ...  # "seeking" while a jump reads ahead
    @property
    def first(self) -> int | None: ...
    @property
    def last(self) -> int | None: ...
    @property
    def frontier(self) -> int | None: ...
    @property
    def incidents(self) -> Sequence[IncidentView]: ...


class ReplayControls(Protocol):
    """What the dashboard's replay keys and timeline use (`replay.session.ReplaySession`)."""

    @property
    def complete(self) -> bool: ...  # the whole set has been read once
    def view(self) -> ReplayState: ...
    def toggle_pause(self) -> bool: ...
    def faster(self) -> str: ...
    def slower(self) -> str: ...
    def step(self, ms: int) -> None: ...
    def jump_start(self) -> None: ...
    def jump_end(self) -> None: ...
    def next_incident(self) -> IncidentView | None: ...
    def previous_incident(self) -> IncidentView | None: ...
    def jump_to(self, text: str) -> int: ...


class Session(Protocol):
    """What the dashboard reads, on its timer only: MonitorSession, ReplaySession and the tests'
    StaticSession implement it. Attributes are read-only here; the session's worker changes them."""

    @property
    def ring(self) -> Ring: ...
    @property
    def lock(self) -> AbstractContextManager[Any]: ...  # held while the worker changes ring or engine
    @property
    def memory(self) -> MemoryGuard: ...
    @property
    def progress(self) -> tuple[int, int]: ...  # history bytes read, of
    @property
    def history_done(self) -> bool: ...
    @property
    def mode(self) -> str: ...  # "history", "waiting", "following", "replay"
    @property
    def data_version(self) -> int: ...  # changes whenever the ring or the figures may have
    @property
    def error(self) -> str | None: ...  # a one-line reason when nothing can be read
    @property
    def paths(self) -> Sequence[str]: ...  # what the query screen reads
    @property
    def line_limit(self) -> int: ...
    @property
    def replay(self) -> ReplayControls | None: ...  # the replay's controls; None for a live session

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def snapshot(self, as_of_last_entry: bool = False) -> MetricsSnapshot: ...
    def events_since(self, seq: int) -> Events: ...
    # `waker` is called from the session's thread when waiting for the next tick would show a change
    # late (the history has been read: the first frame with the figures is drawn then); None: not.
    def set_waker(self, waker: Callable[[], None] | None) -> None: ...
    # Up to `timeout` s for a history that is due within it (what an earlier run kept, read from the
    # cache in a fraction of a second): the first frame then carries its figures, rather than an empty
    # layout redrawn a moment later. At once for a history read whole (its progress is drawn meanwhile).
    def wait_kept_history(self, timeout: float) -> None: ...


@dataclass(frozen=True, slots=True)
class _Prepared:
    history: list[LogSet]  # the sets as history reads them (no stream)
    stop_at: list[HistoryLimit]  # where the followers take over


class MonitorSession:
    """History first (log time), then following (T = max(wall clock, newest entry)), per SPEC 3."""

    def __init__(
        self,
        paths: list[str],
        config: Config | None = None,
        *,
        ring_capacity: int = 100_000,
        follow: bool = True,
        wall_clock: Clock | None = None,
        line_limit: int = LINE_LIMIT,
        rss_probe: RssProbe = read_rss_mb,
        counting: bool = False,
        cache: CacheOptions | None = None,
        history_process: bool = False,
        fork_history: bool = False,
    ) -> None:
        self.paths = list(paths) or ["execution.log"]
        # The history read in a child process (`execlog_tui.history`): the dashboard's, whose own
        # interpreter draws meanwhile.
        self.history_process = history_process
        self.history_in_child = False  # whether it was (see _read_history)
        # Forked as the session starts (`start`, from a process with one thread): the dashboard's, which
        # starts it before it imports its interface. Otherwise a child is spawned from the session's thread.
        self.fork_history = fork_history
        self.history_method: str | None = None  # how the child was started ("fork", "spawn")
        self._prepared: _Prepared | None = None  # the history prepared by `start` for a forked child
        self._child: HistoryChild | None = None
        self._history_kept = False  # nearly all of the forked child's history was kept (`wait_kept_history`)
        self._history_read = threading.Event()  # set with history_done
        self.cache = cache  # SPEC 12: the archives' feed plans (None: every archive is read)
        self.counting = counting  # SPEC 11's counters, from the start of following (the exporter's)
        self.config = config or Config()
        self.follow = follow
        self.wall_clock = wall_clock or wall_clock_ms
        self.line_limit = line_limit
        self.lock = threading.RLock()
        alert_path = self.config.monitoring.alert_log
        self.alert_log = AlertLogWriter(alert_path) if alert_path is not None and self._alert_log_wanted() else None
        # SPEC 3's future rule compares history with the wall clock at the start, followed lines with
        # the wall clock at their arrival (`_take`).
        self._wall_ms = self.wall_clock()
        self.engine = MetricsEngine(self.config, alert_hook=self._on_alert, wall_ms=self._wall_ms)
        self.ring = RingBuffer(ring_capacity)
        self.memory = MemoryGuard(self.config.safeguards.memory_limit_mb, self.ring, self.lock, rss_probe=rss_probe)
        self.progress: tuple[int, int] = (0, 0)
        self.history_done = False
        self.mode = "history"
        self.event_log = EventLog()
        self.data_version = 0
        self.error: str | None = None  # a one-line reason when nothing can be read
        self.sets: list[LogSet] = []
        self._followers: list[LogFollower | StreamFollower] = []
        self.unread: list[SourceWarning] = []  # history input that could not be read (see HistoryResult)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._history_snapshot: MetricsSnapshot | None = None
        self._live = False  # alerts go to the alert log only while following live
        self._announced: set[int] = set()  # alert records whose firing went to the alert log
        # (member, newest timestamp fed once it was read), in reading order: see _read_history.
        self.history_newest: tuple[tuple[Member, int | None], ...] = ()
        # Lines of each followed file before the next one read (the ring's line numbers), when known.
        self._line_counts: dict[str, int] = {}
        self._waker: Callable[[], None] | None = None
        self._early_error: Exception | None = None  # what `start` met preparing the history

    def set_waker(self, waker: Callable[[], None] | None) -> None:
        self._waker = waker

    # ------------------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self.history_process and self.fork_history and can_fork():
            try:
                self._fork_history()
            except Exception as e:  # noqa: BLE001 - reported by the session's thread, as if it met it
                self._early_error = e
        self._thread = threading.Thread(target=self._run, name="execlog-session", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3.0)
        child, self._child = self._child, None
        if child is not None:  # forked, and its reading not yet taken over
            child.close()
        for f in self._followers:
            f.close()
        if self.alert_log is not None:
            self.alert_log.close()

    def __enter__(self) -> MonitorSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_history(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.history_done and time.monotonic() < deadline:
            if self._thread is not None and not self._thread.is_alive():
                break
            time.sleep(0.01)
        return self.history_done

    def wait_kept_history(self, timeout: float) -> None:
        if self._history_kept:
            self._history_read.wait(timeout)

    # ------------------------------------------------------------------------------- reading
    @property
    def replay(self) -> None:
        return None  # a live session has no replay controls

    @property
    def events(self) -> list[str]:
        """The notices still kept, oldest first (readers that poll use `events_since`)."""
        return self.event_log.texts()

    def events_since(self, seq: int) -> Events:
        return self.event_log.since(seq)

    def snapshot(self, as_of_last_entry: bool = False) -> MetricsSnapshot:
        """The figures now; with `as_of_last_entry`, as of the newest entry of the history (for a quiet
        log whose windows are empty at wall-clock time)."""
        if as_of_last_entry and self._history_snapshot is not None and self._quiet():
            return self._history_snapshot
        with self.lock:
            # While the history is read, more entries dated T may come: T's second is not settled.
            return self.engine.snapshot(settle=self.history_done)

    def ring_view(self) -> list[Entry | ParseError]:
        with self.lock:
            return list(self.ring)

    @property
    def skew_ms(self) -> int | None:
        """Newest entry minus the wall clock: negative when the log is quiet or old, positive when ahead."""
        if self.engine.last is None:
            return None
        return self.engine.last - self.wall_clock()

    def _quiet(self) -> bool:
        skew = self.skew_ms
        return skew is not None and skew < -60_000

    # -------------------------------------------------------------------------------- worker
    def _run(self) -> None:
        try:
            if self._early_error is not None:
                raise self._early_error
            self._read_history()
            self.memory.check()
            if self.follow:
                self._follow()
        except Exception as e:  # noqa: BLE001 - the worker must report, not die silently
            self.error = f"{type(e).__name__}: {e}"
            self._event(f"error: {self.error}")

    def _named_live_paths(self) -> list[Path]:
        """The live files the arguments name without a directory listing: a file, or a directory's
        execution.log (a directory without one gets its followers after discovery)."""
        out = []
        for p in self.paths:
            path = Path(p)
            if path.is_dir():
                if (path / "execution.log").exists() or not any(path.iterdir()):
                    out.append(path / "execution.log")
            else:
                out.append(self._live_of(path))
        return out

    @staticmethod
    def _live_of(path: Path) -> Path:
        from execlog_tui.sources.logset import parse_rotated

        rotated = parse_rotated(path.name)
        return path.parent / rotated.base if rotated is not None else path

    def _prepare_history(self) -> _Prepared:
        """The followers, the sets and what of them is history, before any of it is read."""
        # Followers first: every file present when a follower starts is history, and its limit says
        # where history stops, by identity, so a rotation during start-up loses and doubles nothing.
        followed: set[Path] = set()
        if self.follow:
            for live in self._named_live_paths():
                self._add_follower(live, followed)
        try:
            self.sets = discover(self.paths)
        except SourceError as e:
            self.sets = []
            if not self.follow:
                self.error = str(e)
        if self.follow:
            for s in self.sets:
                self._add_follower(s.live, followed)
        stop_at = [f.history_limit for f in self._followers if f.history_limit is not None]
        self.progress = (0, set_size(self.sets))
        with self.lock:
            for s in self.sets:
                for m in s.members:
                    self.engine.note_file(str(m.path))
        # A stream (standard input, a FIFO) is followed from its first byte, not read as history.
        history = [replace(s, members=tuple(m for m in s.members if not m.stream)) for s in self.sets]
        if not self.follow:
            history = self.sets
        return _Prepared(history, stop_at)

    def _start_child(self, prepared: _Prepared, method: str) -> HistoryChild:
        return start_child(
            prepared.history,
            self.engine,
            wall_ms=self._wall_ms,
            line_limit=self.line_limit,
            ring_capacity=self.ring.capacity,
            stop_at=prepared.stop_at,
            cache=self.cache,
            method=method,
        )

    def _fork_history(self) -> None:
        """The history's child forked now, from this thread, before the session's own starts (see
        `HistoryChild`): it reads while this process goes on (the dashboard imports its interface)."""
        prepared = self._prepared = self._prepare_history()
        if not any(s.members for s in prepared.history):
            return
        if not can_fork():
            return  # preparing started a thread (a stream's reader): spawned from the session's thread
        self._history_kept = self.cache is not None and nearly_kept(
            self.cache, self.config, self.line_limit, prepared.history
        )
        self.history_in_child = True
        self.history_method = "fork"
        try:
            self._child = self._start_child(prepared, "fork")
        except ChildFailed as e:
            self._event(sanitize(f"history read in the dashboard's own process: {e}"))

    def _read_history(self) -> None:
        prepared = self._prepared or self._prepare_history()
        history, stop_at = prepared.history, prepared.stop_at

        def progress(done: int, all_bytes: int) -> None:
            self.progress = (done, all_bytes)
            self.data_version += 1

        read = None
        child, self._child = self._child, None
        # Started here, a child is spawned: worth its interpreter's start unless an earlier run kept
        # nearly all of the history, which is then read here.
        if (
            self.history_method is None
            and self.history_process
            and any(s.members for s in history)
            and (self.cache is None or not nearly_kept(self.cache, self.config, self.line_limit, history))
        ):
            self.history_in_child = True
            self.history_method = "spawn"
            try:
                child = self._start_child(prepared, "spawn")
            except ChildFailed as e:
                self._event(sanitize(f"history read in the dashboard's own process: {e}"))
        if child is not None:
            try:
                read = child.collect(self.engine, progress=progress, lock=self.lock, stop=self._stop)
            except ChildFailed as e:
                self._event(sanitize(f"history read in the dashboard's own process: {e}"))
            if read is None and self._stop.is_set():
                return
        if read is None:
            read = read_session_history(
                history,
                self.engine,
                line_limit=self.line_limit,
                ring_capacity=self.ring.capacity,
                stop_at=stop_at,
                cache=self.cache,
                progress=progress,
                lock=self.lock,
            )
        if read.workers_failed:
            self._event("archives read in this process: no worker process could start")
        result, chunks = read.result, read.chunks
        # Per member read, the newest timestamp fed once it was read: the evidence skips the members
        # that end before a window (empty for several merged sets).
        self.history_newest = tuple(zip(result.members, result.newest_after, strict=False))
        self.unread = result.unread
        with self.lock:
            self.ring.note_dropped(self._history_dropped_newest(result, chunks))
        # Each member's part of the tail is appended with its file and line numbers (`ring.origin`).
        for chunk in chunks:
            with self.lock:
                if chunk.name is None:
                    self.ring.extend_lines(chunk.text, chunk.lo, chunk.hi, chunk.flags)
                else:
                    self.ring.extend_lines(
                        chunk.text,
                        chunk.lo,
                        chunk.hi,
                        chunk.flags,
                        file=chunk.name,
                        lines=chunk.numbers,
                        newest_ts=chunk.newest,
                    )
        for m in result.members:
            if m.live and result.tail_origins:
                # Its lines are the tail's last ones (the tail is filled newest first), or it has none.
                last = chunks[-1]
                count = last.first + last.count - 1 if last.name == str(m.path) else 0
                self._line_counts[_file_key(m.path)] = count
        with self.lock:
            self._history_snapshot = self.engine.snapshot()
            # From here on T = max(wall clock, newest entry) (SPEC 3): the first report after the
            # history (a `-b -d` one, a frame) must not be as of the newest entry of a stale log.
            self.engine.advance(self.wall_clock())
            if self.counting and self.follow:
                # What is read from here on (SPEC 11); with the history's end under one lock, so no
                # scrape sees the history read and no counters.
                self.engine.start_counting()
            if not any(s.members for s in self.sets) and self._followers:
                # Before history_done: the first report after the history (-b -d) already says it waits.
                self.mode = "waiting"  # the follower's own event says which file and why, once
            elif self.follow:
                # Following from here on: the frame the wake below draws says so (not "history" until
                # the next tick).
                self.mode = "following"
            self.history_done = True
            self.data_version += 1
        self._history_read.set()
        waker = self._waker
        if waker is not None:
            # The figures are in: drawn now, not at the next tick. An interface closing at this very
            # moment (its loop gone) must not end the session's thread before it follows.
            with suppress(RuntimeError):
                waker()
        del read, chunks
        gc.freeze()  # the history's objects are long-lived: keep the collector off them (follow latency)
        release_freed_memory()

    @staticmethod
    def _history_dropped_newest(result: HistoryResult, chunks: list[TailChunk]) -> int | None:
        """How new the history's lines that are not in the ring may be (None: the ring holds them all)."""
        if not result.members:
            return None
        if not chunks or chunks[0].name is None:
            return None if not chunks else (1 << 62)  # merged sets: unknown, unless nothing was read
        first_name, first_line = chunks[0].name, chunks[0].first
        names = [str(m.path) for m in result.members]
        if first_name not in names or len(result.newest_after) != len(names):
            return 1 << 62
        j = names.index(first_name)
        if first_line > 1:
            return result.newest_after[j]  # part of that member is missing: as new as its newest
        return result.newest_after[j - 1] if j > 0 else None

    def _add_follower(self, live: Path, followed: set[Path]) -> None:
        key = live.resolve()
        if key in followed:
            return
        followed.add(key)
        if is_stream_path(live):
            self._followers.append(StreamFollower(live, line_limit=self.line_limit))
        else:
            self._followers.append(LogFollower(live, line_limit=self.line_limit, start_at_end=True))

    def _follow(self) -> None:
        if self.mode != "waiting":
            self.mode = "following"
        self._live = True
        while not self._stop.is_set():
            got = False
            for f in self._followers:
                batch = f.poll()
                for ev in batch.events:
                    self._on_follow_event(ev)
                if batch.lines:
                    got = True
                    # A stream's lines have no file to open again: no origin (the evidence reads files).
                    origin = (
                        self._batch_origin(f, batch.lines, bool(batch.events)) if isinstance(f, LogFollower) else None
                    )
                    self._take(batch.lines, batch.cut, str(f.path), origin)
                if batch.more:
                    got = True
            with self.lock:
                self.engine.advance(self.wall_clock())
            if self.memory.check():
                self.data_version += 1
            if self.mode == "waiting" and any(f.offset is not None for f in self._followers):
                self.mode = "following"
            if not got and self._followers:
                self._followers[0].wait(0.25)
            elif not self._followers:
                self._stop.wait(0.25)

    def _batch_origin(self, f: LogFollower, lines: list[str], switched: bool) -> tuple[str, int, int] | None:
        """Where a followed batch's lines come from: (file, line number of lines[skip], skip), the
        first `skip` lines being of unknown origin; None when unknown. Without an event the batch
        continues the live file; after a rotation or truncation the live file was read from its
        start, so its lines are the batch's last ones (counted up to the follower's offset)."""
        name, key = str(f.path), _file_key(f.path)
        if not switched:
            count = self._line_counts.get(key)
            if count is None:
                return None
            self._line_counts[key] = count + len(lines)
            return (name, count + 1, 0)
        self._line_counts.pop(key, None)
        offset = f.offset
        if offset is None:
            return None
        try:
            with open(f.path, "rb") as fh:
                count = 0
                left = offset
                while left > 0:
                    data = fh.read(min(left, 1 << 20))
                    if not data:
                        break
                    count += data.count(b"\n")
                    left -= len(data)
        except OSError:
            return None
        if count > len(lines):
            return None  # part of the live file came in earlier batches: numbering unknown from here
        self._line_counts[key] = count
        return (name, 1, len(lines) - count)

    def _take(self, lines: list[str], cut: set[int], path: str, origin: tuple[str, int, int] | None = None) -> None:
        items: list[Entry | ParseError] = []
        numbers: list[int] = []
        for i, line in enumerate(lines):
            item = parse_line(line, i in cut) if cut else parse_line(line)
            if item is not None:
                items.append(item)
                numbers.append(i)
        with self.lock:
            self.engine.set_wall_clock(self.wall_clock())  # the lines' arrival (SPEC 3's future rule)
            self.engine.feeding_file = path
            self.engine.feed_parsed(items)
            future = self.engine.is_future  # SPEC 3: the log view marks what the engine left out
            if origin is None:
                self.ring.extend(items, is_future=future)
            else:
                name, first, skip = origin
                known = next((k for k, i in enumerate(numbers) if i >= skip), len(numbers))
                self.ring.extend(items[:known], is_future=future)
                at = [first + i - skip for i in numbers[known:]]
                self.ring.extend(items[known:], file=name, lines=at, is_future=future)
            self.data_version += 1

    def _on_follow_event(self, ev: FollowEvent) -> None:
        self._event(str(ev))
        with self.lock:
            counters = self.engine.counters
            if counters is not None and ev.kind in (ROTATED, TRUNCATED):
                counters.rotations += 1  # a copytruncate (TRUNCATED) is a rotation too
            if ev.kind in (TRUNCATED, WARNING):
                self.engine.note_warning(ev.path, ev.message)
            if ev.kind != WARNING:
                self.engine.note_file(ev.path)

    def _event(self, text: str) -> None:
        self.event_log.add(text)
        self.data_version += 1

    # -------------------------------------------------------------------------------- alerts
    def _alert_log_wanted(self) -> bool:
        mon = self.config.monitoring
        return mon.alert_log is not None and "log_file" in mon.channels

    def _on_alert(self, record: AlertRecord) -> None:
        """Alerts that fire while following live go to the alert log, and so do their resolutions; an
        alert that fired in the history is not announced, nor is its later resolution."""
        if self.alert_log is None:
            return
        if record.resolved is None:
            if self._live:
                self._announced.add(id(record))
                self.alert_log.write(record)
        elif id(record) in self._announced:
            self._announced.discard(id(record))
            self.alert_log.write(record)
