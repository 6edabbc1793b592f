"""A live session's history: every member read through `read_history` and the tail kept as the ring
keeps it, in this process or in a child process.

The dashboard reads its history in a child (`read_in_child`): the UI's interpreter then only draws,
and the reading has a core and an interpreter of its own (in the dashboard's own interpreter the two
shared one lock and the history took three times as long as `-b`). The child runs the same
`read_session_history` on an engine of the same configuration and wall clock, and hands back the
engine's state (`MetricsEngine.dump_state`, taken over whole) with the tail: what the session
does with either is the same. A child that cannot start or dies is not an error: the history is then
read in this process.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from execlog_tui.cache.plans import CacheOptions, plans_for
from execlog_tui.core.config import Config
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.lines import Lines
from execlog_tui.core.ringbuffer import classify_lines
from execlog_tui.pipeline import HistoryResult, read_history
from execlog_tui.sources.follower import HistoryLimit
from execlog_tui.sources.logset import LogSet

Progress = Callable[[int, int], None]
_PROGRESS_EVERY_S = 0.05  # a child's progress reports, at most this often (the bar moves smoothly)
# The engine's state so far, at most this often: the panels fill in as the history is read (as they do
# when it is read in the session's process), from the first report on (with a warm cache, the state
# after every archive).
_STATE_EVERY_S = 0.5
STOPPED = 143  # the child's status when it was told to stop (SIGTERM): 128 + 15
# Signals that go to the terminal's whole process group (Ctrl-C, the SSH session's hang-up): the
# dashboard's to act on. The child never sees them (blocked before it starts: the mask is inherited),
# so they neither print its traceback nor end it behind the session's back.
_GROUP_SIGNALS = {signal.SIGINT, signal.SIGHUP, signal.SIGQUIT}


@dataclass(frozen=True, slots=True)
class TailChunk:
    """One member's part of the history's tail (None: lines of several merged sets), as the ring
    keeps it: `count` raw lines from line `first` on, of which the non-blank ones (lines `lo` to
    `hi` - 1 of `text`, which every part of a tail shares) with their flags and line numbers, and
    their newest timestamp (`classify_lines`). `text` is the ring's own compact form: a child hands
    it over as a few chunks of bytes, not 100,000 str objects (a quarter of the pickling), and the
    ring takes those chunks as they are (`RingBuffer.extend_lines`)."""

    name: str | None
    first: int
    count: int
    text: Lines
    lo: int
    hi: int
    flags: bytes
    numbers: array[int]  # not a list: 100,000 ints unpickled from the child were ~3.6 MB for an instant
    newest: int


@dataclass(frozen=True, slots=True)
class SessionHistory:
    result: HistoryResult
    chunks: list[TailChunk]
    workers_failed: bool = False  # the archives were read in one process: no worker could start


def read_session_history(
    history: list[LogSet],
    engine: MetricsEngine,
    *,
    line_limit: int,
    ring_capacity: int,
    stop_at: Sequence[HistoryLimit],
    cache: CacheOptions | None,
    progress: Progress | None = None,
    lock: AbstractContextManager[Any] | None = None,
) -> SessionHistory:
    """Feed the history to `engine` (`read_history`, with the cache's plans) and keep its newest
    `ring_capacity` lines classified for the ring, each member's part with its file and line numbers."""
    tail: deque[str] = deque(maxlen=ring_capacity)
    plans = plans_for(cache, engine.config, line_limit, history) if cache is not None else None
    result = read_history(
        history,
        engine,
        line_limit=line_limit,
        tail=tail,
        progress=progress,
        stop_at=stop_at,
        lock=lock,
        plans=plans,
    )
    # The ring keeps raw lines and a flag byte each: a line is parsed only when its timestamp does not
    # say it is an entry, and no Entry is kept, so the history never holds 100,000 of them.
    lines = list(tail)
    tail.clear()
    parts: list[tuple[str | None, int, list[str]]] = []
    if result.tail_origins and sum(n for _f, _l, n in result.tail_origins) == len(lines):
        at = 0
        for origin, first, n in result.tail_origins:
            parts.append((origin, first, lines[at : at + n]))
            at += n
    elif lines:
        parts.append((None, 0, lines))
    chunks = []
    text = Lines()
    for name, first, part in parts:
        # As fed: the start's wall clock says which are from the future.
        raws, flags, numbers, newest = classify_lines(part, first, engine.is_future)
        lo = text.end
        text.extend(raws)
        chunks.append(TailChunk(name, first, len(part), text, lo, text.end, bytes(flags), array("q", numbers), newest))
    return SessionHistory(result, chunks, plans is not None and plans.stats.workers_failed)


# ------------------------------------------------------------------------------------ the child
@dataclass(frozen=True, slots=True)
class _Job:
    history: list[LogSet]
    files: list[str]  # noted by the session's engine before the history, in that order
    config: Config
    wall_ms: int
    line_limit: int
    ring_capacity: int
    stop_at: Sequence[HistoryLimit]
    cache: CacheOptions | None


def _child(conn: Any, job: _Job) -> None:
    """The child's work: the history on an engine like the session's, its state and the tail sent back
    (or the one-line reason it could not)."""
    with contextlib.suppress(OSError):
        # The dashboard owns the terminal: nothing of the child's may reach it.
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 2)
        os.dup2(fd, 1)
        os.close(fd)

    def stop(_sig: int, _frame: object) -> None:
        # The session is gone (the dashboard quit): end now, the cache's workers first, rather than
        # wait for their archives (a store item is written whole or not at all). Unwinding instead
        # could wait on the workers' pool; the semaphores it leaves are removed by the resource
        # tracker (which the dashboard starts silent: see `prepare_workers`).
        for worker in multiprocessing.active_children():
            worker.kill()
        os._exit(STOPPED)

    signal.signal(signal.SIGTERM, stop)
    # Forked from a dashboard's start, which collects no garbage until its first frame: this reading
    # (a cold one takes seconds) does, but never scans what it was forked with.
    gc.freeze()
    gc.enable()
    engine = MetricsEngine(job.config, wall_ms=job.wall_ms)
    for name in job.files:
        engine.note_file(name)
    sent = [-_STATE_EVERY_S, -_STATE_EVERY_S]  # the last progress report, the last state

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - sent[0] >= _PROGRESS_EVERY_S or done >= total:
            sent[0] = now
            conn.send(("progress", done, total))
        if engine.entries and done < total and now - sent[1] >= _STATE_EVERY_S:
            sent[1] = now
            conn.send(("state", engine.dump_state()))

    try:
        read = read_session_history(
            job.history,
            engine,
            line_limit=job.line_limit,
            ring_capacity=job.ring_capacity,
            stop_at=job.stop_at,
            cache=job.cache,
            progress=progress,
        )
        conn.send(("done", read, engine.dump_state()))
    except Exception as e:  # noqa: BLE001 - said to the session, which reads the history itself
        first = (str(e).splitlines() or [""])[0]
        with contextlib.suppress(OSError, ValueError):
            conn.send(("error", f"{type(e).__name__}: {first}"))
    conn.close()


class ChildFailed(Exception):
    """The history's child process did not read it (the message says why): read it here."""


# What the child sends is ~7 MB for a 100,000-line tail (and ~1 MB for each state on the way): through
# a pipe's default 64 KiB, one read of ~110 for each 64 KiB, and each waits for this interpreter's lock,
# which the interface holds while it lays itself out and draws (up to its 5 ms switch interval each);
# through 1 MiB, seven.
_PIPE_BYTES = 1 << 20


def _widen(conn: Any) -> None:
    """Give the pipe behind `conn` a buffer of `_PIPE_BYTES` where the system allows (Linux); else as is."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is None:
        return
    with contextlib.suppress(OSError, ValueError):
        fcntl.fcntl(conn.fileno(), setsize, _PIPE_BYTES)


class HistoryChild:
    """A child process started on the history (`_child`); `collect` takes its reading over.

    Started by fork only from a process with one thread, before the interface is imported (the
    dashboard's session does so as it starts): the child then needs no interpreter start and no imports
    of its own, which cost more than a warm history's whole reading. Otherwise (a session started later,
    where another thread may hold a lock the child would need) by spawn."""

    def __init__(self, job: _Job, method: str) -> None:
        ctx: Any = multiprocessing.get_context(method)
        ends: list[Any] = []
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _GROUP_SIGNALS)
        try:
            receiver, sender = ends = list(ctx.Pipe(duplex=False))
            _widen(receiver)
            child = ctx.Process(target=_child, args=(sender, job), name="execlog-history", daemon=False)
            child.start()
        except Exception as e:  # noqa: BLE001 - no process, a job that does not pickle...: read it here
            for end in ends:
                end.close()
            first = (str(e).splitlines() or [""])[0]
            raise ChildFailed(f"no child process could start ({type(e).__name__}: {first})") from None
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        sender.close()
        self.method = method
        self._receiver = receiver
        self._process = child

    def collect(
        self, engine: MetricsEngine, *, progress: Progress, lock: AbstractContextManager[Any], stop: threading.Event
    ) -> SessionHistory | None:
        """The child's reading, `engine` (fed nothing yet) taking over the child's engine under `lock`
        as it goes and at the end. None when `stop` was set meanwhile; ChildFailed when the child did
        not finish. Either way `engine` is then as it was. The child is gone when this returns."""
        receiver, child = self._receiver, self._process
        with lock:
            before = engine.dump_state()
        done = False
        try:
            while not stop.is_set():
                if not receiver.poll(0.05):
                    if not child.is_alive() and not receiver.poll(0):
                        if _stopped(child.exitcode) and stop.wait(1.0):
                            return None  # stopped with the session (a signal to all): nothing to read
                        raise ChildFailed(f"its child process ended with status {child.exitcode}")
                    continue
                try:
                    message = receiver.recv()
                except (EOFError, OSError, pickle.UnpicklingError, AttributeError, ImportError) as e:
                    child.join(timeout=1.0)
                    if _stopped(child.exitcode) and stop.wait(1.0):
                        return None
                    why = f"status {child.exitcode}" if child.exitcode is not None else type(e).__name__
                    raise ChildFailed(f"its child process ended ({why})") from None
                kind = message[0]
                if kind == "progress":
                    progress(message[1], message[2])
                elif kind == "state":
                    if isinstance(message[1], bytes):
                        with lock:
                            engine.take_over(message[1])
                elif kind == "error":
                    raise ChildFailed(f"its child process failed: {message[1]}")
                else:
                    _done, read, blob = message
                    if not isinstance(read, SessionHistory) or not isinstance(blob, bytes):
                        raise ChildFailed("its child process sent something else")
                    with lock:
                        engine.take_over(blob)
                    done = True
                    return read
            return None
        finally:
            if not done:
                with lock:
                    engine.take_over(before)  # nothing of a child that did not finish is kept
            self.close()

    def close(self) -> None:
        """End the child (if it still runs) and wait for it."""
        self._receiver.close()
        child = self._process
        if child.is_alive():
            child.terminate()
        child.join(timeout=10.0)
        if child.is_alive():
            child.kill()
            child.join(timeout=1.0)


def start_child(
    history: list[LogSet],
    engine: MetricsEngine,
    *,
    wall_ms: int,
    line_limit: int,
    ring_capacity: int,
    stop_at: Sequence[HistoryLimit],
    cache: CacheOptions | None,
    method: str = "spawn",
) -> HistoryChild:
    """A child started on `read_session_history` for an engine like `engine` (its configuration and
    the files it noted); ChildFailed when none could start."""
    job = _Job(history, list(engine.files), engine.config, wall_ms, line_limit, ring_capacity, stop_at, cache)
    return HistoryChild(job, method)


def can_fork() -> bool:
    """Whether a child may be forked here: on Linux, from a process with no other thread (no lock
    another thread holds is copied into the child held)."""
    return sys.platform == "linux" and threading.active_count() == 1


def _stopped(status: int | None) -> bool:
    """A child ended by a signal to stop (or by its SIGTERM handler), not by a fault of its own."""
    return status in (STOPPED, -signal.SIGTERM)
