"""What a new user meets first when the input is wrong (issue 11, item 10): every case says so at once."""

from __future__ import annotations

import time
from pathlib import Path

from execlog_tui.session import MonitorSession
from tests.unit.cli.helpers import run


def test_a_file_of_unrelated_text_is_said_to_be_no_execution_log(tmp_path: Path) -> None:
    junk = tmp_path / "notes.log"
    junk.write_text("hello world\nthis is not it\n")
    out = run("-b", str(junk))
    assert out.returncode == 1, out.stderr
    assert "0 entries, 2 parse errors" in out.stdout  # the report still says what was read
    assert out.stderr.strip().splitlines() == [
        f"execlog-top: nothing in {junk} looks like an execution log: 2 lines, none of the form"
        " timestamp|component|action|duration_ms|status|details"
    ]
    js = run("-b", "--json", str(junk))
    assert js.returncode == 1 and '"parse_errors": 2' in js.stdout


def test_a_file_with_one_good_line_is_an_ordinary_report(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text("junk\n2025-09-09T10:00:00.000Z|API|CALL|5|SUCCESS|ok\n")
    out = run("-b", str(log))
    assert out.returncode == 0 and out.stderr == ""


def test_a_path_whose_directory_does_not_exist_is_refused_at_once(tmp_path: Path) -> None:
    """The dashboard on a missing path waited forever with two near-identical toasts."""
    missing = tmp_path / "no-such-dir" / "execution.log"
    for args in ([str(missing)], ["-b", "-d", "1", "-n", "1", str(missing)]):
        out = run(*args)  # the dashboard fails before it takes the terminal: no tmux needed
        assert out.returncode == 1, (args, out.stdout, out.stderr)
        assert out.stderr == (
            f"execlog-top: {missing}: no such file, and no directory {missing.parent} for it to appear in\n"
        )


def test_waiting_for_a_file_is_said_once(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"  # its directory exists: the monitor waits for it
    session = MonitorSession([str(log)], ring_capacity=100)
    session.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any("does not exist" in t for t in session.event_log.texts()):
            time.sleep(0.02)  # polling with a deadline
        assert session.mode == "waiting"
        texts = session.event_log.texts()
        assert len([t for t in texts if str(log) in t]) == 1, texts
        log.write_text("2025-09-09T10:00:00.000Z|API|CALL|5|SUCCESS|ok\n")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and session.mode != "following":
            time.sleep(0.02)
        assert session.mode == "following"
    finally:
        session.stop()
