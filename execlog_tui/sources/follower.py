"""Follow the live file of a log set across rotation, copytruncate and deletion: every line exactly once.

The follower never blocks in `poll()` and owns no thread of its own unless `wait()` is called (then a
watchfiles thread wakes it; a periodic stat is the safety net for lost or coalesced events).

How it stays exact (the rules GNU `tail -F`, Fluent Bit and Filebeat converge on):
- A file is known by (st_dev, st_ino) plus a fingerprint: its first FP_LEN bytes. A reused inode or a
  file rewritten in place changes the fingerprint.
- Rename rotation: the old file is read through the descriptor we keep open, so nothing written to it is
  lost even once it is renamed, compressed or unlinked; it stays "retired" and drained for a grace period
  in case the writer has not reopened yet. Archives that appeared since the last look and whose content
  we never saw (several rotations between two looks) are read from their first byte, decompressing
  `.gz`, oldest first; an archive whose fingerprint matches a file already read is a copy (compression,
  copytruncate) and is skipped.
- copytruncate: the size falls below our offset, or the first bytes changed. The copy logrotate made is
  found by fingerprint and read from our old offset (recovering what was written since our last look);
  then the live file is read from 0, skipping a leading run of NUL bytes (a writer without O_APPEND
  leaves a hole).
"""

from __future__ import annotations

import os
import stat as stat_mod
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from execlog_tui.core.parser import LINE_LIMIT
from execlog_tui.sources.lines import Batch, LineSplitter, SourceWarning
from execlog_tui.sources.logset import RotatedIndex, RotatedName, index_rotated
from execlog_tui.sources.reader import ARCHIVE_HOLD, GZIP_MAGIC, ReadDamage, gzip_chunks, read_head

FP_LEN = 1024  # fingerprint: the first bytes of a file
READ_CHUNK = 1 << 20
MAX_POLL_BYTES = 4 << 20  # per poll() from the live file: a backlog comes in batches of bounded memory
RETIRE_GRACE = 2.0  # seconds an old handle is still drained after a switch (writer not yet reopened)
MAX_RETIRED = 16
# Followers that keep their files open between polls, in one process. The others (a directory of
# thousands of sets) hold no descriptor between polls: each poll reopens its file by name, checks its
# identity, and finds it by identity among the set's members if it was renamed meanwhile.
MAX_HOLDING = 64

# Event kinds (FollowEvent.kind)
WAITING = "waiting-for-file"  # the live file does not exist (yet)
APPEARED = "appeared"  # the live file we were waiting for exists now
ROTATED = "rotated"  # the name now points to a new file; the old one was read to its end
TRUNCATED = "truncated"  # copytruncate or a rewrite: restarted at 0
RECOVERED = "recovered"  # lines written just before a copytruncate were read from logrotate's copy
ARCHIVE_READ = "archive-read"  # a rotated file we had never seen (several rotations between looks)
DELETED = "deleted"  # the live file was unlinked; its handle was read to its end
REAPPEARED = "reappeared"  # after a deletion, a new file exists under the name
DIRECTORY_REPLACED = "directory-replaced"
WARNING = "warning"  # a damaged archive, a cut line, an unreadable file, a name that is not a regular file


@dataclass(frozen=True, slots=True)
class FollowEvent:
    kind: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.message}"


@dataclass(slots=True)
class FollowBatch:
    """What one poll() found: complete new lines in file order across rotations, and what happened."""

    lines: list[str] = field(default_factory=list)
    cut: set[int] = field(default_factory=set)  # indexes into `lines` of lines cut at the line limit
    events: list[FollowEvent] = field(default_factory=list)
    more: bool = False  # stopped at the per-poll byte budget: poll again without waiting

    def __bool__(self) -> bool:
        return bool(self.lines or self.events)


@dataclass(frozen=True, slots=True)
class HistoryLimit:
    """Where history stops and following starts: the live file's identity and the first byte not read.

    The history reader reads the set's members oldest first; on the member whose (st_dev, st_ino) is
    (dev, ino), it reads only bytes [0, offset) and stops there: every member newer than it appeared after
    the follower started and is the follower's to deliver.
    """

    dev: int
    ino: int
    offset: int

    def applies_to(self, st: os.stat_result) -> bool:
        return st.st_dev == self.dev and st.st_ino == self.ino


Ident = tuple[int, int]


def _ident(st: os.stat_result) -> Ident:
    return (st.st_dev, st.st_ino)


def _fp_compatible(a: bytes, b: bytes) -> bool:
    """Two fingerprints may be of the same content: one is a prefix of the other (files grow).

    The common part must hold a whole line (or be a full fingerprint): a few bytes of timestamp prefix
    are shared by every file of the same minute and prove nothing.
    """
    n = min(len(a), len(b))
    return n > 0 and a[:n] == b[:n] and (n == FP_LEN or b"\n" in a[:n])


def _undecided(fp: bytes) -> bool:
    """Too little content to tell what a file is a copy of: empty, or being written (a copy under way)."""
    return len(fp) < FP_LEN and b"\n" not in fp


class _Out:
    """Lines collected during one poll, in order."""

    __slots__ = ("lines", "cut")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cut: list[int] = []

    def take(self, other: _Out) -> None:
        base = len(self.lines)
        self.lines.extend(other.lines)
        self.cut.extend(base + i for i in other.cut)
        other.lines = []
        other.cut = []

    def add(self, batch: Batch | None) -> None:
        if batch is None:
            return
        lines, cut = batch
        if cut:
            base = len(self.lines)
            self.cut.extend(base + i for i in sorted(cut))
        self.lines.extend(lines)


class _Stream:
    """One open file being read: descriptor, identity, offset, fingerprint, line splitting."""

    __slots__ = ("fd", "ident", "offset", "fp", "split", "skip_nuls", "name", "last_growth", "gone")

    def __init__(
        self, fd: int, ident: Ident, name: str, limit: int, warnings: list[SourceWarning], offset: int = 0
    ) -> None:
        self.fd = fd
        self.ident = ident
        self.name = name
        self.offset = offset
        # Line numbers in cut warnings are the file's own only when reading starts at its first byte.
        self.split = LineSplitter(name, warnings, limit, strip_cr=True, numbered=offset == 0)
        self.skip_nuls = False  # right after a truncation: drop a leading run of NUL bytes
        # The first bytes as they are now, even beyond `offset`: a copytruncate before our first read
        # is still recognised (and logrotate's copy matched) by them.
        self.fp = os.pread(fd, FP_LEN, 0)
        self.last_growth = time.monotonic()
        self.gone = False  # deletion reported

    def read(self, out: _Out, budget: int) -> tuple[int, bool]:
        """Read to the end of the file or `budget` bytes; (bytes read, reached end of file)."""
        total = 0
        while total < budget:
            data = os.pread(self.fd, min(READ_CHUNK, budget - total), self.offset)
            if not data:
                if total:
                    self.last_growth = time.monotonic()
                return total, True
            start = self.offset
            known = len(self.fp)
            if known < FP_LEN and start <= known < start + len(data):
                self.fp += data[known - start : FP_LEN - start]
            self.offset += len(data)
            total += len(data)
            if self.skip_nuls:
                data = data.lstrip(b"\0")
                if not data:
                    continue
                self.skip_nuls = False
            out.add(self.split.feed(data))
        self.last_growth = time.monotonic()
        return total, False

    def fp_changed(self) -> bool:
        return bool(self.fp) and os.pread(self.fd, len(self.fp), 0) != self.fp

    def close(self) -> None:
        if self.fd < 0:
            return
        try:
            os.close(self.fd)
        except OSError:
            pass
        self.fd = -1


@dataclass(slots=True)
class _Seen:
    """A member of the set whose content is accounted for (history, or read by us)."""

    fp: bytes
    size: int
    mtime_ns: int


@dataclass(slots=True)
class _Member:
    path: str
    ident: Ident
    size: int
    mtime_ns: int
    key: tuple[int, int]  # oldest first
    plain_twin: bool  # a .gz whose uncompressed twin is still there (compression under way)


def _open_regular(path: str) -> tuple[int, os.stat_result] | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    st = os.fstat(fd)
    if not stat_mod.S_ISREG(st.st_mode):
        os.close(fd)
        return None
    return fd, st


def _line_start_at_end(fd: int, size: int, limit: int) -> tuple[int, bool]:
    """The offset just after the file's last newline (start there: never split the line being written).

    Returns (offset, skip_rest): when the unterminated last line is already longer than the limit, start
    at the end and skip the rest of that line (history has shown it cut).
    """
    if size == 0:
        return 0, False
    n = min(size, limit + 1)
    tail = os.pread(fd, n, size - n)
    j = tail.rfind(b"\n")
    if j >= 0:
        return size - n + j + 1, False
    if n == size:
        return 0, False
    return size, True


class _Listings:
    """Directory listings shared by the followers of one directory, indexed by set name.

    A listing is reused while the directory's mtime is unchanged and was already in the past (by more
    than the coarsest kernel tick) when the listing was taken: a change in the same tick as the listing
    would leave the mtime equal, so such a listing is taken again next time ("racy git"). A thousand
    followers of one directory then cost one stat each per poll, not a listing each."""

    lock = threading.Lock()
    cache: dict[str, tuple[int, RotatedIndex]] = {}
    TRUSTED_AFTER_NS = 2_000_000_000  # a listing taken this long after the mtime it saw is complete

    @classmethod
    def rotated(cls, directory: str, name: str) -> list[tuple[str, RotatedName]] | None:
        """The rotated members of `name` in `directory` now; None when it cannot be listed."""
        try:
            mtime = os.stat(directory).st_mtime_ns
        except OSError:
            return None
        with cls.lock:
            hit = cls.cache.get(directory)
        if hit is not None and hit[0] == mtime:
            return hit[1].get(name, [])
        listed_at = time.time_ns()
        try:
            index = index_rotated(os.listdir(directory))
        except OSError:
            return None
        with cls.lock:
            if listed_at - mtime > cls.TRUSTED_AFTER_NS:
                if len(cls.cache) > 4096:
                    cls.cache.clear()
                cls.cache[directory] = (mtime, index)
            else:
                cls.cache.pop(directory, None)
        return index.get(name, [])


class _Holding:
    """How many followers of this process keep their descriptors between polls (at most MAX_HOLDING)."""

    lock = threading.Lock()
    count = 0

    @classmethod
    def take(cls) -> bool:
        with cls.lock:
            if cls.count >= MAX_HOLDING:
                return False
            cls.count += 1
            return True

    @classmethod
    def give_back(cls) -> None:
        with cls.lock:
            cls.count -= 1


class LogFollower:
    """Follows one live file by name. Drive it with poll() (non-blocking) and wait(timeout).

    The first MAX_HOLDING followers of a process keep their files open between polls; the others close
    them after each poll and reopen them at the next (see `_unpark`), so that following thousands of
    sets needs a bounded number of descriptors."""

    def __init__(
        self,
        path: Path,
        *,
        line_limit: int = LINE_LIMIT,
        start_at_end: bool = False,
        poll_interval: float = 0.25,
        retire_grace: float = RETIRE_GRACE,
        max_poll_bytes: int = MAX_POLL_BYTES,
    ) -> None:
        self.path = Path(path)
        self._spath = os.fspath(self.path)
        self._dir = os.fspath(self.path.parent) or "."
        self._name = self.path.name
        self.line_limit = line_limit
        self.poll_interval = poll_interval
        self.retire_grace = retire_grace
        self.max_poll_bytes = max_poll_bytes
        self._cur: _Stream | None = None
        self._retired: list[_Stream] = []
        self._seen: dict[Ident, _Seen] = {}
        # Fingerprints of content accounted for, kept apart from the inodes: logrotate unlinks a file
        # once compressed and the next copy may get its inode, yet the .gz must still be known.
        self._recent_fps: deque[bytes] = deque(maxlen=256)
        self._waiting_reported = False
        self._was_deleted = False
        self._more = False
        self._closed = False
        self._name_ident: Ident | None = None  # what the name pointed to at the last look
        self._dir_ident = self._stat_ident(self._dir)
        self._dir_sig = self._dir_signature()  # as of the last scan of the directory
        self._watch_thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._changed = threading.Event()
        self._pending_events: list[FollowEvent] = []
        # What the line splitters and the gzip reader found wrong (cut lines, damaged archives), in the
        # words of the history reader: handed out as WARNING events by the next poll.
        self._warnings: list[SourceWarning] = []
        self._holds = _Holding.take()

        # Everything present now is history (the history reader's), never delivered by us.
        for m in self._list_members():
            self._remember(m.ident, self._member_fp(m.path), m.size, m.mtime_ns)
        self.history_limit: HistoryLimit | None = None
        opened = _open_regular(self._spath)
        if opened is not None:
            fd, st = opened
            offset, skip = _line_start_at_end(fd, st.st_size, line_limit) if start_at_end else (0, False)
            self._cur = _Stream(fd, _ident(st), self._spath, line_limit, self._warnings, offset)
            if skip:
                self._cur.split.skip_line()
            self._name_ident = self._cur.ident
            self.history_limit = HistoryLimit(st.st_dev, st.st_ino, offset)
        self._park()

    # -- public API ------------------------------------------------------------------------------

    def poll(self) -> FollowBatch:
        """Read everything new right now; never blocks on the writer."""
        batch = FollowBatch()
        if self._closed:
            return batch
        events = batch.events
        events.extend(self._pending_events)
        self._pending_events.clear()
        early = _Out()  # retired handles, archives, the old file before a switch
        late = _Out()  # the current live file
        self._unpark(early, events)
        self._drain_retired(early, events)
        self._more = False
        if self._cur is None:
            self._open_live(late, events)
        cur = self._cur
        if cur is not None:
            self._check_truncation(cur, late, events)
            _, at_eof = cur.read(late, self.max_poll_bytes)
            if at_eof:
                if self._check_name(early, late, events) and self._dir_sig != self._dir_signature():
                    # Something was created or renamed beside the live file, which is still ours: a
                    # copy made by copytruncate of content we never read (the file was truncated
                    # before we looked). It holds older lines than the live file's new ones.
                    self._scan(early, events)
            else:
                self._more = True
        # A single writer that switched to the new file wrote nothing more to the old one after its
        # first new line, so what the old handles gained meanwhile still precedes `late`.
        self._drain_retired(early, events)
        early.take(late)
        events.extend(FollowEvent(WARNING, w.file, w.message) for w in self._warnings)
        self._warnings.clear()
        batch.lines = early.lines
        batch.cut = set(early.cut)
        batch.more = self._more
        self._park()
        return batch

    def wait(self, timeout: float) -> bool:
        """Block until something may have changed (watchfiles, or the stat safety net) or timeout."""
        if self._closed:
            return False
        if self._more:
            return True
        self._ensure_watcher()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._changed.wait(min(remaining, self.poll_interval)):
                self._changed.clear()
                return True
            if self._stat_changed():
                return True

    def close(self) -> None:
        if not self._closed and self._holds:
            _Holding.give_back()
        self._closed = True
        self._stop.set()
        if self._cur is not None:
            self._cur.close()
            self._cur = None
        for s in self._retired:
            s.close()
        self._retired.clear()
        t = self._watch_thread
        if t is not None:
            t.join(timeout=2.0)

    def __enter__(self) -> LogFollower:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def offset(self) -> int | None:
        """Bytes of the current live file consumed so far (None while waiting for the file)."""
        return None if self._cur is None else self._cur.offset

    # -- descriptors between polls ---------------------------------------------------------------

    def _park(self) -> None:
        """Without a holding slot: close the files between polls (identity and offsets are kept)."""
        if self._holds:
            return
        for s in [self._cur, *self._retired]:
            if s is not None:
                s.close()

    def _unpark(self, out: _Out, events: list[FollowEvent]) -> None:
        """Reopen the files closed by `_park`: by name if it is still the same file, else by identity
        among the set's rotated members (it was renamed meanwhile). A file found nowhere was deleted (or
        compressed away) while closed: what it gained since the last poll cannot be read any more."""
        if self._holds:
            return
        parked = [s for s in [self._cur, *self._retired] if s is not None and s.fd < 0]
        if not parked:
            return
        members: list[_Member] | None = None
        for s in parked:
            fd = self._open_ident(self._spath, s.ident)
            if fd is None:
                if members is None:
                    members = self._list_members()
                fd = next(
                    (f for m in members if m.ident == s.ident and (f := self._open_ident(m.path, s.ident)) is not None),
                    None,
                )
            if fd is not None:
                s.fd = fd
                continue
            if s is self._cur:
                events.append(
                    FollowEvent(
                        WARNING,
                        s.name,
                        f"replaced while not held open (more sets than descriptors kept): lines written to the"
                        f" old file after byte {s.offset:,} may be missing",
                    )
                )
                self._remember(s.ident, s.fp, s.offset, 0)
                self._cur = None
                self._was_deleted = True
            else:
                out.add(s.split.close())
                self._remember(s.ident, s.fp, s.offset, 0)
                self._retired.remove(s)

    @staticmethod
    def _open_ident(path: str, ident: Ident) -> int | None:
        opened = _open_regular(path)
        if opened is None:
            return None
        fd, st = opened
        if _ident(st) != ident:
            os.close(fd)
            return None
        return fd

    # -- the live file ---------------------------------------------------------------------------

    def _open_live(self, out: _Out, events: list[FollowEvent]) -> None:
        opened = _open_regular(self._spath)
        if opened is None:
            self._name_ident = None
            if not self._waiting_reported:
                self._waiting_reported = True
                if os.path.isdir(self._spath):
                    msg = "is a directory, not a log file; waiting for a file with this name"
                elif os.path.exists(self._spath):
                    try:
                        os.close(os.open(self._spath, os.O_RDONLY))
                        msg = "is not a regular file; waiting for a log file with this name"
                    except OSError as e:
                        msg = f"cannot be opened ({e.strerror}); trying again"
                else:
                    msg = "does not exist; waiting for it to appear"
                events.append(FollowEvent(WAITING, self._spath, msg))
            return
        fd, st = opened
        kind = REAPPEARED if self._was_deleted else APPEARED
        # Rotated files that came and went while we were not looking are read first.
        self._scan(out, events, exclude=_ident(st))
        self._cur = _Stream(fd, _ident(st), self._spath, self.line_limit, self._warnings)
        self._name_ident = self._cur.ident
        if self._waiting_reported or self._was_deleted:
            events.append(FollowEvent(kind, self._spath, "following from its first byte"))
        self._waiting_reported = False
        self._was_deleted = False

    def _check_truncation(self, cur: _Stream, out: _Out, events: list[FollowEvent]) -> None:
        try:
            size = os.fstat(cur.fd).st_size
        except OSError:
            return
        if size >= cur.offset and not cur.fp_changed():
            return
        how = f"size {size} below offset {cur.offset}" if size < cur.offset else "its first bytes changed"
        events.append(FollowEvent(TRUNCATED, cur.name, f"truncated or rewritten ({how}); restarted at 0"))
        # Archives that appeared are copies older than the file's new content only while the name
        # still points to it; if it was renamed away too, they are newer and wait for the switch.
        still_named = self._stat_ident(self._spath) == cur.ident
        recovered = self._scan(out, events, truncated=cur, only_copy=not still_named)
        if cur.fp:
            self._recent_fps.append(cur.fp)  # its compressed copy may show up later
        if not recovered:
            # Whatever was written after our last read and before the truncation is gone; a partial
            # line we held cannot be completed by the new content.
            cur.split.reset()
        cur.offset = 0
        cur.fp = b""
        cur.split.discard = False
        cur.split.restart()
        cur.skip_nuls = True

    def _check_name(self, early: _Out, late: _Out, events: list[FollowEvent]) -> bool:
        """Follow the name: switch to the file it points to now. True if it still points to ours."""
        cur = self._cur
        assert cur is not None
        try:
            pst: os.stat_result | None = os.stat(self._spath)
        except OSError:
            pst = None
        if pst is not None and not stat_mod.S_ISREG(pst.st_mode):
            pst = None
        self._name_ident = None if pst is None else _ident(pst)
        if pst is not None and self._name_ident == cur.ident:
            return True
        if pst is None:
            if not cur.gone:
                try:
                    nlink = os.fstat(cur.fd).st_nlink
                except OSError:
                    nlink = 0
                if nlink == 0:
                    cur.gone = True
                    self._was_deleted = True
                    events.append(
                        FollowEvent(DELETED, cur.name, "deleted; read to its end, waiting for it to reappear")
                    )
            return False
        # The name points to another file: finish the old one, then switch to the new one from byte 0.
        cur.read(late, 1 << 62)
        early.take(late)
        dir_ident = self._stat_ident(self._dir)
        opened = _open_regular(self._spath)
        if opened is None:
            return False  # gone again between stat and open: next poll
        fd, st = opened
        new = _Stream(fd, _ident(st), self._spath, self.line_limit, self._warnings)
        self._retire(cur)
        self._cur = None
        if dir_ident != self._dir_ident:
            self._dir_ident = dir_ident
            # A new directory's archives are its own history, not rotations of the file we followed.
            self._seen = {m.ident: _Seen(self._member_fp(m.path), m.size, m.mtime_ns) for m in self._list_members()}
            events.append(
                FollowEvent(
                    DIRECTORY_REPLACED, self._dir, "directory replaced; following the new file from its first byte"
                )
            )
        else:
            self._scan(early, events, exclude=new.ident)
            if cur.gone or self._was_deleted:
                events.append(FollowEvent(REAPPEARED, self._spath, "reappeared; following from its first byte"))
            else:
                events.append(
                    FollowEvent(
                        ROTATED,
                        self._spath,
                        f"rotated (inode {cur.ident[1]} -> {new.ident[1]}); old file read to its end",
                    )
                )
        self._was_deleted = False
        self._cur = new
        self._name_ident = new.ident
        _, at_eof = new.read(late, self.max_poll_bytes)
        if not at_eof:
            self._more = True
        return False

    # -- old handles -----------------------------------------------------------------------------

    def _retire(self, s: _Stream) -> None:
        s.last_growth = time.monotonic()
        self._retired.append(s)
        while len(self._retired) > MAX_RETIRED:
            old = self._retired.pop(0)
            old.close()

    def _drain_retired(self, out: _Out, events: list[FollowEvent]) -> None:
        if not self._retired:
            return
        now = time.monotonic()
        keep: list[_Stream] = []
        for s in self._retired:
            try:
                s.read(out, 1 << 62)
            except OSError as e:
                events.append(FollowEvent(WARNING, s.name, f"read failed: {e.strerror}"))
                s.close()
                continue
            if now - s.last_growth > self.retire_grace:
                out.add(s.split.close())  # a finished file: its last line without a newline counts
                self._remember(s.ident, s.fp, s.offset, 0)
                s.close()
            else:
                keep.append(s)
        self._retired = keep

    # -- archives --------------------------------------------------------------------------------

    def _list_members(self) -> list[_Member]:
        matched = _Listings.rotated(self._dir, self._name)
        if matched is None:
            return []
        found: list[_Member] = []
        plain = {n for n, r in matched if not r.gz}
        for n, r in matched:
            p = os.path.join(self._dir, n)
            try:
                st = os.stat(p)
            except OSError:
                continue
            if not stat_mod.S_ISREG(st.st_mode):
                continue
            twin = r.gz and n[:-3] in plain
            found.append(_Member(p, _ident(st), st.st_size, st.st_mtime_ns, r.age, twin))
        found.sort(key=lambda m: m.key)
        return found

    @staticmethod
    def _member_fp(path: str) -> bytes:
        """The first FP_LEN bytes of a member's content, inflated when it is gzip (by its magic); what
        comes before the damage of a damaged archive."""
        return read_head(Path(path), FP_LEN)[0]

    def _remember(self, ident: Ident, fp: bytes, size: int, mtime_ns: int) -> None:
        self._seen[ident] = _Seen(fp, size, mtime_ns)
        if fp:
            self._recent_fps.append(fp)

    def _known_fps(self) -> list[bytes]:
        fps = list(self._recent_fps)
        fps.extend(s.fp for s in self._seen.values())
        fps.extend(s.fp for s in self._retired)
        if self._cur is not None:
            fps.append(self._cur.fp)
        return fps

    def _scan(
        self,
        out: _Out,
        events: list[FollowEvent],
        *,
        truncated: _Stream | None = None,
        exclude: Ident | None = None,
        only_copy: bool = False,
    ) -> bool:
        """Find archives whose content we never read and read them, oldest first.

        With `truncated`, logrotate's copy of that file is read from its old offset. True if the copy
        was found.
        """
        self._dir_sig = self._dir_signature()
        open_idents = {s.ident: s for s in self._retired}
        if self._cur is not None:
            open_idents[self._cur.ident] = self._cur
        members = self._list_members()
        recovered = False
        if truncated is not None:
            recovered = self._recover_copy(truncated, members, open_idents, out, events)
            if only_copy:
                return recovered
        new: list[tuple[_Member, bytes]] = []
        twins: list[tuple[_Member, bytes]] = []
        for m in members:
            if m.ident == exclude or m.ident in open_idents:
                continue  # the live file, or read through its descriptor
            seen = self._seen.get(m.ident)
            if seen is not None and seen.size == m.size and seen.mtime_ns == m.mtime_ns:
                continue
            fp = self._member_fp(m.path)
            if _undecided(fp):
                # Not recorded: looked at again once it holds a line (logrotate may be copying it now).
                continue
            if seen is not None and _fp_compatible(seen.fp, fp):
                seen.fp, seen.size, seen.mtime_ns = fp, m.size, m.mtime_ns
                continue
            if m.plain_twin:
                # Compression under way: the uncompressed twin is read (SPEC section 2), this is a copy.
                # Remembered after the new archives are read: the half-written copy inflates (salvaged)
                # to the twin's first bytes, which must not make the twin itself look like a copy.
                twins.append((m, fp))
                continue
            new.append((m, fp))
        known = self._known_fps()
        for m, fp in new:
            self._remember(m.ident, fp, m.size, m.mtime_ns)
            if not fp or any(_fp_compatible(k, fp) for k in known):
                continue  # empty, or a copy of content already read (compressed or copied)
            split = LineSplitter(m.path, self._warnings, self.line_limit, strip_cr=True)
            n = self._read_archive(m.path, 0, split, out, events, finish=True, member=m)
            known.append(fp)
            events.append(FollowEvent(ARCHIVE_READ, m.path, f"rotated file never seen before; read {n} bytes"))
        for m, fp in twins:
            self._remember(m.ident, fp, m.size, m.mtime_ns)
        # Forget files that are gone, but lazily: a listing taken while logrotate renames may miss a file
        # that still exists (renamed between listdir and stat), and forgetting it would make its
        # compressed copy look new. A reused inode is told apart by its fingerprint anyway.
        if len(self._seen) > 2 * len(members) + 64:
            present = {m.ident for m in members}
            for ident in [i for i in self._seen if i not in present]:
                del self._seen[ident]
        return recovered

    def _recover_copy(
        self,
        cur: _Stream,
        members: list[_Member],
        open_idents: dict[Ident, _Stream],
        out: _Out,
        events: list[FollowEvent],
    ) -> bool:
        """After a truncation: find logrotate's copy of `cur` (same first bytes) and read it from our offset."""
        best: tuple[tuple[int, int], _Member, bytes] | None = None
        for m in members:
            if m.ident in open_idents or m.plain_twin:
                continue
            seen = self._seen.get(m.ident)
            if seen is not None and seen.size == m.size and seen.mtime_ns == m.mtime_ns:
                fp = seen.fp
            else:
                fp = self._member_fp(m.path)
            if not _fp_compatible(cur.fp, fp):
                continue
            # Prefer an uncompressed copy (its size is comparable), then the largest.
            rank = (0 if m.path.endswith(".gz") else 1, m.size)
            if best is None or rank > best[0]:
                best = (rank, m, fp)
        if best is None:
            return False
        _, m, fp = best
        self._remember(m.ident, fp, m.size, m.mtime_ns)
        n = self._read_archive(m.path, cur.offset, cur.split, out, events, finish=False)
        events.append(
            FollowEvent(RECOVERED, m.path, f"read {n} bytes written before the truncation from logrotate's copy")
        )
        return True

    def _read_archive(
        self,
        path: str,
        skip: int,
        split: LineSplitter,
        out: _Out,
        events: list[FollowEvent],
        *,
        finish: bool,
        member: _Member | None = None,
    ) -> int:
        """Read a rotated file from byte `skip` (of its inflated content) through `split`; bytes read.

        A gzip archive goes through the history reader's inflater: a damaged or truncated one yields
        every complete line before the damage and the history reader's warning."""
        total = 0
        try:
            with open(path, "rb") as raw:
                is_gz = raw.read(2) == GZIP_MAGIC
                if not is_gz:
                    if member is not None and finish:
                        # A plain archive may still receive the writer's last lines: keep it open and
                        # drain it like an old handle.
                        opened = _open_regular(path)
                        if opened is not None:
                            fd, st = opened
                            s = _Stream(fd, _ident(st), path, self.line_limit, self._warnings)
                            s.read(out, 1 << 62)
                            self._retire(s)
                            return s.offset
                    raw.seek(skip)
                    while chunk := raw.read(READ_CHUNK):
                        total += len(chunk)
                        out.add(split.feed(chunk))
                    if finish:
                        out.add(split.close())
                    return total
                raw.seek(0)
                to_skip = skip
                try:
                    # Held as the history reader holds it: a member whose checksum fails gives the
                    # same lines here as in batch and queries (up to its first line that is not an entry).
                    for chunk in gzip_chunks(raw, READ_CHUNK, ARCHIVE_HOLD):
                        if to_skip:
                            if len(chunk) <= to_skip:
                                to_skip -= len(chunk)
                                continue
                            chunk, to_skip = chunk[to_skip:], 0
                        total += len(chunk)
                        out.add(split.feed(chunk))
                except ReadDamage as damage:
                    # As the history reader: the partial line at the fault is dropped (its end never came).
                    split.reset()
                    split.finish_cut_warnings()
                    self._warnings.append(SourceWarning(path, damage.message(split.lines)))
                    return total
        except OSError as e:
            self._warnings.append(SourceWarning(path, f"cannot read: {(e.strerror or str(e)).lower()}"))
        if finish:
            out.add(split.close())
        return total

    # -- waking up -------------------------------------------------------------------------------

    def _dir_signature(self) -> tuple[int | None, tuple[str, ...]]:
        """The directory's mtime and member names: a change means an archive may have appeared.

        Names as well as mtime, because mtime advances in coarse kernel ticks: two changes in one tick
        leave it equal.
        """
        try:
            mtime: int | None = os.stat(self._dir).st_mtime_ns
        except OSError:
            return None, ()
        matched = _Listings.rotated(self._dir, self._name)
        if matched is None:
            return None, ()
        return mtime, tuple(sorted(n for n, _r in matched))

    @staticmethod
    def _stat_ident(path: str) -> Ident | None:
        try:
            return _ident(os.stat(path))
        except OSError:
            return None

    def _stat_changed(self) -> bool:
        """The safety net: has anything we follow changed since the last poll, by stat alone?"""
        try:
            pst: os.stat_result | None = os.stat(self._spath)
        except OSError:
            pst = None
        if (None if pst is None else _ident(pst)) != self._name_ident:
            return True
        for s in [self._cur, *self._retired]:
            if s is None:
                continue
            if s.fd < 0:  # parked between polls: the name still points to it (checked above)
                if s is not self._cur or pst is None or pst.st_size != s.offset:
                    return True
                continue
            try:
                if os.fstat(s.fd).st_size != s.offset:
                    return True
            except OSError:
                return True
        return False

    def _ensure_watcher(self) -> None:
        if self._watch_thread is not None:
            return
        t = threading.Thread(target=self._watch_loop, name=f"follow:{self._name}", daemon=True)
        self._watch_thread = t
        t.start()

    def _watch_loop(self) -> None:
        try:
            import watchfiles
        except ImportError:  # pragma: no cover - stat polling alone still works
            return
        name = self._name

        def filt(_change: object, path: str) -> bool:
            return os.path.basename(path).startswith(name)

        while not self._stop.is_set():
            dir_ident = self._stat_ident(self._dir)
            if dir_ident is None:
                self._stop.wait(self.poll_interval)
                continue
            try:
                for changes in watchfiles.watch(
                    self._dir,
                    watch_filter=filt,
                    debounce=20,
                    step=5,
                    stop_event=self._stop,
                    rust_timeout=500,
                    yield_on_timeout=True,
                    raise_interrupt=False,
                    recursive=False,
                ):
                    if changes:
                        self._changed.set()
                    if self._stat_ident(self._dir) != dir_ident:
                        self._changed.set()
                        break  # the directory was replaced: watch the new one
            except Exception:  # the directory vanished under the watcher, or the backend failed
                self._changed.set()
                self._stop.wait(self.poll_interval)
