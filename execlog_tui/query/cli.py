"""Headless queries: `execlog-top --query NAME|SQL [--format table|csv|json] [--window 1h] [PATH ...]`."""

from __future__ import annotations

import sys
from typing import Any

from execlog_tui.ui.sanitize import sanitize

EXIT_OK, EXIT_NO_INPUT, EXIT_QUERY = 0, 1, 2


def run_query_cli(args: Any) -> int:
    """Run args.query over args.paths and print it; messages are one line on stderr, never a traceback.

    Reads `query`, `paths`, and when present `format` (default table), `window`, `line_limit`. Exit
    status 0; 2 for a bad query, format or window (the database's own message); 1 when there is no input.
    """
    from execlog_tui.query.output import FORMATS, format_result
    from execlog_tui.query.run import NoInput, QueryError, run_query

    fmt = getattr(args, "format", None) or "table"
    if fmt not in FORMATS:
        print(f"execlog-top: unknown format {fmt!r}: expected one of {', '.join(FORMATS)}", file=sys.stderr)
        return EXIT_QUERY
    query = getattr(args, "query", None) or ""
    if not query.strip():
        print("execlog-top: --query needs a report name or SQL", file=sys.stderr)
        return EXIT_QUERY
    kwargs: dict[str, Any] = {"window": getattr(args, "window", None)}
    if getattr(args, "line_limit", None):
        kwargs["line_limit"] = args.line_limit
    try:
        result = run_query(list(getattr(args, "paths", None) or []), query, **kwargs)
    except QueryError as exc:
        print(f"execlog-top: query failed: {exc}", file=sys.stderr)
        return EXIT_QUERY
    except ValueError as exc:
        print(f"execlog-top: {exc}", file=sys.stderr)
        return EXIT_QUERY
    except NoInput as exc:
        print(f"execlog-top: {exc}", file=sys.stderr)
        return EXIT_NO_INPUT
    except ImportError as exc:
        print(f"execlog-top: --query needs DuckDB and numpy ({exc}): pip install duckdb numpy", file=sys.stderr)
        return EXIT_NO_INPUT
    except Exception as exc:  # noqa: BLE001 - anything else the database raises: one line, never a traceback
        message = " ".join(str(exc).split())
        print(f"execlog-top: query failed: {type(exc).__name__}: {message}", file=sys.stderr)
        return EXIT_QUERY
    for w in result.warnings:
        print(f"execlog-top: warning: {sanitize(w.file)}: {sanitize(w.message)}", file=sys.stderr)
    out = format_result(result, fmt)
    try:
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: not an error
        pass
    return EXIT_OK
