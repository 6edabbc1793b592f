"""Headless queries: `execlog-top --query NAME|SQL [--format table|csv|json] [--window 1h] [PATH ...]`."""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

from execlog_tui.core.sanitize import print_message

EXIT_OK, EXIT_NO_INPUT, EXIT_QUERY = 0, 1, 2
EXIT_TERMINATED = 128 + signal.SIGTERM

# For the dashboard's query screen, which runs `--query` in a child process (DuckDB never enters the
# dashboard): with PROGRESS_ENV=1 the child reports on stderr, one line each, `progress: files DONE TOTAL`
# and `progress: query PERCENT`; MAX_ROWS_ENV=N fetches at most N rows from the database (jsontable's
# `more` then says whether there were more).
PROGRESS_ENV = "EXECLOG_TUI_QUERY_PROGRESS"
MAX_ROWS_ENV = "EXECLOG_TUI_QUERY_MAX_ROWS"
PROGRESS_PREFIX = "progress: "


def _say(line: str) -> None:
    try:
        sys.stderr.write(PROGRESS_PREFIX + line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # the reader went away: the query goes on regardless
        pass


class _Terminated(BaseException):
    """SIGTERM arrived while Python code ran: unwinds through run_query's clean-up."""


def _on_sigterm() -> threading.Event:
    """SIGTERM (the query screen's cancel, a kill) ends the query cleanly: the temporary directory is removed.

    Python runs a signal handler only between bytecodes, never while DuckDB executes a statement: so the
    signal also wakes a thread (through the wakeup fd) that sets the returned event, which run_query's
    watcher turns into an interrupt of the running statement within WATCH_EVERY_S.
    """
    event = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        return event  # only the main thread may install handlers (the CLI's is; tests may not be)

    def handler(_signum: int, _frame: Any) -> None:
        event.set()
        raise _Terminated()

    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)

    def wake() -> None:
        try:
            while data := os.read(read_fd, 64):  # one byte per signal caught: its number
                if signal.SIGTERM in data:
                    event.set()
        except OSError:
            pass

    signal.signal(signal.SIGTERM, handler)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    threading.Thread(target=wake, name="sigterm-wake", daemon=True).start()
    return event


def run_query_cli(args: Any, store: Any = None) -> int:
    """Run args.query over args.paths and print it; messages are one line on stderr, never a traceback.

    Reads `query`, `paths`, and when present `format` (default table), `window`, `line_limit`, `config` (a
    YAML file: the reports that follow it, critical_paths, use its CRITICAL_PATHS). Exit status 0; 2 for a
    bad query, format, window or configuration (the database's or the configuration's own message); 1 when
    there is no input. `store`: the derived-data store whose columnar copies the query reads (None: none).
    """
    from execlog_tui.query.output import FORMATS, format_result
    from execlog_tui.query.run import NoInput, QueryCancelled, QueryError, run_query

    fmt = getattr(args, "format", None) or "table"
    if fmt not in FORMATS:
        print_message(f"execlog-top: unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
        return EXIT_QUERY
    query = getattr(args, "query", None) or ""
    if not query.strip():
        print_message("execlog-top: --query needs a report name or SQL")
        return EXIT_QUERY
    kwargs: dict[str, Any] = {"window": getattr(args, "window", None)}
    config_file = getattr(args, "config", None)
    if config_file is not None:
        from execlog_tui.core.config_file import ConfigError, load_config

        try:
            kwargs["config"] = load_config(config_file)
        except ConfigError as exc:
            print_message(f"execlog-top: {exc}")  # file, line and key; inert (the user's own text is in it)
            return EXIT_QUERY
    if getattr(args, "line_limit", None):
        kwargs["line_limit"] = args.line_limit
    max_rows = os.environ.get(MAX_ROWS_ENV, "")
    if max_rows.isdigit():
        kwargs["max_rows"] = int(max_rows)
    if store is not None:
        kwargs["store"] = store
    terminated = _on_sigterm()
    kwargs["cancelled"] = terminated.is_set
    if os.environ.get(PROGRESS_ENV) == "1":
        kwargs["progress"] = lambda done, total, _name: _say(f"files {done} {total}")
        kwargs["query_progress"] = lambda pct: _say(f"query {pct:.1f}")
    try:
        try:
            result = run_query(list(getattr(args, "paths", None) or []), query, **kwargs)
        except BaseException:
            if terminated.is_set():  # whatever the signal interrupted (a statement, a load) raised this
                raise _Terminated() from None
            raise
    except (QueryCancelled, _Terminated):
        return EXIT_TERMINATED  # run_query's own clean-up (its temporary directory) has run
    except QueryError as exc:
        print_message(f"execlog-top: query failed: {exc}")
        return EXIT_QUERY
    except ValueError as exc:
        print_message(f"execlog-top: {exc}")
        return EXIT_QUERY
    except NoInput as exc:
        print_message(f"execlog-top: {exc}")
        return EXIT_NO_INPUT
    except ImportError as exc:
        print_message(f"execlog-top: --query needs DuckDB and numpy ({exc}): pip install duckdb numpy")
        return EXIT_NO_INPUT
    except Exception as exc:  # noqa: BLE001 - anything else the database raises: one line, never a traceback
        print_message(f"execlog-top: query failed: {type(exc).__name__}: {exc}")
        return EXIT_QUERY
    for w in result.warnings:
        print_message(f"execlog-top: warning: {w.file}: {w.message}")
    out = format_result(result, fmt)
    try:
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: not an error
        pass
    return EXIT_OK
