"""Running one SQL query (or a named report) over a log set in a throwaway DuckDB database on disk."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from execlog_tui.cache.store import CacheStore
from execlog_tui.core.config import Config
from execlog_tui.core.parser import LINE_LIMIT
from execlog_tui.query import sqlengine
from execlog_tui.query.load import (
    WINDOW_BUCKETS,
    LiveProbes,
    LoadCancelled,
    LoadProgress,
    LoadStats,
    create_views,
    demote_failing,
    display_name,
    load_sets,
    window_start,
)
from execlog_tui.query.reports import REPORTS
from execlog_tui.sources.logset import SourceError, discover
from execlog_tui.sources.reader import SourceWarning

# DuckDB's own working memory; beyond it, it spills to the database's temporary directory. With the
# interpreter and DuckDB's code this keeps a query over an 11 M row set under the 300 MB goal.
MEMORY_LIMIT = "160MB"


class QueryError(Exception):
    """The database refused the query: its own message, one line."""


class NoInput(Exception):
    """Nothing to query: no path names a readable log file."""


# The caller's `cancelled()` turned true: raised while loading or while a statement runs.
QueryCancelled = LoadCancelled

# How often a running statement's progress is read and `cancelled()` is asked (the query screen).
WATCH_EVERY_S = 0.1


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    # What the result covers: the files read, the window (None: everything) and its first and last ms.
    files: tuple[str, ...] = ()
    window: str | None = None
    window_start_ms: int | None = None
    as_of_ms: int | None = None
    warnings: tuple[SourceWarning, ...] = ()
    stats: LoadStats | None = field(default=None, compare=False)
    # True when the statement had more rows than run_query's max_rows (only those were fetched).
    truncated: bool = False
    # True when it ran out of memory over the files and ran again over tables that spill to disk.
    spilled: bool = False


def resolve_query(query: str, config: Config | None = None) -> str:
    """A report's name to its SQL under `config` (None: the defaults); anything else is taken as SQL."""
    report = REPORTS.get(query.strip().lower())
    return report.sql_for(config) if report is not None else query


def run_query(
    paths: Sequence[str | os.PathLike[str]],
    query: str,
    *,
    window: str | None = None,
    config: Config | None = None,
    line_limit: int = LINE_LIMIT,
    progress: LoadProgress | None = None,
    cancelled: Callable[[], bool] | None = None,
    memory_limit: str = MEMORY_LIMIT,
    query_progress: Callable[[float], None] | None = None,
    max_rows: int | None = None,
    store: CacheStore | None = None,
    writable: Path | None = None,
    before: Sequence[str] = (),
) -> QueryResult:
    """Run `query` (a report name from REPORTS or SQL over `entries` and `parse_errors`) over the log
    sets at `paths`, optionally narrowed to `window` (1m, 5m, 1h, 1d) as of the newest entry.

    `progress(done, total, file)` follows the files as they are set up; `query_progress(percent)` the
    running statement (DuckDB's estimate, 0-100; called from another thread every WATCH_EVERY_S).
    When `cancelled()` turns true the running statement is interrupted. With `max_rows`, at most that many
    rows are fetched from the database (it streams them): `truncated` says whether there were more.
    The database reads only the set's files (and its own spill directory): no other file, no extension
    install or load, no configuration change from the SQL.
    `config` shapes the reports that follow it (critical_paths: its CRITICAL_PATHS); None: the defaults.
    With `store`, the archives are read through their kept columnar copies (query/columnar.py), made when
    missing; the store is pruned to its limit after the query. None: every file is read (--no-cache).
    `writable`: a directory the statements may also write (the export's COPY); `before`: statements run
    (in order, no result) before `query`.
    Raises NoInput, QueryError (the database's message), QueryCancelled or ValueError (a bad window).
    """
    if window is not None and window not in WINDOW_BUCKETS:
        raise ValueError(f"unknown window {window!r}: expected one of {', '.join(WINDOW_BUCKETS)}")
    try:
        sets = discover([os.fspath(p) for p in paths] or ["execution.log"])
    except SourceError as exc:
        raise NoInput(str(exc)) from None
    if not any(m.path.exists() for s in sets for m in s.members):
        raise NoInput("no log file to read in " + ", ".join(str(p) for p in paths or ["execution.log"]))
    sql = resolve_query(query, config)
    scratch = Path(tempfile.mkdtemp(prefix="execlog-query-"))
    tails = scratch / "tails"
    early = None
    try:
        tails.mkdir()
        if store is not None:
            early = LiveProbes(sets, store, line_limit, tails)  # hashing while DuckDB is imported
        duckdb = sqlengine.duckdb()  # only now: the dashboard does not pay for the SQL engine until a query runs
    except BaseException:
        if early is not None:
            early.close()
        shutil.rmtree(scratch, ignore_errors=True)
        raise

    live = frozenset(display_name(m.path) for s in sets for m in s.members if m.live)
    # In memory; spills to scratch/spill beyond memory_limit. No extension is fetched or loaded on demand.
    con = duckdb.connect(config=_LOCKED_EXTENSIONS)
    stop = threading.Event()
    try:
        con.execute("SET memory_limit = $m", {"m": memory_limit})
        # DuckDB would draw its own bar on the terminal; with query_progress it only keeps the figure.
        con.execute("SET enable_progress_bar = $on", {"on": query_progress is not None})
        con.execute("SET enable_progress_bar_print = false")
        if query_progress is not None or cancelled is not None:
            _watch(con, stop, cancelled, query_progress)
        con.execute("SET temp_directory = $t", {"t": str(scratch / "spill")})  # a parameter: TMPDIR may hold '
        con.execute("SET preserve_insertion_order = true")  # line numbers follow the file order
        stats = load_sets(
            con,
            sets,
            line_limit=line_limit,
            progress=progress,
            cancelled=cancelled,
            store=store,
            scratch=tails,
            early=early,
        )
        _lock_down(con, stats, scratch, writable)

        materialized = False

        def execute(statement: str, fetch: bool, limit: int | None = None) -> Any:
            """Run a statement over the views; when it fails while reading a file DuckDB cannot read as
            our reader would, move that file to the slow path and run it again. When it runs out of
            memory, run it once more over tables (`_materialize`), which spill to disk."""
            nonlocal materialized
            while True:
                if cancelled is not None and cancelled():
                    raise QueryCancelled()
                try:
                    cur = con.execute(statement)
                    if not fetch or cur.description is None:
                        return (cur, None)
                    return (cur, cur.fetchall() if limit is None else cur.fetchmany(limit))
                except (
                    duckdb.InvalidInputException,
                    duckdb.IOException,
                    duckdb.PermissionException,  # a kept copy gone since its check: a pattern matching nothing
                    duckdb.ConversionException,
                    duckdb.InternalException,
                ) as exc:
                    if cancelled is not None and cancelled():
                        raise QueryCancelled() from None
                    if _disk_full(exc):
                        raise QueryError(_DISK_FULL.format(where=scratch.parent)) from None
                    if not demote_failing(con, stats, line_limit, live):
                        raise QueryError(_one_line(exc)) from None
                except duckdb.Error as exc:
                    if cancelled is not None and cancelled():
                        raise QueryCancelled() from None  # interrupted by the watcher, as asked
                    if _disk_full(exc):
                        raise QueryError(_DISK_FULL.format(where=scratch.parent)) from None
                    if isinstance(exc, duckdb.OutOfMemoryException):
                        if not materialized:
                            materialized = True
                            try:
                                _materialize(con)
                                continue
                            except duckdb.Error as again:
                                exc = again
                        raise QueryError(f"{_one_line(exc)} (the query's memory limit is {memory_limit})") from None
                    raise QueryError(_one_line(exc)) from None
                except RuntimeError:
                    if cancelled is not None and cancelled():
                        raise QueryCancelled() from None  # "Query interrupted" raised by a fetch
                    raise

        newest = None
        start = None
        if window is not None:
            newest = execute("SELECT max(ts_ms) FROM entries", True)[1][0][0]
            if newest is not None:
                start = window_start(window, newest)
                create_views(con, stats, since_ms=start)
        for statement in before:
            execute(statement, False)
        cur, rows = execute(sql, True, None if max_rows is None else max_rows + 1)
        truncated = False
        if cur.description is None:  # a statement without a result (e.g. CREATE VIEW)
            columns: tuple[str, ...] = ()
            rows = []
        else:
            columns = tuple(d[0] for d in cur.description)
            if max_rows is not None and len(rows) > max_rows:
                rows, truncated = rows[:max_rows], True
        if window is None:
            newest = None  # as_of_ms: only computed when a window needs it (an extra scan)
        return QueryResult(
            columns,
            rows,
            tuple(stats.files),
            window,
            start,
            newest,
            tuple(stats.warnings),
            stats,
            truncated,
            materialized,
        )
    finally:
        stop.set()
        if early is not None:
            early.close()  # when loading did not (a failure before it)
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
        if store is not None:
            store.prune()  # after the query: it may have been reading the copies pruning removes


# Set when the connection opens: DuckDB would otherwise fetch an extension from the network (INSTALL, or
# autoloading one a function needs) or load one from disk.
_LOCKED_EXTENSIONS: dict[str, Any] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
}

_DISK_FULL = "the disk holding the query's temporary files is full ({where}): free space there or set TMPDIR"


def _materialize(con: Any) -> None:
    """Copy `entries` and `parse_errors` (as they are: a window's view stays a window) into temporary
    tables and point the views at them. DuckDB's hash aggregation over the files' scans does not spill
    (GROUP BY details, line over 15.5 million lines: out of memory at a 160 MB limit, and at 500 MB),
    over a table it does (the same query then completes at 160 MB): the table's blocks go to the spill
    directory. Costs a pass over the files, so it is the fallback after an out-of-memory error only."""
    for view in ("entries", "parse_errors"):
        con.execute(f"CREATE OR REPLACE TEMP TABLE materialized_{view} AS SELECT * FROM {view}")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM materialized_{view}")


def _lock_down(con: Any, stats: LoadStats, scratch: Path, writable: Path | None = None) -> None:
    """From here on the SQL reads only the set's files and writes only DuckDB's spill directory: no
    read_text('/etc/shadow'), COPY ... TO, ATTACH of a file, INSTALL; and it cannot SET its way back."""
    # A kept copy's archive too: read through the fast path if its copy goes missing (demote_failing).
    # A live file read through its kept copy too, for the same reason.
    names = list(dict.fromkeys([*stats.fast_sql, *stats.copies, *stats.live]))
    files = [str(stats.paths[name]) for name in names] + [str(c.path) for c in stats.copies.values()]
    files += [str(live.prefix.path) for live in stats.live.values() if live.prefix is not None]
    if writable is not None:
        files.append(str(writable))  # a partitioned COPY opens the directory itself
    con.execute("SET allowed_paths = $p", {"p": files})
    dirs = [str(scratch) + os.sep] + ([] if writable is None else [str(writable) + os.sep])
    con.execute("SET allowed_directories = $d", {"d": dirs})
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def _disk_full(exc: BaseException) -> bool:
    text = str(exc)
    return "No space left on device" in text or "ENOSPC" in text or "temp_directory" in text and "size" in text


def _watch(
    con: Any,
    stop: threading.Event,
    cancelled: Callable[[], bool] | None,
    query_progress: Callable[[float], None] | None,
) -> None:
    """A daemon thread beside the query: reports DuckDB's progress and interrupts on cancel."""

    def loop() -> None:
        while not stop.wait(WATCH_EVERY_S):
            try:
                if cancelled is not None and cancelled():
                    con.interrupt()  # the running statement raises InterruptException
                    return
                if query_progress is not None:
                    pct = con.query_progress()
                    if pct >= 0:
                        query_progress(min(100.0, pct))
            except Exception:  # noqa: BLE001 - the connection closed under us: nothing left to watch
                return

    threading.Thread(target=loop, name="query-watch", daemon=True).start()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or exc.__class__.__name__
