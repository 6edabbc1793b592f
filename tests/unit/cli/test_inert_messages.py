"""Every message the program prints is inert (issue 13 item 6): database errors, configuration key paths,
path names and warnings reach the terminal with no ESC, BEL or C1 byte, in real subprocess runs."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.cli.helpers import ROOT

# A title change (OSC 0, BEL-terminated), a clipboard write (OSC 52) and a C1 CSI: what an attacker writes.
TITLE = "\x1b]0;PWNED-TITLE\x07"
CLIP = "\x1b]52;c;aGVsbG8=\x07"
C1 = "\x9b31m"
HOSTILE = TITLE + CLIP + C1
# Anything a terminal would act on (newline aside, which ends each line).
_ACTIVE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "execlog_tui", *args], capture_output=True, env=env, timeout=60, cwd=cwd
    )
    for stream in (out.stdout, out.stderr):
        assert b"\x1b" not in stream and b"\x07" not in stream, stream
    stdout, stderr = out.stdout.decode("utf-8"), out.stderr.decode("utf-8")
    for text in (stdout, stderr):
        assert _ACTIVE.search(text) is None, text
    return out.returncode, stdout, stderr


def one_message(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.fixture
def hostile_log(tmp_path: Path) -> Path:
    log = tmp_path / "execution.log"
    log.write_text(f"2025-09-09T10:00:00.000Z|API|CALL|5|SUCCESS|{HOSTILE}\n", encoding="utf-8")
    return log


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT CAST(details AS INTEGER) FROM entries",  # the database repeats the value in its message
        "SELECT error(details) FROM entries",  # the message *is* the value
    ],
)
def test_query_error_texts_are_inert(hostile_log: Path, sql: str) -> None:
    code, out, err = run("--query", sql, str(hostile_log))
    assert code == 2 and out == ""
    line = one_message(err)
    assert line.startswith("execlog-top: query failed: ")
    assert "\\x1b]0;PWNED-TITLE\\x07" in line  # shown, visibly, not acted on


def test_query_warnings_and_missing_paths_are_inert(tmp_path: Path) -> None:
    d = tmp_path / f"dir{TITLE}"
    d.mkdir()
    (d / "execution.log").write_text("2025-09-09T10:00:00.000Z|API|CALL|5|SUCCESS|ok\n", encoding="utf-8")
    (d / "execution.log.1.gz").write_bytes(gzip.compress(b"2025-09-09T09:00:00.000Z|API|CALL|5|SUCCESS|x\n")[:-6])
    code, out, err = run("--query", "SELECT count(*) AS n FROM entries", str(d / "execution.log"))
    assert code == 0 and "warning" in err and "\\x1b]0;PWNED-TITLE\\x07" in err
    code, out, err = run("--query", "performance", str(tmp_path / f"missing{CLIP}.log"))
    assert code == 1 and "\\x1b]52" in one_message(err)


def test_batch_paths_and_report_warnings_are_inert(tmp_path: Path) -> None:
    code, out, err = run("-b", str(tmp_path / f"missing{HOSTILE}.log"))
    assert code == 1 and "\\x1b]0;PWNED-TITLE\\x07" in one_message(err)
    d = tmp_path / f"set{TITLE}"
    d.mkdir()
    (d / "execution.log").write_text("2025-09-09T10:00:00.000Z|API|CALL|5|SUCCESS|ok\n", encoding="utf-8")
    (d / "execution.log.1.gz").write_bytes(gzip.compress(b"2025-09-09T09:00:00.000Z|API|CALL|5|SUCCESS|x\n")[:-6])
    code, out, err = run("-b", str(d / "execution.log"))
    # the report's warnings section names the file
    assert code == 0 and "set\\x1b]0;PWNED-TITLE\\x07/" in out.replace("\n", "")


def test_follow_batch_messages_are_inert(tmp_path: Path) -> None:
    code, out, err = run("-b", "-d", "0.1", "-n", "1", str(tmp_path / f"later{HOSTILE}.log"))
    assert code == 0 and "later\\x1b]0;PWNED-TITLE\\x07" in out.replace("\n", "")  # "waiting for PATH"


def test_configuration_key_paths_and_file_names_are_inert(tmp_path: Path, hostile_log: Path) -> None:
    config = tmp_path / "execlog.yaml"
    # YAML's own escapes (\e ESC, \a BEL) in a double-quoted key: an unknown key, named in the message.
    config.write_text('"\\e]0;PWNED-TITLE\\a": 1\n', encoding="utf-8")
    code, out, err = run("-b", "--config", str(config), str(hostile_log))
    assert code == 2 and "\\x1b]0;PWNED-TITLE\\x07" in one_message(err)
    code, out, err = run("-b", "--config", str(tmp_path / f"none{CLIP}.yaml"), str(hostile_log))
    assert code == 2 and "\\x1b]52" in one_message(err)


def test_usage_errors_are_inert() -> None:
    code, out, err = run("-b", "-d", f"1{TITLE}")
    assert code == 2 and "PWNED-TITLE" in one_message(err)
    code, out, err = run("--theme", f"x{CLIP}", str(Path("nowhere") / f"{CLIP}.log"))
    assert code in (1, 2) and "\\x1b]52" in one_message(err)
