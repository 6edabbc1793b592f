"""The columnar copy of an archive for queries (SPEC 12): its rows of `entries` and `parse_errors`, kept.

An archive that DuckDB reads through the fast SQL path (load.py) is judged once: its rows go, through
`COPY (SELECT ...) TO ... (WRITE_OPTIONS)`, into one Parquet file in the store, and
later queries read that file instead of inflating and judging the archive again. One file holds both
views' rows (`parse_error` tells them apart; the other view's columns are NULL there and cost nothing),
so a miss costs one pass over the archive. What the rows depend on is in the key: the archive's bytes
(store.content_key, so a rotation that only renames it still hits), the line limit, the grammar and
SQL of load.py, DuckDB's version and the package's. No column holding the file's name is stored: the
name is the archive's current one, a constant in the view (a rotation renames `.1` to `.2.gz`); line
numbers are per file and stay valid. The live file, streams and the archives the slow path reads
(damaged, invalid UTF-8, long lines, mixed line endings: anything DuckDB fails on) are never kept.

Parquet files carry no store header, so each has a side item (store.save, checksummed) with its size
and CRC-32 (cache/digest.file_checksum); a copy whose size or checksum differs, or which DuckDB cannot
read, is deleted and rebuilt.

Why Parquet and not DuckDB's own database file: measured on the bench set (bench/data/bigset, its six
100 MB archives, 9.3 M lines, 55 MB of gzip; `python bench/bench_columnar_format.py`, one archive after
another, on a shared 2-core box; "scan" reads the instants, line numbers and details):

    format                      on disk   write (all six)   GROUP BY component   scan      (fresh connection)
    Parquet 2 (WRITE_OPTIONS)   23.9 MB   23.6 s            0.174 s              0.173 s
    Parquet 1 encodings         42.5 MB   23.0 s            0.162 s              0.367 s
    DuckDB file                 44.1 MB   29.7 s            0.140 s              0.112 s

Write time is the same (the cost is judging the lines, not writing them). Parquet 2's delta encoding of
the rising integers (line numbers, instants) halves the copies and their scan against Parquet 1's plain
ones; DuckDB's file answers a few hundredths sooner, small beside the rest of a warm query. Parquet
wins on what the store needs: one self-contained file per archive, written by one COPY and renamed
into place, pruned and checked on its own (a database file per archive would be ATTACHed one by one;
one database for all would need locking between two instances and could not be pruned per archive);
it reads back with any DuckDB version (a database file's storage format is tied to the version that
wrote it); and it is the format of `--export parquet`, which other engines read (the export keeps
Parquet 1's encodings, which every reader of Parquet takes).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from execlog_tui.cache.digest import file_checksum
from execlog_tui.cache.store import CacheStore, content_key, same_file
from execlog_tui.query import sqlengine
from execlog_tui.query.reports import sql_literal

KIND = "parquet"
# Bump when the copy's columns, the rows it holds, how it is written or its side item change without
# load.py's SQL changing.
COPY_FORMAT = 3

# How a copy is written (an archive's and the live file's). Parquet 2's encodings: the line numbers and
# instants, rising by small steps, delta-packed (half the size, and read back 2-3x faster than zstd-packed
# plain integers); the strings dictionary-encoded.
# 262,144 rows a group: a cold query writing two copies at a time stays under its 250 MB (at 524,288 it
# took 280 MB, and at 1,048,576 copies failed at the 160 MB memory limit).
WRITE_OPTIONS = "FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION V2, ROW_GROUP_SIZE 262144"

# The stored columns (no file name), from one file's judged lines (load._FILE_SQL).
_COPY_SELECT = """
SELECT NOT (valid OR p.kind = 'E') AS parse_error,
       CASE WHEN valid THEN epoch_ms(t) WHEN p.kind = 'E' THEN p.ts_ms END AS ts_ms,
       CASE WHEN valid THEN upper(f2) ELSE p.component END AS component,
       CASE WHEN valid THEN upper(f3) ELSE p.action END AS action,
       CASE WHEN valid THEN CAST(f4 AS DOUBLE) ELSE p.duration_ms END AS duration_ms,
       CASE WHEN valid THEN upper(f5) ELSE p.status END AS status,
       CASE WHEN valid THEN substr(raw, head_len + 2) ELSE p.details END AS details,
       line,
       CASE WHEN NOT valid AND p.kind = 'P' THEN raw END AS raw,
       CASE WHEN NOT valid AND p.kind = 'P' THEN p.reason END AS reason
FROM ({judged})
WHERE valid OR p.kind IN ('E', 'P')
"""

# The views' rows from a copy: the columns of load.ENTRY_COLUMNS, with the file's current name.
ENTRIES_SQL = """
SELECT make_timestamp(ts_ms * 1000) AS ts, component, action, duration_ms, status, details,
       {file} AS file, line, ts_ms
FROM read_parquet({path}) WHERE NOT parse_error
"""
ERRORS_SQL = "SELECT {file} AS file, line, raw, reason FROM read_parquet({path}) WHERE parse_error"


def fingerprint(line_limit: int, rules: str) -> str:
    """What a copy's rows depend on besides the archive's bytes (and the package's version)."""
    duckdb = sqlengine.duckdb()
    h = hashlib.sha256(f"{COPY_FORMAT}\0{line_limit}\0{duckdb.__version__}\0{_COPY_SELECT}\0{rules}".encode())
    return "columnar-" + h.hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Copy:
    path: Path  # the Parquet file in the store


@dataclass(slots=True)
class CopyStats:
    hits: int = 0
    built: int = 0
    rebuilt: int = 0  # a kept copy failed its checks and was built again
    failed: int = 0  # could not be built (DuckDB failed on the archive, or the store refused it)


def _sum_key(key: str) -> str:
    return key + "-sum"


class Columnar:
    """Looks archives up in the store and builds the missing copies with the caller's connection."""

    def __init__(self, store: CacheStore, line_limit: int, rules: str) -> None:
        self.store = store
        self.fp = fingerprint(line_limit, rules)
        self.stats = CopyStats()
        self._lock = threading.Lock()  # builds run in threads (load.load_sets)

    def _count(self, what: str) -> None:
        with self._lock:
            setattr(self.stats, what, getattr(self.stats, what) + 1)

    def key(self, path: Path) -> tuple[str, os.stat_result] | None:
        return content_key(path, self.fp, self.store)

    def lookup(self, key: str) -> tuple[Copy | None, bool]:
        """The kept copy of `key` when it passes its checks (its side item, then its size and CRC-32), and
        whether a kept copy failed them (it is then deleted: the caller builds it again). Thread-safe."""
        meta = self.store.load(KIND, _sum_key(key))
        path = self.store.existing(KIND, key)
        if meta is None and path is None:
            return None, False
        ok = False
        if meta is not None and path is not None:
            try:
                want = json.loads(meta)
                got = file_checksum(path)
                ok = got is not None and [got[0], got[1]] == [want["size"], want["crc32"]]
            except (ValueError, KeyError, TypeError):
                ok = False
        if not ok:
            self._drop(key)
            return None, True
        return Copy(path), False  # type: ignore[arg-type]

    def build(self, con: Any, key: str, st: os.stat_result, source: Path, judged: str) -> Copy | None:
        """Write the copy of the archive at `source` (its judged-lines SQL) into the store; None when DuckDB
        fails on the archive (the caller sends it to the slow path) or the store cannot take it."""
        try:
            slot = self.store.new_file(KIND, key)
        except OSError:  # a directory that exists but takes no file (read-only, full)
            self.store.write_errors += 1
            slot = None
        if slot is None:
            self._count("failed")
            return None
        tmp, final = slot
        try:
            con.execute(f"COPY ({_COPY_SELECT.format(judged=judged)}) TO {sql_literal(str(tmp))} ({WRITE_OPTIONS})")
        except Exception:  # noqa: BLE001 - duckdb.Error and kin: DuckDB cannot read this archive as we would
            unlink(tmp)
            self._count("failed")
            return None
        try:
            after = os.stat(source)
        except OSError:
            after = None
        digest = file_checksum(tmp)
        if after is None or not same_file(st, after) or digest is None:
            unlink(tmp)  # the archive changed while it was read: nothing kept, the rows are used once
            self._count("failed")
            return None
        try:
            os.chmod(tmp, 0o600)
            os.replace(tmp, final)
        except OSError:
            unlink(tmp)
            self.store.write_errors += 1
            self._count("failed")
            return None
        if not self.store.save(KIND, _sum_key(key), json.dumps({"size": digest[0], "crc32": digest[1]}).encode()):
            unlink(final)
            self._count("failed")
            return None
        self._count("built")
        return Copy(final)

    def _drop(self, key: str) -> None:
        unlink(self.store.item_path(KIND, key))
        unlink(self.store.item_path(KIND, _sum_key(key)))


def unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def copy_select(judged: str) -> str:
    """The stored columns from a file's judged lines (load._FILE_SQL, or a query over it)."""
    return _COPY_SELECT.format(judged=judged)


def entries_sql(copy: Copy, name: str) -> str:
    return ENTRIES_SQL.format(file=sql_literal(name), path=sql_literal(str(copy.path)))


def errors_sql(copy: Copy, name: str) -> str:
    return ERRORS_SQL.format(file=sql_literal(name), path=sql_literal(str(copy.path)))
