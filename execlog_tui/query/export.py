"""`execlog-top --export parquet DIR PATH...`: the entries as Hive-partitioned Parquet, for other engines.

Writes `DIR/date=YYYY-MM-DD/data_N.parquet` (the day of `ts`, UTC) with exactly the columns of the view
`entries` (file and line included), and `DIR/parse_errors/parse_errors.parquet` with those of
`parse_errors`; `DIR/_execlog-top-export.json` says what wrote it (names starting with `_` are skipped
by Spark, Trino and Hive readers). DuckDB reads the export back with
`read_parquet('DIR/date=*/*.parquet', hive_partitioning=true)`. A DIR that holds anything else is
refused; one holding only an earlier export is replaced.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from execlog_tui import __version__
from execlog_tui.query.reports import sql_literal

FORMATS = ("parquet",)
MARKER = "_execlog-top-export.json"
ERRORS_DIR = "parse_errors"


class ExportError(Exception):
    """The export cannot be written where asked: a one-line reason."""


def _ours(entry: str) -> bool:
    return entry in (MARKER, ERRORS_DIR) or entry.startswith("date=")


def prepare(out: Path) -> None:
    """Make `out` an empty directory for the export: created when missing, emptied when it holds only an
    earlier export of ours (its marker present), refused otherwise."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} exists and is not a directory")
    if out.is_dir():
        names = sorted(os.listdir(out))
        if names:
            if MARKER not in names:
                raise ExportError(f"{out} is not empty and holds no earlier export: give a new or empty directory")
            foreign = [n for n in names if not _ours(n)]
            if foreign:
                raise ExportError(f"{out} holds an earlier export and other files too ({foreign[0]}): not replaced")
            for n in names:
                p = out / n
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p)
                else:
                    p.unlink()
    out.mkdir(parents=True, exist_ok=True)


def export(
    paths: Sequence[str | os.PathLike[str]],
    fmt: str,
    out: Path,
    *,
    line_limit: int | None = None,
    store: Any = None,
) -> dict[str, Any]:
    """Write the export (see the module docstring); returns what the marker says (rows, files, days).
    Raises ExportError, and run_query's NoInput, QueryError."""
    from execlog_tui.query.run import run_query

    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    out = Path(os.path.abspath(out))
    prepare(out)
    marker = {"writer": f"execlog-top {__version__}", "complete": False}
    (out / MARKER).write_text(json.dumps(marker) + "\n")
    (out / ERRORS_DIR).mkdir()
    entries = (
        "COPY (SELECT *, strftime(ts, '%Y-%m-%d') AS date FROM entries) TO "
        f"{sql_literal(str(out))} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), OVERWRITE_OR_IGNORE)"
    )
    errors = (
        f"COPY (SELECT * FROM parse_errors) TO {sql_literal(str(out / ERRORS_DIR / 'parse_errors.parquet'))} "
        "(FORMAT parquet, COMPRESSION zstd)"
    )
    counts = "SELECT (SELECT count(*) FROM entries), (SELECT count(*) FROM parse_errors)"
    kwargs: dict[str, Any] = {"store": store, "writable": out, "before": (entries, errors)}
    if line_limit:
        kwargs["line_limit"] = line_limit
    result = run_query(list(paths), counts, **kwargs)
    n_entries, n_errors = result.rows[0]
    marker.update(
        complete=True,
        entries=n_entries,
        parse_errors=n_errors,
        files=list(result.files),
        days=sorted(p.name[len("date=") :] for p in out.glob("date=*")),
    )
    (out / MARKER).write_text(json.dumps(marker, indent=1) + "\n")
    return marker


def run_export_cli(args: Any, store: Any = None) -> int:
    """`--export FORMAT DIR PATH...`: one line of summary on stdout, one line of reason on stderr."""
    from execlog_tui.core.sanitize import print_message, sanitize
    from execlog_tui.query.run import NoInput, QueryError

    fmt, out = args.export
    try:
        marker = export(
            list(args.paths or []), fmt, Path(out), line_limit=getattr(args, "line_limit", None), store=store
        )
    except ExportError as exc:
        print_message(f"execlog-top: --export: {exc}")
        return 2
    except QueryError as exc:
        print_message(f"execlog-top: --export failed: {exc}")
        return 2
    except NoInput as exc:
        print_message(f"execlog-top: {exc}")
        return 1
    except OSError as exc:
        print_message(f"execlog-top: --export: {out}: {exc.strerror or exc}")
        return 2
    except ImportError as exc:
        print_message(f"execlog-top: --export needs DuckDB and numpy ({exc}): pip install duckdb numpy")
        return 1
    print(
        f"exported {marker['entries']:,} entries ({len(marker['days'])} days) and {marker['parse_errors']:,} "
        f"parse errors from {len(marker['files'])} files to {sanitize(str(Path(out)))}"
    )
    return 0
