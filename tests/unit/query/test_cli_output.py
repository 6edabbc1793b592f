"""The headless entry (exit statuses, one-line messages), the output formats, and the lazy DuckDB import."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from execlog_tui.query import QueryResult, format_result, run_query_cli

from .conftest import ROOT, ROTATED, SEED


def cli(capsys, query: str, *paths, fmt: str | None = None, window: str | None = None) -> tuple[int, str, str]:
    args = argparse.Namespace(query=query, paths=[str(p) for p in paths], format=fmt, window=window)
    code = run_query_cli(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_rows_keyed_by_column(capsys) -> None:
    code, out, err = cli(capsys, "error_rate", SEED, fmt="json")
    assert code == 0 and err == ""
    rows = json.loads(out)
    assert rows[0] == {"component": "*", "entries": 22, "errors": 3, "error_rate": pytest.approx(100 * 3 / 22)}


def test_timestamps_in_json_are_utc_iso_with_z(capsys) -> None:
    code, out, _ = cli(capsys, "SELECT min(ts) AS first FROM entries", SEED, fmt="json")
    assert code == 0 and json.loads(out) == [{"first": "2025-09-09T10:00:00.000Z"}]


def test_csv_and_table(capsys) -> None:
    code, out, _ = cli(capsys, "cache_efficiency", SEED, fmt="csv")
    assert code == 0
    assert out.splitlines()[0] == "hits,misses,hit_rate,cache_entries,seed_formula_rate"
    assert out.splitlines()[1].startswith("1,1,50,12,")
    code, out, _ = cli(capsys, "performance", SEED)
    assert code == 0 and "BOOTSTRAP" in out and out.rstrip().endswith("(4 rows)")


def test_bad_sql_exits_2_with_the_databases_message(capsys) -> None:
    code, out, err = cli(capsys, "SELECT nope FROM entries", SEED)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "nope" in err and "Traceback" not in err


def test_no_input_exits_1(tmp_path: Path, capsys) -> None:
    code, _, err = cli(capsys, "performance", tmp_path / "missing.log")
    assert code == 1 and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, "performance", tmp_path)  # a directory without any log
    assert code == 1


def test_bad_window_and_format_exit_2(capsys) -> None:
    assert cli(capsys, "performance", SEED, window="2h")[0] == 2
    assert cli(capsys, "performance", SEED, fmt="xml")[0] == 2


def test_window_narrows_to_the_newest_entrys_buckets(capsys) -> None:
    # Seed: newest 10:04:30.002; the 1m window holds 10:03:31.000 onwards (SPEC 3's own example).
    code, out, _ = cli(capsys, "SELECT count(*) AS n, min(ts) AS first FROM entries", SEED, fmt="json", window="1m")
    assert code == 0 and json.loads(out) == [{"n": 6, "first": "2025-09-09T10:04:00.000Z"}]


def test_table_never_interprets_log_text() -> None:
    hostile = "[bold]x[/bold] \x1b]52;c;AAAA\x07 \x1b[31mred \u202e"
    text = format_result(QueryResult(("details", "[red]col"), [(hostile, 1)]), "table")
    assert "[bold]x[/bold]" in text and "[red]col" in text
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b]52" in text and "\\u202e" in text


def test_importing_the_package_does_not_import_duckdb_or_textual() -> None:
    code = "import sys, execlog_tui.query; print('duckdb' in sys.modules, 'textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False False"


def test_ddl_statements_and_views_work(capsys) -> None:
    code, out, _ = cli(capsys, "CREATE VIEW slow AS SELECT * FROM entries WHERE duration_ms > 100", ROTATED)
    assert code == 0


def test_jsontable_keeps_column_names_and_order_even_without_rows(capsys) -> None:
    code, out, err = cli(
        capsys,
        "SELECT status, min(ts) AS first, count(*) AS n FROM entries GROUP BY 1 ORDER BY 1",
        SEED,
        fmt="jsontable",
    )
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["columns"] == ["status", "first", "n"] and doc["total"] == len(doc["rows"]) > 0
    # Values as the json format renders them: the same figures, as arrays in column order.
    _, as_json, _ = cli(
        capsys, "SELECT status, min(ts) AS first, count(*) AS n FROM entries GROUP BY 1 ORDER BY 1", SEED, fmt="json"
    )
    assert [dict(zip(doc["columns"], r, strict=True)) for r in doc["rows"]] == json.loads(as_json)
    code, out, _ = cli(capsys, "SELECT ts AS b, component AS a FROM entries WHERE false", SEED, fmt="jsontable")
    assert code == 0 and json.loads(out)["columns"] == ["b", "a"] and json.loads(out)["rows"] == []
    assert cli(capsys, "SELECT 1 AS one", SEED, fmt="json")[1].strip() == '[{"one": 1}]'
