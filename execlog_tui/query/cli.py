"""Headless queries: `execlog-top --query NAME|SQL [--format table|csv|json] [--window 1h] [PATH ...]`."""

from __future__ import annotations

import os
import sys
from typing import Any

from execlog_tui.core.sanitize import print_message

EXIT_OK, EXIT_NO_INPUT, EXIT_QUERY = 0, 1, 2

# For the dashboard's query screen, which runs `--query` in a child process (DuckDB never enters the
# dashboard): with PROGRESS_ENV=1 the child reports on stderr, one line each, `progress: files DONE TOTAL`
# and `progress: query PERCENT`; MAX_ROWS_ENV=N keeps only the first N rows of a jsontable result.
PROGRESS_ENV = "EXECLOG_TUI_QUERY_PROGRESS"
MAX_ROWS_ENV = "EXECLOG_TUI_QUERY_MAX_ROWS"
PROGRESS_PREFIX = "progress: "


def _say(line: str) -> None:
    try:
        sys.stderr.write(PROGRESS_PREFIX + line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # the reader went away: the query goes on regardless
        pass


def run_query_cli(args: Any) -> int:
    """Run args.query over args.paths and print it; messages are one line on stderr, never a traceback.

    Reads `query`, `paths`, and when present `format` (default table), `window`, `line_limit`. Exit
    status 0; 2 for a bad query, format or window (the database's own message); 1 when there is no input.
    """
    from execlog_tui.query.output import FORMATS, format_result
    from execlog_tui.query.run import NoInput, QueryError, run_query

    fmt = getattr(args, "format", None) or "table"
    if fmt not in FORMATS:
        print_message(f"execlog-top: unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
        return EXIT_QUERY
    query = getattr(args, "query", None) or ""
    if not query.strip():
        print_message("execlog-top: --query needs a report name or SQL")
        return EXIT_QUERY
    kwargs: dict[str, Any] = {"window": getattr(args, "window", None)}
    if getattr(args, "line_limit", None):
        kwargs["line_limit"] = args.line_limit
    if os.environ.get(PROGRESS_ENV) == "1":
        kwargs["progress"] = lambda done, total, _name: _say(f"files {done} {total}")
        kwargs["query_progress"] = lambda pct: _say(f"query {pct:.1f}")
    try:
        result = run_query(list(getattr(args, "paths", None) or []), query, **kwargs)
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
    max_rows = os.environ.get(MAX_ROWS_ENV, "")
    if fmt == "jsontable" and max_rows.isdigit():
        from execlog_tui.query.output import format_jsontable

        out = format_jsontable(result, int(max_rows))
    else:
        out = format_result(result, fmt)
    try:
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: not an error
        pass
    return EXIT_OK
