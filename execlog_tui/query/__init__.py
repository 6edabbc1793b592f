"""SQL over a log set: the seed's five reports and ad-hoc queries, with the engine's parsing rules.

DuckDB is imported only when a query runs (execlog_tui.query.run.run_query), never by this package's
import, so the dashboard's memory does not pay for it.
"""

from __future__ import annotations

from execlog_tui.query.cli import run_query_cli
from execlog_tui.query.output import FORMATS, format_result
from execlog_tui.query.reports import REPORTS, Report
from execlog_tui.query.run import NoInput, QueryCancelled, QueryError, QueryResult, resolve_query, run_query

__all__ = [
    "FORMATS",
    "NoInput",
    "QueryCancelled",
    "QueryError",
    "QueryResult",
    "REPORTS",
    "Report",
    "format_result",
    "resolve_query",
    "run_query",
    "run_query_cli",
]
