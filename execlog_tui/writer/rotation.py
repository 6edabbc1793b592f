"""The archives of one log set on disk: shifting, retention, crash recovery and safe compression.

Every function here that changes names runs with the set's lock file held exclusively (see
`logger.py`), so that renames, commits of compressed archives and deletions never race each other,
whichever process or thread performs them. Compression itself runs without that lock.

Why not `logging.handlers.BaseRotatingHandler` with a `namer` and a `rotator`: its `doRollover` is
per-process (no lock between processes), calls the rotator synchronously inside `emit` (a 100 MB gzip
would stall the service), and shifts `.N` names by testing which ones exist, so it cannot handle an
archive that is compressed while the next rotation shifts it. The naming it would produce is kept:
`NAME.1`, `NAME.2.gz`, ...
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import zlib
from dataclasses import dataclass, field
from types import ModuleType

_zlib: ModuleType  # the same API either way: compressobj, Z_SYNC_FLUSH, ...
try:  # isal's igzip is about 3x faster than zlib at the same ratio as zlib level 1-3.
    from isal import isal_zlib

    _zlib = isal_zlib
    _DEFAULT_LEVEL = 2
except ImportError:  # pragma: no cover - isal is a dependency, zlib the fallback
    _zlib = zlib
    _DEFAULT_LEVEL = 6

CHUNK = 1 << 20
TMP_SUFFIX = ".gz.tmp"


@dataclass(slots=True)
class Slot:
    """What exists at one archive index: `NAME.K`, `NAME.K.gz`, or (after a crash) both."""

    plain: bool = False
    gz: bool = False


@dataclass(slots=True)
class Claim:
    """A compression in progress: the source archive, its inode, and the locked temporary file."""

    index: int
    src_fd: int
    tmp_path: str
    tmp_fd: int
    inode: tuple[int, int]
    times: tuple[float, float] = field(default=(0.0, 0.0))


def archive_path(path: str, index: int, gz: bool) -> str:
    return f"{path}.{index}.gz" if gz else f"{path}.{index}"


def tmp_path_for(path: str, index: int) -> str:
    return f"{path}.{index}{TMP_SUFFIX}"


def _name_re(path: str) -> re.Pattern[str]:
    return re.compile(re.escape(os.path.basename(path)) + r"\.([0-9]+)(\.gz)?(\.gz\.tmp)?")


def scan(path: str) -> tuple[dict[int, Slot], list[str]]:
    """Archives of `path` by index, and the temporary files of compressions (live or orphaned)."""
    directory = os.path.dirname(path) or "."
    pattern = _name_re(path)
    slots: dict[int, Slot] = {}
    tmps: list[str] = []
    for name in os.listdir(directory):
        m = pattern.fullmatch(name)
        if m is None:
            continue
        index = int(m.group(1))
        if m.group(3):
            if not m.group(2):
                tmps.append(os.path.join(directory, name))
            continue
        if index < 1:
            continue
        slot = slots.setdefault(index, Slot())
        if m.group(2):
            slot.gz = True
        else:
            slot.plain = True
    return slots, tmps


def fsync_dir(path: str) -> None:
    fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def remove_orphan_tmps(tmps: list[str]) -> int:
    """Delete temporary files whose compressor is gone (its flock died with it); keep live ones."""
    removed = 0
    for tmp in tmps:
        try:
            fd = os.open(tmp, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)  # a compressor in some process holds it: not ours to remove
            continue
        try:
            _unlink(tmp)
            removed += 1
        finally:
            os.close(fd)
    return removed


def resolve_duplicates(path: str, slots: dict[int, Slot]) -> None:
    """`NAME.K` and `NAME.K.gz` both present (a crash between commit and unlink): SPEC section 2 says
    readers read `NAME.K`, so the plain file is the truth; the `.gz` goes and is made again later."""
    for index, slot in slots.items():
        if slot.plain and slot.gz:
            _unlink(archive_path(path, index, True))
            slot.gz = False


def shift(path: str, slots: dict[int, Slot], backups: int) -> None:
    """Make room for a new `NAME.1`: drop what would pass `backups`, then rename each index up by one,
    oldest first so that no rename lands on an existing name."""
    for index in sorted(slots, reverse=True):
        slot = slots[index]
        if index >= backups:
            for gz in (False, True):
                if slot.gz if gz else slot.plain:
                    _unlink(archive_path(path, index, gz))
            continue
        for gz in (False, True):
            if slot.gz if gz else slot.plain:
                os.rename(archive_path(path, index, gz), archive_path(path, index + 1, gz))


def expire(path: str, slots: dict[int, Slot], backups: int, max_age_s: float | None, now: float) -> list[str]:
    """Retention: no archive past index `backups`, none modified more than `max_age_s` ago."""
    removed: list[str] = []
    for index, slot in slots.items():
        for gz in (False, True):
            if not (slot.gz if gz else slot.plain):
                continue
            name = archive_path(path, index, gz)
            too_old = False
            if max_age_s is not None:
                try:
                    too_old = os.stat(name).st_mtime < now - max_age_s
                except FileNotFoundError:
                    continue
            if index > backups or too_old:
                _unlink(name)
                removed.append(name)
    return removed


def claim_next(path: str, first_index: int, skip: set[int]) -> Claim | None:
    """Pick the newest plain archive from `first_index` on that nobody compresses yet, and claim it by
    creating its temporary file exclusively and locking it (the lock tells recovery it is alive)."""
    slots, _ = scan(path)
    for index in sorted(slots):
        slot = slots[index]
        if index < first_index or index in skip or not slot.plain or slot.gz:
            continue
        tmp = tmp_path_for(path, index)
        try:
            tmp_fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            skip.add(index)  # another compressor is on it (orphans were removed on start)
            continue
        fcntl.flock(tmp_fd, fcntl.LOCK_EX)
        try:
            src_fd = os.open(archive_path(path, index, False), os.O_RDONLY)
        except FileNotFoundError:
            os.close(tmp_fd)
            _unlink(tmp)
            continue
        st = os.fstat(src_fd)
        return Claim(index, src_fd, tmp, tmp_fd, (st.st_dev, st.st_ino), (st.st_atime, st.st_mtime))
    return None


def compress_into(claim: Claim, level: int | None = None) -> None:
    """Gzip the claimed source into its temporary file and fsync it. Raises OSError (disk full...)."""
    comp = _zlib.compressobj(_DEFAULT_LEVEL if level is None else level, _zlib.DEFLATED, 31)
    write = _write_all
    while True:
        chunk = os.read(claim.src_fd, CHUNK)
        if not chunk:
            break
        out = comp.compress(chunk)
        if out:
            write(claim.tmp_fd, out)
    write(claim.tmp_fd, comp.flush())
    # The archive keeps its source's age, so retention by age still sees when its lines were written.
    os.utime(claim.tmp_fd, claim.times)
    os.fsync(claim.tmp_fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:  # pragma: no cover - a regular file either writes or raises
            raise OSError(errno.EIO, "short write")
        view = view[n:]


def commit(path: str, claim: Claim) -> str | None:
    """Put a finished `.gz` in place of its source, wherever rotations have shifted it meanwhile:
    rename the fsynced temporary file, make the rename durable, and only then unlink the source.
    Returns the archive's new name, or None when the source is gone (retention removed it)."""
    slots, _ = scan(path)
    for index in sorted(slots):
        slot = slots[index]
        if not slot.plain or slot.gz:
            continue
        src = archive_path(path, index, False)
        try:
            st = os.stat(src)
        except FileNotFoundError:
            continue
        if (st.st_dev, st.st_ino) != claim.inode:
            continue
        dest = archive_path(path, index, True)
        os.rename(claim.tmp_path, dest)
        fsync_dir(path)
        os.unlink(src)
        return dest
    _unlink(claim.tmp_path)
    return None


def release(claim: Claim, remove_tmp: bool) -> None:
    if remove_tmp:
        _unlink(claim.tmp_path)
    for fd in (claim.src_fd, claim.tmp_fd):
        try:
            os.close(fd)
        except OSError:
            pass
