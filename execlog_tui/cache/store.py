"""The derived-data store (SPEC 12): files in the user's cache directory, each checked before use.

Layout: `<dir>/<kind>/<key[:2]>/<key>.<kind>`, where the key is the SHA-256 of the archive's bytes (so a
rotation that renames the file still finds it, and a file rewritten in place never does) and of what
else the item depends on (`fingerprint`); the key found is remembered under the archive's stat (kind
`ident`, see content_key). An item file is a header (magic, format, payload length,
BLAKE2b digest of the payload) and the payload. It is written to a temporary file in the same directory
and renamed into place, so a reader sees a whole file or none; one that is short, fails its digest,
is of another format or belongs to another user is ignored (and replaced by the next write). The
directory is mode 0700 and files 0600: they hold log text. Using an item touches its mtime; `prune`
removes the least recently used items until the store fits its size limit.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import struct
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from execlog_tui import __version__

_MAGIC = b"EXLGTOP\x00"
_HEADER = struct.Struct("<8sIQ32s")  # magic, store format, payload length, digest
STORE_FORMAT = 1
IDENT_KIND = "ident"  # an archive's key remembered under its stat (content_key)
KINDS = ("plan", "state", "live", "parquet", "livepq", "replay", IDENT_KIND)
SETTLED_S = 2.0  # seconds since a file's last change before its key is remembered
SAMPLE = 64 * 1024  # bytes read at each end of a remembered archive to check it
DEFAULT_LIMIT_SHARE = 0.25  # of the archives' uncompressed size, when no limit is given
_SUB = re.compile(r"[0-9a-f]{2}")
_KEY = re.compile(r"[0-9a-f]{64}")
_ITEM = re.compile(r"[0-9a-f]{64}(-[a-z0-9]+)?\.[a-z]+")
MIN_LIMIT = 64 * 1024 * 1024


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "execlog-top"


def content_key(path: Path, fingerprint: str, store: CacheStore | None = None) -> tuple[str, os.stat_result] | None:
    """The key of the archive at `path` (None when it cannot be read), with its stat as hashed: a caller
    that reads it afterwards compares the stat again to know it read the same file.

    The key is a SHA-256 of the file's bytes. With `store`, the key found for a file is remembered (one
    item per file and fingerprint, by device and inode) with the file's full stat (size, mtime and ctime
    in nanoseconds: git's index check) and a sample of its content (SAMPLE bytes at each end: a gzip
    archive's last 8 are the CRC-32 and size of all it inflates to); a later run uses it, reading only
    the sample, when both still match. Any write to the file, any chmod, rename or link changes its
    ctime, which no program can set back, so a file rewritten in place (even with its mtime restored) is
    hashed again, and so is one renamed by rotation (once); the sample stands guard where a file system
    keeps no real ctime (sshfs reports the mtime). A file is remembered only when SETTLED_S have passed
    since its last change (a write within the file system's clock tick would not show in its stat) and
    its stat did not change while it was hashed."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            memo = None
            if store is not None and time.time() - max(st.st_mtime, st.st_ctime) > SETTLED_S:
                memo = _memo_key(fingerprint, st)
                known = _remembered(store.load(IDENT_KIND, memo), st)
                if known is not None and known[1] == _sample(f, st.st_size):
                    return known[0], st
            f.seek(0)
            h = hashlib.sha256()
            h.update(f"{__version__}\0{fingerprint}\0".encode())
            while chunk := f.read(1 << 20):
                h.update(chunk)
            after = os.fstat(f.fileno())
            sample = _sample(f, st.st_size) if memo is not None else ""
    except OSError:
        return None
    key = h.hexdigest()
    if memo is not None and store is not None and _full_stat(after) == _full_stat(st):
        store.save(IDENT_KIND, memo, json.dumps({"stat": _full_stat(st), "key": key, "sample": sample}).encode())
    return key, st


def _full_stat(st: os.stat_result) -> list[int]:
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _memo_key(fingerprint: str, st: os.stat_result) -> str:
    ident = "\0".join(map(str, ("ident", __version__, fingerprint, st.st_dev, st.st_ino)))
    return hashlib.sha256(ident.encode()).hexdigest()


def _remembered(payload: bytes | None, st: os.stat_result) -> tuple[str, str] | None:
    """The key and sample remembered for the file `st` describes, when the item is for this very stat."""
    if payload is None:
        return None
    try:
        item = json.loads(payload)
        key, sample = item["key"], item["sample"]
        if item["stat"] != _full_stat(st) or not isinstance(key, str) or not _KEY.fullmatch(key):
            return None
    except (ValueError, KeyError, TypeError):
        return None
    return (key, sample) if isinstance(sample, str) else None


def _sample(f: BinaryIO, size: int) -> str:
    """A SHA-256 of the file's first and last SAMPLE bytes (all of it when smaller)."""
    h = hashlib.sha256()
    f.seek(0)
    h.update(f.read(min(size, SAMPLE)))
    if size > SAMPLE:
        f.seek(max(SAMPLE, size - SAMPLE))
        h.update(f.read(SAMPLE))
    return h.hexdigest()


def same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns) == (b.st_dev, b.st_ino, b.st_size, b.st_mtime_ns)


@dataclass(frozen=True, slots=True)
class KindInfo:
    kind: str
    items: int
    bytes: int


class CacheStore:
    def __init__(self, directory: Path | None = None, limit: int | None = None) -> None:
        # Absolute: a relative --cache-dir is the directory it names now, whatever is made inside it.
        self.dir = (directory if directory is not None else default_dir()).absolute()
        self.limit = limit
        self.write_errors = 0  # saves that failed (read-only or full directory): the run goes on

    # ------------------------------------------------------------------------------ paths
    def _ensure(self, path: Path) -> bool:
        """`path` (inside the store) and the store's directories, each made mode 0700; a store
        directory of another user is not written to, and one of ours open to others is closed."""
        try:
            self.dir.parent.mkdir(parents=True, exist_ok=True)
            if self.dir.is_dir():
                st = self.dir.stat()
                if st.st_uid != os.getuid():
                    return False
                if st.st_mode & 0o077:
                    os.chmod(self.dir, 0o700)
            for d in (self.dir, *reversed(path.relative_to(self.dir).parents[:-1]), path):
                target = d if d.is_absolute() else self.dir / d
                if not target.is_dir():
                    target.mkdir(mode=0o700, exist_ok=True)
            return True
        except (OSError, ValueError):
            return False

    def item_path(self, kind: str, key: str) -> Path:
        return self.dir / kind / key[:2] / f"{key}.{kind}"

    def _trusted(self, path: Path) -> bool:
        """Ours and private: a file of another user (or readable by others) is not used."""
        try:
            st = path.stat()
        except OSError:
            return False
        return st.st_uid == os.getuid() and not st.st_mode & 0o077

    # ------------------------------------------------------------------------------ items
    def load(self, kind: str, key: str) -> bytes | None:
        """The payload of an item, or None when there is none or it does not pass its checks."""
        path = self.item_path(kind, key)
        if not self._trusted(path):
            return None
        try:
            with open(path, "rb") as f:
                head = f.read(_HEADER.size)
                if len(head) != _HEADER.size:
                    return None
                magic, fmt, length, digest = _HEADER.unpack(head)
                if magic != _MAGIC or fmt != STORE_FORMAT or length > os.fstat(f.fileno()).st_size:
                    return None
                payload = f.read(length + 1)
        except OSError:
            return None
        if len(payload) != length or hashlib.blake2b(payload, digest_size=32).digest() != digest:
            return None
        self.touch(path)
        return payload

    def save(self, kind: str, key: str, payload: bytes) -> bool:
        """Store an item atomically; False (and counted) when the directory cannot take it."""
        path = self.item_path(kind, key)
        digest = hashlib.blake2b(payload, digest_size=32).digest()
        return self._write(path, [_HEADER.pack(_MAGIC, STORE_FORMAT, len(payload), digest), payload])

    def _write(self, path: Path, parts: list[bytes]) -> bool:
        if not self._ensure(path.parent):
            self.write_errors += 1
            return False
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # mode 0600
            with os.fdopen(fd, "wb") as f:
                for part in parts:
                    f.write(part)
            os.replace(tmp, path)
            return True
        except OSError:
            self.write_errors += 1
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            return False

    def new_file(self, kind: str, key: str) -> tuple[Path, Path] | None:
        """A temporary path beside the item's for a writer of its own (DuckDB's COPY), and the item's
        path to rename it to when it is complete; None when the directory cannot take it."""
        path = self.item_path(kind, key)
        if not self._ensure(path.parent):
            self.write_errors += 1
            return None
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        os.close(fd)
        return Path(tmp), path

    def existing(self, kind: str, key: str) -> Path | None:
        """An item written whole by another writer (renamed into place), trusted by owner and mode."""
        path = self.item_path(kind, key)
        if not self._trusted(path):
            return None
        self.touch(path)
        return path

    @staticmethod
    def touch(path: Path) -> None:
        try:
            os.utime(path)
        except OSError:
            pass

    # ------------------------------------------------------------------------------ whole store
    def _subdirs(self, kind: str) -> list[os.DirEntry[str]]:
        """The store's `<kind>/<2 hex>/` directories: real directories, never a link."""
        try:
            return [
                e for e in os.scandir(self.dir / kind) if e.is_dir(follow_symlinks=False) and _SUB.fullmatch(e.name)
            ]
        except OSError:
            return []

    def _items(self) -> Iterator[tuple[str, Path, os.stat_result]]:
        """The store's own files: regular files (never through a symbolic link) of this user, named
        as items (`<64 hex>.<kind>`, `<64 hex>-<variant>.<kind>`) or temporary files (`.tmp-*`), in
        its `<kind>/<2 hex>/` directories. Nothing else found there is ever counted or removed."""
        uid = os.getuid()
        for kind in KINDS:
            for sub in self._subdirs(kind):
                try:
                    entries = list(os.scandir(sub.path))
                except OSError:
                    continue
                for e in entries:
                    if not (e.name.startswith(".tmp-") or _ITEM.fullmatch(e.name)):
                        continue
                    try:
                        st = e.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISREG(st.st_mode) and st.st_uid == uid:
                        yield kind, Path(e.path), st

    def info(self) -> list[KindInfo]:
        counts = {k: [0, 0] for k in KINDS}
        for kind, p, st in self._items():
            if p.name.startswith(".tmp-"):
                continue
            counts[kind][0] += 1
            counts[kind][1] += st.st_size
        return [KindInfo(k, n, b) for k, (n, b) in counts.items()]

    def prune(self, limit: int | None = None) -> int:
        """Remove least recently used items until the store holds at most `limit` bytes (and any
        temporary file older than an hour); returns the bytes removed."""
        limit = self.limit if limit is None else limit
        items = list(self._items())
        removed = 0
        now = max((st.st_mtime for _k, _p, st in items), default=0)
        kept = []
        for _kind, p, st in items:
            if p.name.startswith(".tmp-"):
                if now - st.st_mtime > 3600:
                    removed += _unlink(p, st)
                continue
            kept.append((st.st_mtime, st.st_size, p))
        if limit is None:
            return removed
        total = sum(size for _m, size, _p in kept)
        for _mtime, size, p in sorted(kept):
            if total <= limit:
                break
            try:
                p.unlink()
                total -= size
                removed += size
            except OSError:
                continue
        return removed

    def clear(self) -> int:
        """Remove every item of the store (its own files only, see `_items`, then the directories
        left empty); returns the bytes removed."""
        removed = 0
        for _kind, p, st in list(self._items()):
            removed += _unlink(p, st)
        for kind in KINDS:
            for sub in self._subdirs(kind):
                try:
                    os.rmdir(sub.path)
                except OSError:
                    pass
            try:
                (self.dir / kind).rmdir()
            except OSError:
                pass
        return removed


def _unlink(p: Path, st: os.stat_result) -> int:
    try:
        p.unlink()
        return st.st_size
    except OSError:
        return 0
