"""The kept columnar copy of the live file's first lines, for queries (SPEC 12).

The live file only grows until rotation renames it away, so the rows of its first bytes stay what they
were. After a query read it, its rows up to its last complete line (byte offset `size`, `lines` lines)
are kept as a Parquet file with the columns of an archive's copy (columnar.py, the same SQL), with the
digest of those bytes (cache/digest.PrefixDigest). A later query hashes the same bytes of its live file
and, when they match, the views read the copy for lines 1..`lines` and only the bytes after `size` fresh
(the tail): those are copied into the query's scratch directory as they are read (the bytes judged are
the bytes hashed) and judged there by the same SQL as any file (load._fast_sql, lines numbered on from
`lines` + 1), or by the project's reader and parser when DuckDB cannot read them as the reader would. A
live file shorter than its copy or rewritten in place (the hash differs), a compressed one, or no store
(--no-cache): the file is read whole, as without a copy; one grown by more than TAIL_MAX since its copy
is judged whole into a new copy (the scratch directory may be small). Nothing the reader's slow path
read is ever kept (its warnings would be lost), nor a prefix that ends inside a line.

Keyed by the file's identity (device, inode) and what its rows depend on (the line limit, the grammar
and SQL, this module's and columnar's formats, the package's version; DuckDB's version is in the item,
checked once DuckDB is imported, so that the file is hashed while it is), not by the archives: its rows
do not depend on them, and a rotation makes another live file (another inode) anyway; whatever the
identity finds is checked by the hash. The key names a side item (store.save, checksummed) with size,
lines, digest and the Parquet file's key, size and CRC-32; the Parquet file's key is of the prefix it
holds (its end and digest), so a copy replaced by another instance is never read for the one this query
checked (it is deleted: that query then fails over to reading the file whole, as when a prune removes a
copy, load.demote_failing).

A first copy is judged by DuckDB from the live file itself (a pass it needed anyway), limited to the
lines of the prefix hashed before; the prefix is hashed again after the COPY and kept only when both
hashes agree. When the tail's complete lines grow past REKEEP_MIN bytes and an eighth of the copy, a new
copy is written from the old copy's rows and the tail's (no pass over the bytes kept).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from execlog_tui import __version__
from execlog_tui.cache.digest import PrefixDigest, feed, file_checksum
from execlog_tui.cache.store import CacheStore
from execlog_tui.query import columnar, sqlengine
from execlog_tui.query.reports import sql_literal
from execlog_tui.sources.reader import GZIP_MAGIC

KIND = "livepq"
# Bump when what a live copy holds changes without columnar's or load.py's SQL changing.
LIVE_FORMAT = 2
REKEEP_MIN = 4 << 20  # bytes of complete lines after the copy before it is extended (and REKEEP_SHARE)
REKEEP_SHARE = 8  # ... and at least 1/REKEEP_SHARE of the copy's size
# The most bytes after a copy that are copied into the scratch directory (TMPDIR, maybe small): a file
# grown by more is judged whole again, into a new copy (one slow query after a long pause).
TAIL_MAX = 64 << 20
_CHUNK = 1 << 20
_HEX64 = re.compile(r"[0-9a-f]{64}")
TAIL_NAME = "live-tail"


def fingerprint(line_limit: int, rules: str) -> str:
    """What a copy's rows depend on besides the file's bytes, but DuckDB's version: that is checked in the
    item (`Prefix.duckdb`), so that the file can be looked up and hashed before DuckDB is imported."""
    h = hashlib.sha256(
        f"{LIVE_FORMAT}\0{__version__}\0{columnar.COPY_FORMAT}\0{line_limit}\0{columnar.copy_select('')}\0{rules}".encode()
    )
    return "live-" + h.hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Prefix:
    """A kept copy: the rows of the live file's first `size` bytes (`lines` lines, the last byte a newline)."""

    path: Path  # the Parquet file in the store
    key: str
    size: int
    lines: int
    digest: str  # PrefixDigest of those bytes
    duckdb: str  # the version of DuckDB that judged them


@dataclass(slots=True)
class LiveRead:
    """How the views read the live file: the kept copy (None: the file whole) and the bytes after it."""

    name: str  # the live file's display name
    path: Path
    ident: str  # the side item's key
    st: os.stat_result  # the live file as opened
    prefix: Prefix | None  # the copy the views read
    found: Prefix | None  # the copy the store held (checked), replaced when a new one is kept
    start: int  # the tail's first byte (the end of the copy the tail file continues)
    base_lines: int  # the lines before `start`
    end: int  # one past the tail's last byte read
    tail: Path | None  # bytes [start, end) copied into the scratch directory (None: none)
    complete: int  # the end of the last complete line before `end`
    complete_lines: int
    digest: str  # PrefixDigest of bytes [0, complete)
    tail_sql: str | None = None  # the tail's judged lines (load._FILE_SQL), numbered in the whole file
    tail_slow: bool = False  # the tail's rows are in the tail tables (the reader's path read it)

    def rekeep(self) -> bool:
        """Whether the tail's complete lines are enough to write a longer copy now."""
        if self.prefix is None or self.tail_sql is None:
            return False
        grown = self.complete - self.prefix.size
        return grown >= REKEEP_MIN and grown * REKEEP_SHARE >= self.prefix.size


def _ident(fp: str, st: os.stat_result) -> str:
    return hashlib.sha256(f"livepq\0{fp}\0{st.st_dev}\0{st.st_ino}".encode()).hexdigest()


def _rows_key(ident: str, size: int, digest: str) -> str:
    return hashlib.sha256(f"livepq-rows\0{ident}\0{size}\0{digest}".encode()).hexdigest()


def lookup(store: CacheStore, ident: str) -> tuple[Prefix | None, bool]:
    """The copy kept under `ident` when it passes its checks (the side item's, then the Parquet file's
    size and CRC-32), and whether a kept one failed them (it is then deleted)."""
    payload = store.load(KIND, ident)
    if payload is None:
        return None, False
    try:
        item = json.loads(payload)
        key, size, lines, digest, version = item["rows"], item["size"], item["lines"], item["digest"], item["duckdb"]
        want = [item["rows_size"], item["rows_crc32"]]
        if not (
            isinstance(key, str)
            and _HEX64.fullmatch(key)
            and type(size) is int
            and type(lines) is int
            and isinstance(digest, str)
            and isinstance(version, str)
            and 0 < lines <= size
        ):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        columnar.unlink(store.item_path(KIND, ident))
        return None, True
    path = store.existing(KIND, key)
    got = file_checksum(path) if path is not None else None
    if path is None or got is None or [got[0], got[1]] != want:
        columnar.unlink(store.item_path(KIND, key))
        columnar.unlink(store.item_path(KIND, ident))
        return None, True
    return Prefix(path, key, size, lines, digest, version), False


def probe(
    store: CacheStore, fp: str, path: Path, name: str, tail: Path, use_kept: bool = True
) -> tuple[LiveRead | None, bool]:
    """In a thread: the live file's kept copy when its bytes are still those, and the bytes after it
    copied to the file `tail` (in the query's scratch directory); without one (a first query, a file
    rewritten), where its last complete line ends, hashed, for a copy to be built. None: nothing to
    keep or to use (compressed, empty, no complete line, unreadable). The bool: a kept copy failed
    its checks. `use_kept` False: a kept copy is not used (made by another DuckDB), only replaced."""
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed by the `with` below; failing to open reads as without a copy
    except OSError:
        return None, False
    try:
        with f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or f.read(2) == GZIP_MAGIC:
                return None, False
            ident = _ident(fp, st)
            found, damaged = lookup(store, ident)
            h = PrefixDigest()
            prefix = None
            if use_kept and found is not None and found.size <= st.st_size <= found.size + TAIL_MAX:
                f.seek(0)
                if feed(f, h, found.size) and h.hexdigest() == found.digest:
                    prefix = found
                else:
                    h = PrefixDigest()
            start, lines = (prefix.size, prefix.lines) if prefix is not None else (0, 0)
            out = open(tail, "wb") if prefix is not None else None  # noqa: SIM115 - closed below
            try:
                f.seek(start)
                pos = complete = start
                complete_lines = lines
                at_complete = h.copy()
                while pos < st.st_size:
                    chunk = f.read(min(_CHUNK, st.st_size - pos))
                    if not chunk:
                        break  # shorter than when it was opened: read as far as it goes
                    if out is not None:
                        out.write(chunk)
                    view = memoryview(chunk)
                    nl = chunk.rfind(b"\n")
                    if nl >= 0:
                        h.update(view[: nl + 1])
                        at_complete = h.copy()
                        h.update(view[nl + 1 :])
                        complete = pos + nl + 1
                        complete_lines += chunk.count(b"\n")
                    else:
                        h.update(view)
                    pos += len(chunk)
                end = pos
                if prefix is None:
                    if complete == 0 or end - complete > TAIL_MAX:
                        return None, damaged  # no complete line (or a huge last one): nothing to keep
                    # The tail: what follows the last complete line, which the new copy will hold.
                    out = open(tail, "wb")  # noqa: SIM115 - closed below
                    start, lines = complete, complete_lines
                    f.seek(complete)
                    left = end - complete
                    while left > 0:
                        chunk = f.read(min(_CHUNK, left))
                        if not chunk:
                            end = complete + (end - complete - left)
                            break
                        out.write(chunk)
                        left -= len(chunk)
                if end > start:
                    f.seek(start)
                    if f.read(2) == GZIP_MAGIC:
                        # Its tail would read as a compressed file of its own: the file is read whole.
                        return None, damaged
            finally:
                if out is not None:
                    out.close()
    except OSError:
        return None, False
    return (
        LiveRead(
            name,
            path,
            ident,
            st,
            prefix,
            found,
            start,
            lines,
            end,
            tail if end > start else None,
            complete,
            complete_lines,
            at_complete.hexdigest(),
        ),
        damaged,
    )


def numbered(judged: str, base_lines: int) -> str:
    """A tail's judged lines (load._FILE_SQL over its copy) with the line numbers of the whole file."""
    return f"SELECT * REPLACE (line + {int(base_lines)} AS line) FROM ({judged})"


def keep(con: Any, store: CacheStore, live: LiveRead, judged: str) -> Prefix | None:
    """Write a copy of the live file's lines 1..`complete_lines` and make it the one kept: from the
    file itself (`judged`: its judged lines, load._FILE_SQL) when there is no copy yet, else from the
    copy's rows and the tail's (`judged`: the tail's, `numbered`). None when DuckDB fails on the lines,
    the store cannot take the copy or (a first copy) the file's first bytes changed while it was read."""
    duckdb = sqlengine.duckdb()  # imported by the caller already

    upto = f"SELECT * FROM ({judged}) WHERE line <= {int(live.complete_lines)}"
    if live.prefix is None:
        select = columnar.copy_select(upto)
    else:
        select = f"SELECT * FROM read_parquet({sql_literal(str(live.prefix.path))}) UNION ALL " + columnar.copy_select(
            upto
        )
    key = _rows_key(live.ident, live.complete, live.digest)
    try:
        slot = store.new_file(KIND, key)  # None (and counted) when the directory cannot take it
    except OSError:  # a directory that exists but takes no file (read-only, full)
        store.write_errors += 1
        slot = None
    if slot is None:
        return None
    tmp, final = slot
    try:
        con.execute(f"COPY ({select}) TO {sql_literal(str(tmp))} ({columnar.WRITE_OPTIONS})")
    except Exception:  # noqa: BLE001 - duckdb.Error and kin: DuckDB cannot read these lines as we would
        columnar.unlink(tmp)
        return None
    if live.prefix is None and not _still(live):
        columnar.unlink(tmp)  # its first bytes changed while DuckDB read them: the rows are used once
        return None
    got = file_checksum(tmp)
    try:
        if got is None:
            raise OSError
        os.chmod(tmp, 0o600)
        os.replace(tmp, final)
    except OSError:
        columnar.unlink(tmp)
        store.write_errors += 1
        return None
    item = {
        "rows": key,
        "size": live.complete,
        "lines": live.complete_lines,
        "digest": live.digest,
        "rows_size": got[0],
        "rows_crc32": got[1],
        "duckdb": duckdb.__version__,
    }
    if not store.save(KIND, live.ident, json.dumps(item).encode()):
        columnar.unlink(final)
        return None
    if live.found is not None and live.found.key != key:
        columnar.unlink(live.found.path)  # replaced (a reader of it falls back: load.demote_failing)
    return Prefix(final, key, live.complete, live.complete_lines, live.digest, duckdb.__version__)


def _still(live: LiveRead) -> bool:
    """The live file's first `complete` bytes hash as they did before DuckDB read them."""
    h = PrefixDigest()
    try:
        with open(live.path, "rb") as f:
            now = os.fstat(f.fileno())
            if (now.st_dev, now.st_ino) != (live.st.st_dev, live.st.st_ino):
                return False
            if not feed(f, h, live.complete):
                return False
    except OSError:
        return False
    return h.hexdigest() == live.digest


def entries_sql(prefix: Prefix, name: str) -> str:
    return columnar.ENTRIES_SQL.format(file=sql_literal(name), path=sql_literal(str(prefix.path)))


def errors_sql(prefix: Prefix, name: str) -> str:
    return columnar.ERRORS_SQL.format(file=sql_literal(name), path=sql_literal(str(prefix.path)))
