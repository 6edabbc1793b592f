"""Loading a log set into DuckDB tables `entries` and `parse_errors` with exactly the engine's parsing rules.

Fast path: DuckDB reads each file's raw lines natively (plain or gzip, in parallel, spilling to disk) and
SPEC section 1's grammar is applied in SQL. That SQL grammar is deliberately *stricter* than the engine's
parser (ASCII-only tokens, no CR anywhere, no year 0): every line it refuses is handed to the engine's own
`parse_line`, which decides whether it is an entry, a parse error or a blank line. So the rows are the
engine's by construction: the SQL only has to never accept a line the parser would refuse, and to
extract the same fields from the lines it accepts (both checked by tests against `parse_line`).

Slow path, per file: when DuckDB cannot read a file exactly as the project's reader would (invalid UTF-8,
a line over the line limit, mixed line endings, a byte-order mark, a damaged or truncated gzip), the
project's reader and parser read it and the rows are bulk-loaded from a temporary CSV file.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import LINE_LIMIT, parse_line
from execlog_tui.sources.logset import LogSet
from execlog_tui.sources.reader import SourceWarning, is_gzip, read_batches

# Called with (files done, files in all, file name) as the set is loaded.
LoadProgress = Callable[[int, int, str], None]

ENTRY_COLUMNS = ("ts", "component", "action", "duration_ms", "status", "details", "file", "line", "ts_ms")

CREATE_TABLES = """
CREATE TABLE entries (
    ts TIMESTAMP,           -- UTC
    component VARCHAR,      -- upper case
    action VARCHAR,         -- upper case
    duration_ms DOUBLE,
    status VARCHAR,         -- upper case
    details VARCHAR,        -- as written
    file VARCHAR,
    line BIGINT,            -- 1-based line number in the (decompressed) file
    ts_ms BIGINT            -- the same instant as epoch milliseconds
);
CREATE TABLE parse_errors (file VARCHAR, line BIGINT, raw VARCHAR, reason VARCHAR);
"""

# Every character Python's `str.isspace()` (so the parser's `\s` and `str.strip()`) calls white space.
_PY_SPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
# Tokens: printable ASCII except space and `|` (a stricter subset of the parser's `[^|\s]+`, so that
# SQL's upper() and Python's str.upper() agree; anything else goes to the parser).
_TOKEN = r"[!-{}~]+"
_GRAMMAR = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2})?"
    rf"\|{_TOKEN}\|{_TOKEN}\|[0-9]+(?:\.[0-9]+)?\|{_TOKEN}\|[^\r]*"
)
assert not any(c in _GRAMMAR for c in "'")

# The fast path for one file, in one scan: `src` numbers the lines; a line the SQL grammar accepts, whose
# date, time of day and offset are valid, becomes a row; any other (non-empty) line is stored with a null
# ts_ms and its raw text in `details`, to be judged by the parser and replaced (see _load_fast).
_FAST_INSERT = f"""
INSERT INTO entries
WITH src AS (
    SELECT row_number() OVER () AS line, line AS raw
    FROM read_csv($path, columns={{'line': 'VARCHAR'}}, delim=chr(31), quote='', escape='',
                  header=false, auto_detect=false, compression=$compression,
                  max_line_size=$max_line, new_line='{{newline}}')
),
f AS (
    SELECT line, raw, regexp_full_match(raw, '{_GRAMMAR}', 's') AS ok,
        split_part(raw, '|', 1) AS f1, split_part(raw, '|', 2) AS f2, split_part(raw, '|', 3) AS f3,
        split_part(raw, '|', 4) AS f4, split_part(raw, '|', 5) AS f5
    FROM src WHERE raw IS NOT NULL
),
t AS (
    SELECT *,
        TRY_CAST(substr(f1, 1, 10) AS DATE) AS d,
        TRY_CAST(substr(f1, 12, 2) AS INTEGER) AS hh, TRY_CAST(substr(f1, 15, 2) AS INTEGER) AS mi,
        TRY_CAST(substr(f1, 18, 2) AS INTEGER) AS ss,
        CASE WHEN substr(f1, 20, 1) = '.'
             THEN TRY_CAST(left(regexp_extract(substr(f1, 21), '^[0-9]+') || '00', 3) AS INTEGER) ELSE 0 END AS frac,
        CASE WHEN length(f1) >= 25 AND substr(f1, -6, 1) IN ('+', '-') THEN right(f1, 6) ELSE '' END AS zone
    FROM f
),
z AS (
    SELECT *, TRY_CAST(substr(zone, 2, 2) AS INTEGER) AS zh, TRY_CAST(substr(zone, 5, 2) AS INTEGER) AS zm FROM t
),
v AS (
    SELECT *,
        coalesce(ok AND d IS NOT NULL AND left(f1, 4) <> '0000' AND hh <= 23 AND mi <= 59 AND ss <= 59
                 AND (zone = '' OR (zh <= 23 AND zm <= 59)), false) AS valid,
        date_diff('day', DATE '1970-01-01', d) * 86400000 + hh * 3600000 + mi * 60000 + ss * 1000 + frac
            - CASE WHEN zone = '' THEN 0
                   ELSE (CASE WHEN left(zone, 1) = '-' THEN -60000 ELSE 60000 END) * (zh * 60 + zm) END AS ms
    FROM z
)
SELECT
    CASE WHEN valid THEN make_timestamp(ms * 1000) END,
    CASE WHEN valid THEN upper(f2) END, CASE WHEN valid THEN upper(f3) END,
    CASE WHEN valid THEN TRY_CAST(f4 AS DOUBLE) END, CASE WHEN valid THEN upper(f5) END,
    CASE WHEN valid THEN coalesce(substr(raw, length(f1) + length(f2) + length(f3) + length(f4) + length(f5) + 6), '')
         ELSE raw END,
    $file, line, CASE WHEN valid THEN ms END
FROM v
"""

_REFUSED = "SELECT line, details FROM entries WHERE ts_ms IS NULL ORDER BY line"


@dataclass(slots=True)
class LoadStats:
    files: list[str] = field(default_factory=list)
    warnings: list[SourceWarning] = field(default_factory=list)
    fast_files: int = 0  # read natively by DuckDB
    slow_files: int = 0  # read by the project's reader (see the module docstring)
    rescued_lines: int = 0  # lines the SQL grammar refused and the parser judged


def load_sets(
    con: Any,
    sets: list[LogSet],
    *,
    line_limit: int = LINE_LIMIT,
    scratch: Path,
    progress: LoadProgress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> LoadStats:
    """Create and fill `entries` and `parse_errors` from every member of `sets`."""
    con.execute(CREATE_TABLES)
    stats = LoadStats()
    members = [m for s in sets for m in s.members]
    for i, member in enumerate(members):
        if cancelled is not None and cancelled():
            raise LoadCancelled()
        name = str(member.path)
        stats.files.append(name)
        if progress is not None:
            progress(i, len(members), name)
        if not _load_fast(con, member.path, name, line_limit, scratch, stats, archive=not member.live):
            _load_slow(con, member.path, name, line_limit, scratch, stats, archive=not member.live)
    if progress is not None:
        progress(len(members), len(members), "")
    return stats


class LoadCancelled(Exception):
    """The caller asked to stop loading."""


def _newline(path: Path, compressed: bool) -> str | None:
    """The file's line ending as DuckDB's new_line option, or None when DuckDB must not read it.

    Refused: a byte-order mark (DuckDB drops it, the parser keeps it as text). The ending is taken from
    the first line; DuckDB's strict reader then refuses a file that mixes endings, which sends it to the
    slow path.
    """
    try:
        if compressed:
            import gzip

            with gzip.open(path, "rb") as f:
                head = f.read(64 * 1024)
        else:
            with open(path, "rb") as f:
                head = f.read(64 * 1024)
    except (OSError, EOFError, ValueError):
        return None  # unreadable or damaged at the start: the slow path says why
    except Exception:  # zlib.error and friends: the same
        return None
    if not head or head.startswith(b"\xef\xbb\xbf"):
        return None  # empty files go the slow path too: it warns about empty archives
    nl = head.find(b"\n")
    if nl > 0 and head[nl - 1 : nl] == b"\r":
        return "\\r\\n"
    if b"\r" in head:
        return None
    return "\\n"


def _load_fast(con: Any, path: Path, name: str, line_limit: int, scratch: Path, stats: LoadStats,
               archive: bool) -> bool:
    compressed = is_gzip(path)
    newline = _newline(path, compressed)
    if newline is None:
        return False
    params = {"path": str(path), "compression": "gzip" if compressed else "none",
              # DuckDB refuses a line of max_line_size bytes or more; the reader cuts lines over line_limit.
              "max_line": line_limit, "file": name}
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(_FAST_INSERT.replace("{newline}", newline), params)
        rescued = _judge(con.execute(_REFUSED), name, stats)
        # _bulk_load writes every rescued row to its CSV files before its first INSERT, so the
        # refused-lines cursor is finished before the DELETE below runs.
        _bulk_load(con, rescued, scratch, before_insert="DELETE FROM entries WHERE ts_ms IS NULL")
        con.execute("COMMIT")
    except Exception:  # duckdb.Error and kin: DuckDB cannot read this file as our reader would
        con.execute("ROLLBACK")
        return False
    stats.fast_files += 1
    return True


def _judge(cursor: Any, name: str, stats: LoadStats) -> Iterator[tuple[Any, ...]]:
    while True:
        rows = cursor.fetchmany(10_000)
        if not rows:
            return
        for line, raw in rows:
            stats.rescued_lines += 1
            row = _row(parse_line(raw), name, line)
            if row is not None:
                yield row


def _row(item: Entry | ParseError | None, name: str, line: int) -> tuple[Any, ...] | None:
    if item is None:
        return None
    if type(item) is Entry:
        return ("E", item.ts, item.component, item.action, item.duration_ms, item.status, item.details, name, line)
    return ("P", name, line, item.raw, item.reason)  # type: ignore[union-attr]


def _load_slow(con: Any, path: Path, name: str, line_limit: int, scratch: Path, stats: LoadStats,
               archive: bool) -> None:
    def rows() -> Iterator[tuple[Any, ...]]:
        n = 0
        for lines, cut in read_batches(path, stats.warnings, line_limit, archive=archive):
            for i, text in enumerate(lines):
                row = _row(parse_line(text, i in cut) if cut else parse_line(text), name, n + i + 1)
                if row is not None:
                    yield row
            n += len(lines)

    con.execute("BEGIN TRANSACTION")
    _bulk_load(con, rows(), scratch)
    con.execute("COMMIT")
    stats.slow_files += 1


def _bulk_load(con: Any, rows: Iterable[tuple[Any, ...]], scratch: Path, before_insert: str | None = None) -> None:
    """Entries and parse errors from Python, through temporary CSV files (DuckDB has no fast
    row-by-row insert without numpy or pyarrow, which are not dependencies)."""
    paths = []
    try:
        files = []
        for _ in range(2):
            fd, tmp = tempfile.mkstemp(suffix=".csv", dir=scratch)
            paths.append(tmp)
            files.append(os.fdopen(fd, "w", encoding="utf-8", newline="", errors="surrogatepass"))
        counts = [0, 0]
        with files[0], files[1]:
            writers = [csv.writer(f, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n") for f in files]
            for row in rows:
                k = 0 if row[0] == "E" else 1
                writers[k].writerow(row[1:])
                counts[k] += 1
        opts = ("header=false, auto_detect=false, quote='\"', escape='\"', delim=',', "
                "new_line='\\n', max_line_size=$max, allow_quoted_nulls=false, ")
        if before_insert is not None:
            con.execute(before_insert)
        if counts[0]:
            con.execute(
                "INSERT INTO entries SELECT make_timestamp(ms * 1000), component, action, dur, status, details, "
                f"file, line, ms FROM read_csv($tmp, {opts} columns={{'ms': 'BIGINT', 'component': 'VARCHAR', "
                "'action': 'VARCHAR', 'dur': 'DOUBLE', 'status': 'VARCHAR', 'details': 'VARCHAR', "
                "'file': 'VARCHAR', 'line': 'BIGINT'})",
                {"tmp": paths[0], "max": _CSV_MAX_LINE})
        if counts[1]:
            con.execute(
                f"INSERT INTO parse_errors SELECT * FROM read_csv($tmp, {opts} columns={{'file': 'VARCHAR', "
                "'line': 'BIGINT', 'raw': 'VARCHAR', 'reason': 'VARCHAR'})",
                {"tmp": paths[1], "max": _CSV_MAX_LINE})
    finally:
        for tmp in paths:
            os.unlink(tmp)


# A CSV row holds one line (at most the line limit, in up to 4 bytes a character after escaping) and
# a few short fields.
_CSV_MAX_LINE = 64 * 1024 * 1024


# SPEC 3: (bucket size in ms, buckets) per window name.
WINDOW_BUCKETS = {"1m": (1000, 60), "5m": (1000, 300), "1h": (60_000, 60), "1d": (60_000, 1440)}


def window_start(window: str, as_of_ms: int) -> int:
    """The first millisecond of `window` as of `as_of_ms` (SPEC 3: whole UTC buckets, T's included)."""
    size, n = WINDOW_BUCKETS[window]
    return (as_of_ms // size - n + 1) * size
