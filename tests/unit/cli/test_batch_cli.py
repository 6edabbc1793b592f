"""`execlog-top -b`: exit statuses, one-line errors, JSON per SPEC 9, --at, colour rules, inert text."""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from execlog_tui.query import run_query

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "sample_logs" / "seed_sample.log"


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    if env is None or "NO_COLOR" not in env:
        full_env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "execlog_tui", *args], capture_output=True, text=True, cwd=cwd, env=full_env, timeout=60
    )


def test_json_report_has_every_spec_key() -> None:
    out = run("-b", "--json", str(SEED))
    assert out.returncode == 0, out.stderr
    j = json.loads(out.stdout)
    assert set(j) >= {"as_of", "source", "windows", "components", "bootstrap", "breakers", "alerts", "degraded"}
    assert set(j["windows"]) == {"1m", "5m", "1h", "1d"}
    assert set(j["windows"]["1m"]) >= {
        "entries",
        "requests_per_second",
        "errors",
        "error_rate",
        "avg_response_ms",
        "p95_response_ms",
        "cache_hit_rate",
        "memory_mb",
        "memory_max_mb",
        "bands",
    }
    assert set(j["windows"]["1m"]["bands"]) >= {"response_time", "cache_hit_rate", "memory_usage"}
    assert set(j["source"]) >= {"files", "entries", "parse_errors", "first", "last", "warnings"}
    assert j["source"]["files"] == [str(SEED)]
    assert j["bootstrap"] == {"ms": 254.0, "band": "acceptable"}


def test_at_a_time_of_day_is_on_the_date_of_the_newest_entry_and_later_entries_play_no_part() -> None:
    out = run("-b", "--json", "--at", "10:04:00.200", str(SEED))
    assert out.returncode == 0, out.stderr
    j = json.loads(out.stdout)
    assert j["as_of"] == "2025-09-09T10:04:00.200Z"
    assert j["source"]["entries"] == 19 and j["source"]["last"] == "2025-09-09T10:04:00.200Z"
    assert j["breakers"]["CACHE"] == {
        "state": "OPEN",
        "since": "2025-09-09T10:04:00.200Z",
        "opened": 1,
        "inferred": True,
    }
    out = run("-b", "--json", "--at", "2025-09-09T10:04:15Z", str(SEED))
    j = json.loads(out.stdout)
    assert j["breakers"]["CACHE"]["state"] == "OPEN" and j["breakers"]["CACHE"]["inferred"] is False


def test_text_report_shows_band_labels_without_colour_when_piped() -> None:
    out = run("-b", str(SEED))
    assert out.returncode == 0
    assert "\x1b[" not in out.stdout  # not a terminal: no colour codes
    assert "254 ms" in out.stdout and "acc" in out.stdout
    assert "CACHE" in out.stdout and "FIRING" in out.stdout


def test_no_color_env_even_on_a_forced_terminal() -> None:
    out = run("-b", str(SEED), env={"NO_COLOR": "1", "FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert out.returncode == 0
    assert not re.search(r"\x1b\[[0-9;]*(?:3[0-8]|9[0-7]|4[0-8])m", out.stdout)  # no colour, bold is fine


def test_missing_input_exits_1_with_one_line(tmp_path: Path) -> None:
    out = run("-b", str(tmp_path / "nope.log"))
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("execlog-top: ")
    assert "Traceback" not in out.stderr
    out = run("-b", cwd=tmp_path)  # default ./execution.log
    assert out.returncode == 1 and "execution.log" in out.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--nope"],
        ["-b", "-n", "3"],
        ["--json"],
        ["-b", "--at", "yesterday"],
        ["-b", "-d", "-1"],
        ["-b", "--at", ""],
        ["-b", "-d", "1", "--at", "10:00"],
        ["--at", "10:00"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str]) -> None:
    out = run(*args, str(SEED))
    assert out.returncode == 2, out
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_bad_configuration_exits_2_naming_key_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("THRESHOLDS:\n  bootstrap:\n    warning: fast\n")
    out = run("-b", "--config", str(cfg), str(SEED))
    assert out.returncode == 2
    assert "bad.yaml:3" in out.stderr and "THRESHOLDS.bootstrap.warning" in out.stderr
    assert out.stderr.count("\n") == 1


def test_rotated_set_with_damaged_and_empty_archives(tmp_path: Path) -> None:
    lines = [f"2025-09-09T10:00:{s:02d}.000Z|API|CALL|10|SUCCESS|n={s}" for s in range(40)]
    (tmp_path / "execution.log.3.gz").write_bytes(gzip.compress("\n".join(lines[0:10]).encode() + b"\n")[:-12])
    (tmp_path / "execution.log.2.gz").write_bytes(b"")
    (tmp_path / "execution.log.1").write_text("\n".join(lines[10:20]) + "\n")
    (tmp_path / "execution.log").write_text("\n".join(lines[20:40]) + "\nnot a line\n")
    out = run("-b", "--json", str(tmp_path))
    assert out.returncode == 0, out.stderr
    j = json.loads(out.stdout)
    assert 30 <= j["source"]["entries"] < 40  # the damaged archive yields what it can
    assert j["source"]["parse_errors"] == 1
    messages = {Path(w["file"]).name: w["message"] for w in j["source"]["warnings"]}
    assert "empty archive" in messages["execution.log.2.gz"]
    assert "execution.log.3.gz" in messages


def test_log_text_is_never_interpreted(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text("2025-09-09T10:00:00Z|\x1b]0;pwned\x07[@click=app.quit]|CALL|1|CRITICAL|x\n")
    out = run("-b", str(log), env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert out.returncode == 0
    assert "\x1b]0;" not in out.stdout and "\x07" not in out.stdout
    assert "\\x1b]0;PWNED\\x07[@CLICK=APP.QUIT]" in out.stdout  # components are shown in upper case


def test_query_flag_runs_a_named_report_and_reports_sql_errors() -> None:
    out = run("--query", "cache_efficiency", "--format", "json", str(SEED))
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows[0]["hits"] == 1 and rows[0]["misses"] == 1 and rows[0]["hit_rate"] == 50
    out = run("--query", "select nope from entries", str(SEED))
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "nope" in out.stderr


def test_a_duration_too_large_for_a_float_is_a_parse_error(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(
        "2025-09-09T10:00:00Z|API|CALL|1" + "0" * 400 + "|SUCCESS|x\n"
        "2025-09-09T10:00:01Z|API|CALL|" + "9" * 308 + "|SUCCESS|y\n"
        "2025-09-09T10:00:02Z|API|CALL|" + "9" * 308 + "|SUCCESS|z\n"
    )
    for env in (None, {"EXECLOG_NO_FASTPATH": "1"}):
        out = run("-b", "--json", str(log), env=env)
        assert out.returncode == 0, out.stderr
        j = json.loads(out.stdout)  # valid JSON: no Infinity even when sums overflow
        assert j["source"]["entries"] == 2 and j["source"]["parse_errors"] == 1
        assert j["windows"]["1m"]["avg_response_ms"] is None


def test_at_before_the_first_entry_is_an_empty_report_as_of_that_time() -> None:
    out = run("-b", "--json", "--at", "2025-09-09T09:00:00Z", str(SEED))
    assert out.returncode == 0, out.stderr
    j = json.loads(out.stdout)
    assert j["as_of"] == "2025-09-09T09:00:00.000Z" and j["source"]["entries"] == 0


def test_at_stops_at_the_first_entry_after_it_late_lines_and_parse_errors_after_play_no_part(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(
        "2025-09-09T10:00:00Z|API|CALL|1|SUCCESS|a\n"
        "2025-09-09T10:00:10Z|API|CALL|1|SUCCESS|after T\n"
        "2025-09-09T10:00:04Z|API|CALL|1|FAILURE|late, written after T\n"
        "garbage after T\n"
    )
    j = json.loads(run("-b", "--json", "--at", "10:00:05", str(log)).stdout)
    assert (j["source"]["entries"], j["source"]["parse_errors"], j["windows"]["1m"]["errors"]) == (1, 0, 0)


def test_time_of_day_without_a_live_file_is_on_the_date_of_the_newest_entry(tmp_path: Path) -> None:
    lines = [f"2025-09-09T23:{m:02d}:00Z|API|CALL|1|SUCCESS|x" for m in range(50, 60)]
    lines += [f"2025-09-10T00:{m:02d}:00Z|API|CALL|1|SUCCESS|x" for m in range(0, 40)]
    (tmp_path / "execution.log.1.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    j = json.loads(run("-b", "--json", "--at", "00:30", str(tmp_path)).stdout)
    assert j["as_of"] == "2025-09-10T00:30:00.000Z" and j["source"]["entries"] == 41


def test_output_errors_are_one_line_and_a_closed_pipe_is_success(tmp_path: Path) -> None:
    full = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "-b", "--json", str(SEED)],
        stdout=open("/dev/full", "w"),
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert full.returncode == 1 and full.stderr.count("\n") == 1 and "Traceback" not in full.stderr
    status = subprocess.run(
        f"{sys.executable} -m execlog_tui -b -d 0.05 -n 40 {ROOT / 'sample_logs' / 'rotated'} | head -1;"
        " echo ${PIPESTATUS[0]}",
        shell=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        executable="/bin/bash",
    )
    assert "Traceback" not in status.stderr
    assert status.stdout.strip().splitlines()[-1] == "0"


def test_a_query_ends_at_once_with_its_output_written_and_its_status(tmp_path: Path) -> None:
    """A query's process skips the interpreter's shutdown (cli.run): its output is still whole in a file,
    a full disk is one line and status 1, a reader gone is success, a failed query keeps its status."""
    rows = "SELECT line, details FROM entries ORDER BY line"
    log = tmp_path / "execution.log"  # output well past any buffer: 50,000 rows
    log.write_text(
        "".join(f'2025-09-09T10:{i // 6000 % 60:02d}:00Z|API|CALL|1|SUCCESS|row {i}, a"b\n' for i in range(50_000))
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "execlog_tui", "--cache-dir", str(tmp_path / "cache"), "--query", rows]
    out = tmp_path / "out.csv"
    with open(out, "w") as f:
        done = subprocess.run([*cmd, "--format", "csv", str(log)], stdout=f, env=env, timeout=60)
    assert done.returncode == 0
    expected = run_query([str(log)], rows).rows
    with open(out, newline="") as f:
        got = list(csv.reader(f))
    assert len(expected) == 50_000 and got == [["line", "details"], *([str(a), str(b)] for a, b in expected)]
    full = subprocess.run(
        [*cmd, "--format", "csv", str(log)],
        stdout=open("/dev/full", "w"),
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=60,
    )
    assert full.returncode == 1 and full.stderr.count("\n") == 1 and "Traceback" not in full.stderr
    closed = subprocess.run(
        f"{' '.join(cmd[:-1])} '{rows}' --format csv {log} | head -1; echo ${{PIPESTATUS[0]}}",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        executable="/bin/bash",
    )
    assert closed.stderr == "" and closed.stdout.splitlines() == ["line,details", "0"]
    bad = subprocess.run([*cmd[:-1], "SELEC 1", str(log)], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("execlog-top: query failed")


def test_query_output_never_carries_raw_control_characters(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_bytes(b"2025-09-09T10:00:00Z|API|CALL|1|SUCCESS|esc \x1b]0;t\x07 c1 \xc2\x9b31m\n")
    for fmt in ("csv", "json", "table"):
        out = run("--query", "select details from entries", "--format", fmt, str(log))
        assert out.returncode == 0, out.stderr
        assert not any(ch in out.stdout for ch in ("\x1b", "\x07", "\x9b")), (fmt, out.stdout)
