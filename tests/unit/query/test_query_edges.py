"""Queries under hostile conditions (issue 13 item 7), with real DuckDB and real files: the row cap applied in
the child, no temporary CSV, odd paths and TMPDIRs, SIGTERM and cancel clean up, the database confined."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from execlog_tui.query import REPORTS, QueryError, run_query
from execlog_tui.query.cli import MAX_ROWS_ENV
from tests.unit.query.conftest import ROOT, SEED

SLOW_SQL = "SELECT sum(x) FROM range(100000000000) t(x)"


def write_log(path: Path, n: int, details: str = "ok") -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(f"2025-09-09T10:{i // 60000 % 60:02d}:{i // 1000 % 60:02d}.{i % 1000:03d}Z|API|CALL|{i % 90}|")
            f.write(f"SUCCESS|{details} {i}\n")
    return path


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "execlog_tui", *args], capture_output=True, text=True, env=full, timeout=timeout
    )


# ---- the row cap is the child's -------------------------------------------------------------------------


def test_max_rows_fetches_no_more_than_asked_and_says_there_were_more(tmp_path: Path) -> None:
    log = write_log(tmp_path / "execution.log", 2000)
    capped = run_query([log], "SELECT * FROM entries", max_rows=100)
    assert len(capped.rows) == 100 and capped.truncated
    assert capped.rows[0][7] == 1 and capped.rows[-1][7] == 100  # the first rows, in file order
    exact = run_query([log], "SELECT * FROM entries", max_rows=2000)
    assert len(exact.rows) == 2000 and not exact.truncated
    out = cli("--query", "SELECT * FROM entries", "--format", "jsontable", str(log), env={MAX_ROWS_ENV: "50"})
    doc = json.loads(out.stdout)
    assert out.returncode == 0 and len(doc["rows"]) == 50 and doc["total"] == 50 and doc["more"] is True


# ---- the slow path writes no temporary file; odd paths and TMPDIRs -----------------------------------------


def test_slow_path_files_need_no_temporary_disk_space(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = write_log(tmp_path / "execution.log", 20_000, details="x" * 200)
    with log.open("ab") as f:
        f.write(b"2025-09-09T11:00:00.000Z|API|CALL|5|SUCCESS|bad \xff byte\n")  # invalid UTF-8: the slow path
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    seen: list[str] = []
    real = tempfile.mkstemp

    def spy(*a: object, **k: object) -> tuple[int, str]:
        fd, name = real(*a, **k)  # type: ignore[call-overload]
        seen.append(name)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    result = run_query([log], "SELECT count(*), max(line), count(DISTINCT details) FROM entries")
    assert result.rows == [(20_001, 20_001, 20_001)]
    assert result.stats is not None and result.stats.slow_files == 1
    assert seen == []  # no temporary CSV (it wrote 22 MB/s and filled a 300 MB tmpfs)
    assert list(tmp.iterdir()) == []


def test_a_path_with_a_non_utf8_byte_is_queried(tmp_path: Path) -> None:
    d = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/set\xff"))
    d.mkdir()
    log = write_log(d / "execution.log", 30)
    result = run_query([log], "SELECT count(*) AS n, min(file) AS f FROM entries")
    assert result.rows[0][0] == 30 and result.rows[0][1].endswith("set\\xff/execution.log")
    for name in REPORTS:
        assert run_query([log], name).columns


def test_a_tmpdir_holding_a_quote_works(tmp_path: Path) -> None:
    tmp = tmp_path / "it's here"
    tmp.mkdir()
    out = cli("--query", "SELECT count(*) AS n FROM entries", "--format", "csv", str(SEED), env={"TMPDIR": str(tmp)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["n", "22"]
    assert list(tmp.iterdir()) == []


# ---- SIGTERM cleans up ------------------------------------------------------------------------------------


def test_sigterm_during_a_statement_removes_the_temporary_directory(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "execlog_tui", "--query", SLOW_SQL, str(SEED)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(tmp.glob("execlog-query-*")):  # the child is set up and running
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.05)
        time.sleep(0.5)  # well into the statement (DuckDB running, not Python)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 128 + signal.SIGTERM
    assert list(tmp.iterdir()) == []  # no execlog-query-* left behind
    assert proc.stderr is not None and b"Traceback" not in proc.stderr.read()


# ---- the database is confined to the set's files ---------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "COPY (SELECT * FROM entries) TO '{out}'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "ATTACH '{db}' AS other",
        "SET enable_external_access = true",
        "SELECT * FROM glob('/etc/*')",
    ],
)
def test_sql_cannot_touch_other_files_install_or_reconfigure(tmp_path: Path, sql: str) -> None:
    out_file, db = tmp_path / "stolen.csv", tmp_path / "other.duckdb"
    out = cli("--query", sql.format(out=out_file, db=db), str(SEED))
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("execlog-top: query failed: ") and "root:" not in out.stderr
    assert "configuration" in lines[0]  # refused by the confinement, not failing for another reason
    assert not out_file.exists() and not db.exists()


def test_reports_and_ordinary_sql_still_work_when_confined(tmp_path: Path) -> None:
    for name in REPORTS:
        assert cli("--query", name, "--format", "json", str(SEED)).returncode == 0
    # the set's own files stay readable; the query's own views and tables work
    sql = "SELECT count(*) AS n FROM read_csv($$" + str(SEED) + "$$, header=false, sep='\t', columns={'l': 'VARCHAR'})"
    out = cli("--query", sql, "--format", "csv", str(SEED))
    assert out.returncode == 0 and out.stdout.splitlines()[1].isdigit(), out.stderr
    out = cli("--query", "CREATE TEMP TABLE t AS SELECT status FROM entries", str(SEED))
    assert out.returncode == 0, out.stderr


# ---- a full disk is a clear message; GROUP BY spills ------------------------------------------------------


@pytest.fixture
def small_tmpfs(tmp_path: Path):  # type: ignore[no-untyped-def]
    mnt = tmp_path / "small"
    mnt.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {made.stderr.decode(errors='replace').strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_a_full_disk_for_spilling_is_a_clear_message(small_tmpfs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(small_tmpfs))
    sql = "SELECT s, count(*) FROM (SELECT x::VARCHAR || repeat('a', 80) AS s FROM range(1500000) t(x)) GROUP BY s"
    with pytest.raises(QueryError) as err:
        run_query([SEED], sql, memory_limit="24MB")
    assert "full" in str(err.value) and str(small_tmpfs) in str(err.value), err.value
    assert list(small_tmpfs.iterdir()) == []


def test_group_by_details_and_line_spills_instead_of_failing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = write_log(tmp_path / "execution.log", 200_000, details="d" * 120)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    result = run_query(
        [log],
        "SELECT count(*) FROM (SELECT details, line, count(*) FROM entries GROUP BY details, line)",
        memory_limit="24MB",
    )
    assert result.rows == [(200_000,)]
