"""Following a stream source (standard input, a FIFO): read once from its first byte to its end.

A stream has no rotation, no seek, no inode to hand over by and no history of its own: everything it
delivers is followed. The reading is the history reader's (`read_batches(stream=True)`: gzip by magic,
the line limit, the same warnings), run in a thread because a stream's reads block; `poll()` never
blocks. The interface is `LogFollower`'s, so the session drives both alike.
"""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

from execlog_tui.core.parser import LINE_LIMIT
from execlog_tui.sources.follower import WARNING, FollowBatch, FollowEvent, HistoryLimit
from execlog_tui.sources.lines import Batch, SourceWarning
from execlog_tui.sources.reader import read_batches

ENDED = "ended"  # FollowEvent.kind: the stream reached its end (the writer closed it)
_CHUNK = 64 * 1024  # a pipe delivers what it has: a read returns as soon as any bytes arrive
_QUEUED = 64  # batches read ahead of the consumer: the writer is held back beyond (backpressure)
MAX_POLL_LINES = 50_000


class StreamFollower:
    """Follows a stream from its first byte. Drive it with poll() (non-blocking) and wait(timeout)."""

    history_limit: HistoryLimit | None = None  # a stream has no history to hand over

    def __init__(self, path: Path, *, line_limit: int = LINE_LIMIT) -> None:
        self.path = Path(path)
        self.line_limit = line_limit
        self._name = os.fspath(path)  # `-` for standard input, as the history reader names it
        self._queue: queue.Queue[tuple[Batch | None, list[SourceWarning]]] = queue.Queue(maxsize=_QUEUED)
        self._changed = threading.Event()
        self._stop = threading.Event()
        self._taken = 0
        self._started = False  # the first bytes (or the end) arrived
        self._ended = False
        self._closed = False
        self._more = False
        self._thread = threading.Thread(target=self._read, name=f"stream:{self._name}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        warnings: list[SourceWarning] = []
        try:
            for batch in read_batches(self.path, warnings, self.line_limit, chunk_size=_CHUNK, stream=True):
                if not self._put(batch, warnings):
                    return
                warnings = []
        except Exception as exc:  # noqa: BLE001 - reported as a warning, the session goes on
            warnings.append(SourceWarning(self._name, f"read error: {exc}"))
        self._put(None, warnings)

    def _put(self, batch: Batch | None, warnings: list[SourceWarning]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put((batch, warnings), timeout=0.1)
            except queue.Full:
                continue
            self._changed.set()
            return True
        return False

    def poll(self) -> FollowBatch:
        """Everything the stream delivered since the last poll (complete lines); never blocks."""
        out = FollowBatch()
        if self._closed or self._ended:
            return out
        while len(out.lines) < MAX_POLL_LINES:
            try:
                batch, warnings = self._queue.get_nowait()
            except queue.Empty:
                break
            self._started = True
            out.events.extend(FollowEvent(WARNING, w.file, w.message) for w in warnings)
            if batch is None:
                self._ended = True
                out.events.append(FollowEvent(ENDED, self._name, "end of stream; nothing more will come"))
                break
            lines, cut = batch
            base = len(out.lines)
            out.cut.update(base + i for i in cut)
            out.lines.extend(lines)
            self._taken += sum(map(len, lines))
        self._more = not self._queue.empty()
        out.more = self._more
        return out

    def wait(self, timeout: float) -> bool:
        """Block until the stream delivered something (or ended), or timeout (an ended stream: the
        timeout, so a caller's loop does not spin)."""
        if self._closed:
            return False
        if self._more:
            return True
        if self._changed.wait(timeout):
            self._changed.clear()
            return True
        return False

    def close(self) -> None:
        """Stop taking from the stream. A read blocked on a silent writer ends with the process (the
        thread is a daemon): a pipe's read cannot be interrupted from another thread."""
        self._closed = True
        self._stop.set()

    @property
    def offset(self) -> int | None:
        """Characters of lines taken so far; None until the stream delivered anything."""
        return self._taken if self._started else None

    @property
    def ended(self) -> bool:
        return self._ended
