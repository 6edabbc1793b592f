"""Query results as text: a rich table (log text made inert), CSV, JSON rows keyed by column, or JSON for machines."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from typing import Any

from execlog_tui.core.sanitize import sanitize
from execlog_tui.query.run import QueryResult

FORMATS = ("table", "csv", "json", "jsontable")


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="milliseconds") + "Z"  # SPEC 9's form: UTC, ms, Z
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)  # Decimal, UUID, bytes, intervals: their text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if math.isfinite(value) else str(value)
    v = _json_value(value)
    return v if isinstance(v, str) else json.dumps(v) if isinstance(v, (list, dict)) else str(v)


def format_jsontable(result: QueryResult, max_rows: int | None = None) -> str:
    """{"columns": [...], "rows": [[...], ...], "total": n, "more": bool, "files": [...]}: names and order
    kept even for no rows.

    Values as the json format renders them. `max_rows` keeps only the first rows. `total` counts the rows
    fetched; `more` is true when the statement had more than that (run_query's max_rows stopped fetching:
    the query screen must not take in, nor the child hold, a SELECT * over millions of lines).
    """
    rows = result.rows if max_rows is None else result.rows[:max_rows]
    doc = {
        "columns": list(result.columns),
        "rows": [[_json_value(v) for v in row] for row in rows],
        "total": len(result.rows),
        "more": result.truncated or len(rows) < len(result.rows),
        "files": list(result.files),
    }
    return json.dumps(doc, ensure_ascii=True, indent=None)


def format_result(result: QueryResult, fmt: str = "table") -> str:
    """The result as `table` (rich, fits no width limit), `csv` (RFC 4180), `json` (array of objects) or
    `jsontable` (columns and rows as arrays: see format_jsontable)."""
    if fmt == "jsontable":
        return format_jsontable(result)
    if fmt == "json":
        rows = [dict(zip(result.columns, map(_json_value, row), strict=True)) for row in result.rows]
        # ASCII escapes: a C1 control in log text must not reach a terminal as a raw byte.
        return json.dumps(rows, ensure_ascii=True, indent=None)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        # Control characters are written visibly (\x1b): the CSV may well be read on a terminal.
        w.writerow([sanitize(c) for c in result.columns])
        for row in result.rows:
            w.writerow([sanitize(_text(v)) for v in row])
        return buf.getvalue().rstrip("\n")
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    numeric = [
        all(isinstance(r[i], (int, float)) or r[i] is None for r in result.rows) and result.rows
        for i in range(len(result.columns))
    ]
    for i, name in enumerate(result.columns):
        # Column names come from the query (and so from the user): inert too.
        table.add_column(Text(sanitize(name)), justify="right" if numeric[i] else "left", overflow="fold")
    for row in result.rows:
        # Text objects, never strings: rich would read [brackets] in log text as markup.
        table.add_row(*(Text(sanitize(_text(v))) for v in row))
    out = io.StringIO()
    console = Console(
        file=out,
        width=max(80, _natural_width(result)),
        color_system=None,
        force_terminal=False,
        highlight=False,
        emoji=False,
        markup=False,
    )
    console.print(table)
    footer = f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})"
    return out.getvalue().rstrip("\n") + "\n" + footer


def _natural_width(result: QueryResult) -> int:
    widths = [len(c) for c in result.columns]
    for row in result.rows[:1000]:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], min(len(sanitize(_text(v))), 200))
    return sum(widths) + 3 * len(widths)
