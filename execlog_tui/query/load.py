"""Exposing a log set to DuckDB as views `entries` and `parse_errors`, with exactly the engine's parsing rules.

Fast path: `entries` is a view over each file's raw lines (read natively by DuckDB, plain or gzip), with
SPEC section 1's grammar applied in SQL as the query runs, so a GROUP BY streams over the files in one
pass and nothing is materialised. That SQL grammar is deliberately *stricter* than the engine's parser
(ASCII-only tokens, no CR anywhere, no year 0): every line it refuses is handed, inside the same scan, to
the engine's own `parse_line` (a Python function registered with DuckDB), which decides whether it is an
entry, a parse error or a blank line. So the rows are the engine's by construction: the SQL only has to
never accept a line the parser would refuse, and to extract the same fields from the lines it accepts
(both checked by tests against `parse_line`).

Slow path, per file: when DuckDB cannot read a file exactly as the project's reader would (invalid UTF-8,
a line over the line limit, mixed line endings, a byte-order mark, a damaged or truncated gzip), the
project's reader and parser read it and the rows are bulk-loaded into tables in batches of NumPy arrays
(no temporary file). So does a path that is not valid UTF-8, which DuckDB can neither open nor hold.
A file is sent there when its first block shows it (see _newline) or when a query over the views fails
while reading it (run.py then calls `demote_failing`).

Kept copies (columnar.py): with a store, an archive on the fast path is judged once into a Parquet file
of its rows, and the views read that file on every later query. The live file's rows up to its last
complete line are kept the same way (livecopy.py): a later query whose live file still begins with
those bytes reads the copy and judges only the bytes after it, as above.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from execlog_tui.cache.store import CacheStore
from execlog_tui.core import grammar
from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import LINE_LIMIT, parse_line
from execlog_tui.core.windows import WINDOWS
from execlog_tui.query import columnar, livecopy, sqlengine
from execlog_tui.query.reports import sql_literal
from execlog_tui.sources.logset import LogSet
from execlog_tui.sources.reader import SourceWarning, gzip_intact, is_gzip, read_batches, read_head

# Called with (files done, files in all, file name) as the set is loaded.
LoadProgress = Callable[[int, int, str], None]

ENTRY_COLUMNS = ("ts", "component", "action", "duration_ms", "status", "details", "file", "line", "ts_ms")

# Rows of the files read by the project's reader (the slow path).
CREATE_TABLES = """
CREATE TEMP TABLE slow_entries (
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
CREATE TEMP TABLE slow_errors (file VARCHAR, line BIGINT, raw VARCHAR, reason VARCHAR);
CREATE TEMP TABLE tail_entries AS SELECT * FROM slow_entries;  -- a live file's tail the slow path read
CREATE TEMP TABLE tail_errors AS SELECT * FROM slow_errors;
"""

# The field separator (core/grammar.py), in the regex and as a literal in SQL.
_SEP = grammar.FIELD_SEP
assert len(_SEP) == 1 and "!" < _SEP < "~" and _SEP not in "'\\-]^"
_SEP_RE = "\\" + _SEP
# Tokens: printable ASCII except space and the separator (a stricter subset of the parser's tokens, so
# that SQL's upper() and Python's str.upper() agree; anything else goes to the parser).
_TOKEN = f"[!-{chr(ord(_SEP) - 1)}{chr(ord(_SEP) + 1)}-~]+"
# The first five fields and their four separators, with the timestamp in its common 24-character form
# `YYYY-MM-DDTHH:MM:SS.mmmZ` only (what the project's writers and format_ts produce): every other
# timestamp form (no fraction, other precisions, offsets) goes to the parser, so the SQL needs no
# fraction or offset arithmetic. Details (after the fifth `|`) may be anything but CR.
# The calendar is checked by the regex itself (the DFA costs the same per byte however many
# alternatives), so a line's validity needs no strptime: that runs only when a query reads ts or ts_ms.
# Years 0001-9999 (the parser refuses year 0); each month's days; 29 February in leap years only
# (divisible by 4, and not by 100 unless by 400: the proleptic Gregorian calendar of datetime and DuckDB);
# hours 00-23, minutes and seconds 00-59.
_YEAR = r"(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"
_LEAP = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_HEAD = (
    rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP}-02-29)T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{{3}}Z"
    rf"{_SEP_RE}{_TOKEN}{_SEP_RE}{_TOKEN}{_SEP_RE}{grammar.DURATION}{_SEP_RE}{_TOKEN}"
)
assert not any(c in _HEAD for c in "'")
# The timestamp of a line the regex accepted (computed only for the queries that read it).
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%gZ"

# The Python parser's verdict on a line the SQL grammar refused.
_PARSED_TYPE = (
    "STRUCT(kind VARCHAR, ts_ms BIGINT, component VARCHAR, action VARCHAR, duration_ms DOUBLE, "
    "status VARCHAR, details VARCHAR, reason VARCHAR)"
)

# The column delimiter is U+10FFFF (a noncharacter, 4 bytes in UTF-8): a line holding it anywhere but at
# its end makes DuckDB fail (the file then takes the slow path); DuckDB drops a delimiter that ends a
# line, so only a line *ending* in U+10FFFF would lose it. (chr(31) was used before: a log line ending in
# the control character 0x1F lost it.)
# One file's lines, judged: `src` numbers the lines (a streaming window: DuckDB keeps a single file's
# order); string_split finds the fields; one anchored regexp_matches over the raw line checks the five
# fields and the fifth `|` (measured on bigset: 0.2 us a line, against 0.45 us for a full match over
# left(raw, head_len), which had to build that substring first; a regex with capture groups was 0.7 us);
# a line the grammar accepts is `valid` (strptime then only computes its instant), any other line gets
# the parser's verdict `p`. A duration over 300 characters goes to the parser: 309 digits overflow a float,
# which the parser calls a parse error and CAST would make infinity.
_FILE_SQL = """
SELECT line, raw, valid, t, f2, f3, f4, f5, head_len, {parse} AS p
FROM (
    SELECT *, coalesce(ok, false) AS valid
    FROM (
        SELECT line, raw, f1, f2, f3, f4, f5, head_len, ok,
            CASE WHEN ok THEN try_strptime(f1, '{ts_format}') END AS t
        FROM (
            SELECT line, raw, f1, f2, f3, f4, f5, head_len,
                regexp_matches(raw, '^{head}{sep_re}') AND NOT contains(raw, chr(13)) AND length(f4) <= 300 AS ok
            FROM (
                SELECT line, raw, len(s) AS n, s[1] AS f1, s[2] AS f2, s[3] AS f3, s[4] AS f4, s[5] AS f5,
                    length(s[1]) + length(s[2]) + length(s[3]) + length(s[4]) + length(s[5]) + 4 AS head_len
                FROM (
                    SELECT row_number() OVER () AS line, line AS raw, string_split(line, '{sep}') AS s
                    FROM read_csv({path}, columns={{'line': 'VARCHAR'}}, delim=chr(1114111), quote='', escape='',
                                  header=false, auto_detect=false, compression='{compression}',
                                  max_line_size={max_line}, buffer_size={buffer}, new_line='{newline}')
                )
                WHERE raw IS NOT NULL
            )
        )
    )
)
"""

# The view's rows from one judged file.
_FILE_ENTRIES = """
SELECT CASE WHEN valid THEN t ELSE make_timestamp(p.ts_ms * 1000) END AS ts,
       CASE WHEN valid THEN upper(f2) ELSE p.component END AS component,
       CASE WHEN valid THEN upper(f3) ELSE p.action END AS action,
       CASE WHEN valid THEN CAST(f4 AS DOUBLE) ELSE p.duration_ms END AS duration_ms,
       CASE WHEN valid THEN upper(f5) ELSE p.status END AS status,
       CASE WHEN valid THEN substr(raw, head_len + 2) ELSE p.details END AS details,
       {file} AS file, line,
       CASE WHEN valid THEN epoch_ms(t) ELSE p.ts_ms END AS ts_ms
FROM ({judged})
WHERE valid OR p.kind = 'E'
"""

_FILE_ERRORS = "SELECT {file} AS file, line, raw, p.reason AS reason FROM ({judged}) WHERE NOT valid AND p.kind = 'P'"

# A judged line's `p`: the parser's verdict (execlog_parse, registered by _need_parser) on a line the grammar
# refused. A file whose every line the grammar accepts (a live file's tail is checked: _judge_tail) is judged
# without it: DuckDB's Python functions import NumPy, a seventh of a warm query's start.
_PARSE = "CASE WHEN NOT valid THEN execlog_parse(raw) END"
_NO_PARSE = f"CAST(NULL AS {_PARSED_TYPE})"


# What a file's rows depend on, besides its bytes and the line limit: the grammar and SQL above. A kept
# copy (columnar.py) is keyed by it; bump ROWS_FORMAT when the rows change in a way this text does not
# show (the parser's rules are the package's version, also in the key).
ROWS_FORMAT = 1
RULES = "\0".join((str(ROWS_FORMAT), _HEAD, _FILE_SQL, _PARSE, _TS_FORMAT, _PARSED_TYPE, _FILE_ENTRIES, _FILE_ERRORS))


@dataclass(slots=True)
class LoadStats:
    files: list[str] = field(default_factory=list)
    warnings: list[SourceWarning] = field(default_factory=list)
    fast_files: int = 0  # read natively by DuckDB
    slow_files: int = 0  # read by the project's reader (see the module docstring)
    rescued_lines: int = 0  # lines the SQL grammar refused and the parser judged (grows as queries run)
    # name -> the fast path's judged-lines SQL of that file (what the views are made of)
    fast_sql: dict[str, str] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)  # name (display_name) -> the file
    # name -> the kept columnar copy the views read for that archive (columnar.py)
    copies: dict[str, columnar.Copy] = field(default_factory=dict)
    cache: columnar.CopyStats | None = None  # None: no store (--no-cache)
    # name -> how the views read that live file through its kept copy (livecopy.py; absent: whole)
    live: dict[str, livecopy.LiveRead] = field(default_factory=dict)
    parser: bool = False  # execlog_parse is registered (_need_parser)


def display_name(path: Path) -> str:
    """A file's name as the `file` column holds it: the path itself, or, when it is not valid UTF-8 (which
    DuckDB cannot hold or open), its bytes with the invalid ones as `\\xNN` (such a file takes the slow path)."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return text


def load_sets(
    con: Any,
    sets: list[LogSet],
    *,
    line_limit: int = LINE_LIMIT,
    progress: LoadProgress | None = None,
    cancelled: Callable[[], bool] | None = None,
    store: CacheStore | None = None,
    scratch: Path | None = None,
    early: LiveProbes | None = None,
) -> LoadStats:
    """Create the views `entries` and `parse_errors` (see create_views) over every member of `sets`;
    files DuckDB cannot read as our reader would are parsed here, the others as queries run. With
    `store`, the archives on the fast path are read through their kept columnar copies (built when missing),
    and, with `scratch` too (a directory of the query's own, which the views may read), the live file
    through the copy of its first lines (livecopy.py), the bytes after them copied there. `early`: those
    files' probes, started by the caller (LiveProbes, the same sets, store and scratch); closed here."""
    duckdb = sqlengine.duckdb()
    con.execute(CREATE_TABLES)
    stats = LoadStats()
    members = [m for s in sets for m in s.members]
    copier = None if store is None else columnar.Columnar(store, line_limit, RULES)
    if copier is not None:
        stats.cache = copier.stats
    # DuckDB checks no gzip CRC: an archive damaged in a way that still inflates would be read to its end
    # without the warning the project's reader gives (SPEC 2). Each archive is inflated once to check it
    # (isal, in threads: it releases the GIL); a damaged one takes the reader's path. An archive whose
    # kept copy is found needs no check: a copy is only made of an archive that read cleanly.
    pool = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)))
    pending: list[tuple[str, str, os.stat_result, Path, str]] = []
    pending_live: list[livecopy.LiveRead] = []
    if early is None and store is not None and scratch is not None:
        early = LiveProbes(sets, store, line_limit, scratch)
    try:
        live_probes = early.futures if early is not None else {}
        probes = {
            i: pool.submit(_probe, copier, m.path, m.live) for i, m in enumerate(members) if is_gzip(m.path) or copier
        }
        for i, member in enumerate(members):
            if cancelled is not None and cancelled():
                raise LoadCancelled()
            name = display_name(member.path)
            stats.files.append(name)
            stats.paths[name] = member.path
            if progress is not None:
                progress(i, len(members), name)
            probe = probes[i].result() if i in probes else _Probe(None, None, None, False, True)
            if probe.rebuilt and copier is not None:
                copier.stats.rebuilt += 1
            if probe.copy is not None and copier is not None:
                copier.stats.hits += 1
                stats.copies[name] = probe.copy
                continue
            live = None
            if i in live_probes and copier is not None:
                live, damaged = live_probes[i].result()
                if damaged:
                    copier.stats.rebuilt += 1
                if live is not None and live.prefix is not None and live.prefix.duckdb != duckdb.__version__:
                    assert early is not None
                    live, _damaged = early.again(i, member.path)  # judged by another DuckDB: made again
                if live is not None and live.prefix is not None:
                    copier.stats.hits += 1
                    stats.live[name] = live
                    _judge_tail(con, live, line_limit, stats)
                    if live.rekeep():
                        pending_live.append(live)
                    continue
            # DuckDB can neither open nor name a path that is not UTF-8: the reader's path takes it.
            readable = probe.intact and name == str(member.path)
            sql = _fast_sql(member.path, line_limit) if readable else None
            if sql is None:
                _load_slow(con, member.path, name, line_limit, stats, archive=not member.live)
                continue
            stats.fast_sql[name] = sql
            stats.fast_files += 1
            if live is not None:
                pending_live.append(live)  # its first copy, from the file itself
            if copier is not None and probe.key is not None and probe.stat is not None:
                pending.append((name, probe.key, probe.stat, member.path, sql))
        if copier is not None and (pending or pending_live):
            _build_copies(con, copier, pending, stats, cancelled, pending_live, line_limit)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if early is not None:
            early.close()
    create_views(con, stats)
    if progress is not None:
        progress(len(members), len(members), "")
    return stats


class LiveProbes:
    """The live files' probes (livecopy.probe), in threads from as soon as the set is known: a caller may
    start them before DuckDB is imported (run_query), which a probe does not need, so that hashing a
    live file's first bytes (hashlib releases the GIL) overlaps the import."""

    def __init__(self, sets: list[LogSet], store: CacheStore, line_limit: int, scratch: Path) -> None:
        self.store = store
        self.scratch = scratch
        self.fp = livecopy.fingerprint(line_limit, RULES)
        members = [m for s in sets for m in s.members]
        wanted = [
            (i, m.path)
            for i, m in enumerate(members)
            if m.live and not m.stream and display_name(m.path) == str(m.path)
        ]
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(2, len(wanted))))
        self.futures = {i: self._pool.submit(self._probe, i, path) for i, path in wanted}

    def _probe(self, i: int, path: Path, use_kept: bool = True) -> tuple[livecopy.LiveRead | None, bool]:
        tail = self.scratch / f"{livecopy.TAIL_NAME}-{i}"
        return livecopy.probe(self.store, self.fp, path, str(path), tail, use_kept)

    def again(self, i: int, path: Path) -> tuple[livecopy.LiveRead | None, bool]:
        """Member `i`'s probe made again, its kept copy not used (only replaced when a new one is kept)."""
        return self._probe(i, path, use_kept=False)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _build_copies(
    con: Any,
    copier: columnar.Columnar,
    pending: list[tuple[str, str, os.stat_result, Path, str]],
    stats: LoadStats,
    cancelled: Callable[[], bool] | None,
    pending_live: list[livecopy.LiveRead],
    line_limit: int,
) -> None:
    """The missing copies, two archives at a time (a COPY inflates one gzip stream on one core), each on a
    cursor of its own; an archive whose copy fails stays on the fast path (demote_failing as before).
    The live files' copies first (a first one judges the whole file: the longest job): a first copy that
    fails leaves its file read whole; a longer one that fails, the one kept and the tail."""

    def one(job: tuple[str, str, os.stat_result, Path, str]) -> tuple[str, columnar.Copy | None]:
        name, key, st, path, sql = job
        if cancelled is not None and cancelled():
            return name, None
        cur = con.cursor()
        try:
            return name, copier.build(cur, key, st, path, sql)
        finally:
            cur.close()

    def live_one(live: livecopy.LiveRead) -> livecopy.Prefix | None:
        if cancelled is not None and cancelled():
            return None
        judged = stats.fast_sql[live.name] if live.prefix is None else live.tail_sql
        if judged is None:
            return None
        cur = con.cursor()
        try:
            return livecopy.keep(cur, copier.store, live, judged)
        finally:
            cur.close()

    if pending or any(live.prefix is None or _PARSE in (live.tail_sql or "") for live in pending_live):
        _need_parser(con, stats)
    with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as builders:
        kept = [builders.submit(live_one, live) for live in pending_live]
        for name, copy in builders.map(one, pending):
            if copy is not None:
                stats.copies[name] = copy
        for live, fut in zip(pending_live, kept, strict=True):
            prefix = fut.result()
            if prefix is None:
                copier.stats.failed += 1
                if live.prefix is None:
                    continue  # read whole, as without a copy
            else:
                copier.stats.built += 1
                first = live.prefix is None
                live.prefix = prefix
                if first:
                    _judge_tail(con, live, line_limit, stats)
            stats.live[live.name] = live
    if cancelled is not None and cancelled():
        raise LoadCancelled()


def _judge_tail(con: Any, live: livecopy.LiveRead, line_limit: int, stats: LoadStats) -> None:
    """The bytes after a live file's copy, as any file: DuckDB's judged lines over their copy in the
    scratch directory, else the reader's and parser's rows in the tail tables."""
    if live.tail is None:
        return
    sql = _fast_sql(live.tail, line_limit)
    if sql is not None:
        bare = sql.replace(_PARSE, _NO_PARSE)
        try:
            refused = con.execute(f"SELECT count(*) FROM ({bare}) WHERE NOT valid").fetchall()[0][0]
        except Exception:  # noqa: BLE001 - duckdb.Error and kin: a query over it fails too (demote_failing)
            refused = None
        live.tail_sql = livecopy.numbered(bare if refused == 0 else sql, live.base_lines)
    else:
        _load_tail_slow(con, live, line_limit, stats)


def _load_tail_slow(con: Any, live: livecopy.LiveRead, line_limit: int, stats: LoadStats) -> None:
    """A live file's tail through the reader and parser (from its copy: the bytes hashed), its lines and
    warnings numbered in the whole file, the warnings naming the live file."""
    source = live.tail
    assert source is not None
    live.tail_sql = None
    live.tail_slow = True
    warnings: list[SourceWarning] = []

    def rows() -> Iterator[tuple[Any, ...]]:
        n = live.base_lines
        for lines, cut in read_batches(source, warnings, line_limit, archive=False, start_line=live.base_lines):
            for i, text in enumerate(lines):
                row = _row(parse_line(text, i in cut) if cut else parse_line(text), live.name, n + i + 1)
                if row is not None:
                    yield row
            n += len(lines)

    _bulk_load(con, rows(), "tail_entries", "tail_errors")
    tail = str(source)
    stats.warnings.extend(SourceWarning(str(live.path), w.message) if w.file == tail else w for w in warnings)


@dataclass(frozen=True, slots=True)
class _Probe:
    key: str | None  # the archive's key in the store (None: no store, the live file, unreadable)
    stat: os.stat_result | None
    copy: columnar.Copy | None  # its kept copy, checked
    rebuilt: bool  # a kept copy failed its checks (deleted)
    intact: bool  # not a damaged gzip


def _probe(copier: columnar.Columnar | None, path: Path, live: bool) -> _Probe:
    """In a thread: the archive's kept copy, else whether it is intact (gzip_intact)."""
    key = st = None
    rebuilt = False
    if copier is not None and not live:
        found = copier.key(path)
        if found is not None:
            key, st = found
            copy, rebuilt = copier.lookup(key)
            if copy is not None:
                return _Probe(key, st, copy, rebuilt, True)
    return _Probe(key, st, None, rebuilt, gzip_intact(path) if is_gzip(path) else True)


def create_views(con: Any, stats: LoadStats, since_ms: int | None = None) -> None:
    """(Re)create `entries` and `parse_errors`: the fast files' views (or their kept copies) and the slow
    files' rows, in file order; with `since_ms`, entries before that instant are left out (a window)."""
    parts_e = ["SELECT * FROM slow_entries"]
    parts_p = ["SELECT * FROM slow_errors"]
    for name in stats.files:
        live = stats.live.get(name)
        if live is not None and live.prefix is not None:
            lit = sql_literal(name)
            parts_e.append(livecopy.entries_sql(live.prefix, name))
            parts_p.append(livecopy.errors_sql(live.prefix, name))
            if live.tail_sql is not None:
                after = f"SELECT * FROM ({live.tail_sql}) WHERE line > {int(live.prefix.lines)}"
                parts_e.append(_FILE_ENTRIES.format(file=lit, judged=after))
                parts_p.append(_FILE_ERRORS.format(file=lit, judged=after))
            elif live.tail_slow:
                parts_e.append(f"SELECT * FROM tail_entries WHERE file = {lit}")
                parts_p.append(f"SELECT * FROM tail_errors WHERE file = {lit}")
            continue
        copy = stats.copies.get(name)
        if copy is not None:
            parts_e.append(columnar.entries_sql(copy, name))
            parts_p.append(columnar.errors_sql(copy, name))
            continue
        judged = stats.fast_sql.get(name)
        if judged is None:
            continue
        lit = sql_literal(name)
        parts_e.append(_FILE_ENTRIES.format(file=lit, judged=judged))
        parts_p.append(_FILE_ERRORS.format(file=lit, judged=judged))
    if any(_PARSE in part for part in parts_e):
        _need_parser(con, stats)
    where = "" if since_ms is None else f" WHERE ts_ms >= {int(since_ms)}"
    con.execute("CREATE OR REPLACE TEMP VIEW entries AS SELECT * FROM (" + "\nUNION ALL\n".join(parts_e) + ")" + where)
    con.execute("CREATE OR REPLACE TEMP VIEW parse_errors AS " + "\nUNION ALL\n".join(parts_p))


def demote_failing(con: Any, stats: LoadStats, line_limit: int, live: frozenset[str] = frozenset()) -> int:
    """After a query failed while reading the files: probe each kept copy and each fast file alone; a copy
    DuckDB cannot read (removed meanwhile by another instance's prune) gives way to its archive, a fast
    file DuckDB cannot read goes to the slow path; recreate the views; returns how many were moved."""
    _need_parser(con, stats)
    moved = 0
    for name, kept in list(stats.live.items()):
        if kept.prefix is None:
            continue
        try:
            con.execute(f"SELECT count(*) FROM read_parquet({sql_literal(str(kept.prefix.path))})").fetchall()
        except Exception:  # noqa: BLE001 - duckdb.Error and kin: gone or unreadable since it was checked
            del stats.live[name]  # the file whole, as without a copy
            moved += 1
            if name not in stats.fast_sql:
                sql = _fast_sql(kept.path, line_limit)
                if sql is None:
                    _load_slow(con, kept.path, name, line_limit, stats, archive=False)
                else:
                    stats.fast_sql[name] = sql
                    stats.fast_files += 1
            continue
        if kept.tail_sql is not None:
            try:
                con.execute(f"SELECT count(p), sum(length(raw)) FROM ({kept.tail_sql})").fetchall()
            except Exception:  # noqa: BLE001 - DuckDB cannot read the tail as our reader would
                _load_tail_slow(con, kept, line_limit, stats)
                moved += 1
    for name, copy in list(stats.copies.items()):
        try:
            con.execute(f"SELECT count(*) FROM read_parquet({sql_literal(str(copy.path))})").fetchall()
            continue
        except Exception:  # noqa: BLE001 - duckdb.Error and kin: gone or unreadable since it was checked
            pass
        del stats.copies[name]
        moved += 1
        if name not in stats.fast_sql:  # found in the store: its archive was intact, as its key says
            sql = _fast_sql(stats.paths[name], line_limit)
            if sql is None:
                _load_slow(con, stats.paths[name], name, line_limit, stats, archive=name not in live)
            else:
                stats.fast_sql[name] = sql
                stats.fast_files += 1
    for name, judged in list(stats.fast_sql.items()):
        if name in stats.copies or name in stats.live:
            continue  # read through its kept copy
        try:
            con.execute(f"SELECT count(p), sum(length(raw)) FROM ({judged})").fetchall()
            continue
        except Exception:  # duckdb.Error and kin: DuckDB cannot read this file as our reader would
            pass
        del stats.fast_sql[name]
        stats.fast_files -= 1
        _load_slow(con, stats.paths[name], name, line_limit, stats, archive=name not in live)
        moved += 1
    if moved:
        create_views(con, stats)
    return moved


def _need_parser(con: Any, stats: LoadStats) -> None:
    """`execlog_parse(raw)`, registered once: the engine's parse_line, for the lines the SQL grammar refuses."""
    if stats.parser:
        return
    stats.parser = True

    def judge(raw: str) -> tuple[Any, ...]:
        stats.rescued_lines += 1
        item = parse_line(raw)
        if item is None:
            return _BLANK
        if type(item) is Entry:
            return ("E", item.ts, item.component, item.action, item.duration_ms, item.status, item.details, None)
        return ("P", None, None, None, None, None, None, item.reason)  # type: ignore[union-attr]

    con.create_function("execlog_parse", judge, ["VARCHAR"], _PARSED_TYPE, side_effects=False)


_BLANK = ("B", None, None, None, None, None, None, None)


class LoadCancelled(Exception):
    """The caller asked to stop loading."""


def _newline(path: Path) -> str | None:
    """The file's line ending as DuckDB's new_line option, or None when DuckDB must not read it.

    Refused: a byte-order mark (DuckDB drops it, the parser keeps it as text). The ending is taken from
    the first line; DuckDB's strict reader then refuses a file that mixes endings, which sends it to the
    slow path.
    """
    head, whole = read_head(path, 64 * 1024)  # inflated when gzip, by the project's reader
    if not whole:
        return None  # unreadable or damaged at the start: the slow path says why
    if not head or head.startswith(b"\xef\xbb\xbf"):
        return None  # empty files go the slow path too: it warns about empty archives
    nl = head.find(b"\n")
    if nl > 0 and head[nl - 1 : nl] == b"\r":
        return "\\r\\n"
    if b"\r" in head:
        return None
    return "\\n"


_BUFFER = 2 * 1024 * 1024


def _fast_sql(path: Path, line_limit: int) -> str | None:
    """The judged-lines SQL of one file, or None when DuckDB must not read it (see _newline)."""
    compressed = is_gzip(path)
    newline = _newline(path)
    if newline is None:
        return None
    # DuckDB refuses a line of max_line_size bytes or more; the reader cuts lines over line_limit.
    return _FILE_SQL.format(
        head=_HEAD,
        sep_re=_SEP_RE,
        sep=_SEP,
        ts_format=_TS_FORMAT,
        path=sql_literal(str(path)),
        compression="gzip" if compressed else "none",
        max_line=int(line_limit),
        newline=newline,
        parse=_PARSE,
        # Each scan holds a few buffers, and a query may scan every file at once
        # (UNION ALL): DuckDB's default (32 MiB) would not fit the memory limit.
        buffer=max(_BUFFER, 4 * int(line_limit)),
    )


def _row(item: Entry | ParseError | None, name: str, line: int) -> tuple[Any, ...] | None:
    if item is None:
        return None
    if type(item) is Entry:
        return ("E", item.ts, item.component, item.action, item.duration_ms, item.status, item.details, name, line)
    return ("P", name, line, item.raw, item.reason)  # type: ignore[union-attr]


def _load_slow(con: Any, path: Path, name: str, line_limit: int, stats: LoadStats, archive: bool) -> None:
    """A file through the project's reader and parser, into the slow tables."""

    def rows() -> Iterator[tuple[Any, ...]]:
        n = 0
        for lines, cut in read_batches(path, stats.warnings, line_limit, archive=archive):
            for i, text in enumerate(lines):
                row = _row(parse_line(text, i in cut) if cut else parse_line(text), name, n + i + 1)
                if row is not None:
                    yield row
            n += len(lines)

    _bulk_load(con, rows())
    stats.slow_files += 1


# Rows go to DuckDB in batches of this many (NumPy arrays it scans in place): bounded memory, no disk.
_BATCH_ROWS = 50_000


def _bulk_load(
    con: Any, rows: Iterable[tuple[Any, ...]], entries_table: str = "slow_entries", errors_table: str = "slow_errors"
) -> None:
    """Entries ("E", ...) and parse errors ("P", ...) from Python into slow_entries and slow_errors
    (or the tables named, of their columns).

    In batches of NumPy arrays that DuckDB scans where they are: nothing is written to disk (a temporary
    CSV file wrote 22 MB/s and filled a small TMPDIR), and memory stays a batch's worth.
    """
    entries: list[tuple[Any, ...]] = []
    errors: list[tuple[Any, ...]] = []
    for row in rows:
        if row[0] == "E":
            entries.append(row)
            if len(entries) >= _BATCH_ROWS:
                _insert(con, entries_table, "E", entries)
                entries = []
        else:
            errors.append(row)
            if len(errors) >= _BATCH_ROWS:
                _insert(con, errors_table, "P", errors)
                errors = []
    if entries:
        _insert(con, entries_table, "E", entries)
    if errors:
        _insert(con, errors_table, "P", errors)


# By the rows' kind: entries (E), parse errors (P).
_INSERT = {
    "E": "INSERT INTO {t} SELECT make_timestamp(c1 * 1000), c2, c3, c4, c5, c6, c7, c8, c1 FROM {b}",
    "P": "INSERT INTO {t} SELECT c1, c2, c3, c4 FROM {b}",
}
_INT_COLUMNS = {"E": (1, 8), "P": (2,)}
_FLOAT_COLUMNS = {"E": (4,), "P": ()}


def _insert(con: Any, table: str, kind: str, rows: list[tuple[Any, ...]]) -> None:
    import numpy as np  # a dependency of --query (DuckDB's Python functions need it too)

    batch: dict[str, Any] = {}
    for i, column in enumerate(zip(*rows, strict=True)):
        if i == 0:
            continue  # the kind
        dtype: Any = np.int64 if i in _INT_COLUMNS[kind] else np.float64 if i in _FLOAT_COLUMNS[kind] else object
        batch[f"c{i}"] = np.array(column, dtype=dtype)
    name = "execlog_batch"
    con.register(name, batch)
    try:
        con.execute(_INSERT[kind].format(t=table, b=name))
    finally:
        con.unregister(name)


# SPEC 3: (bucket size in ms, buckets) per window name, from the windows' one definition.
WINDOW_BUCKETS = {w.name: (w.bucket_ms, w.buckets) for w in WINDOWS}


def window_start(window: str, as_of_ms: int) -> int:
    """The first millisecond of `window` as of `as_of_ms` (SPEC 3: whole UTC buckets, T's included)."""
    size, n = WINDOW_BUCKETS[window]
    return (as_of_ms // size - n + 1) * size
