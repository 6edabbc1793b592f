"""SIGTERM and SIGHUP (`timeout`, systemd, a closed SSH session) clean up as `q` does.

`timeout 5 execlog-top --demo` used to leave its temporary directory behind: the default action of SIGTERM
ends the process without unwinding, so the demo's `with` never ran.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _demo_dirs(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("execlog-demo-*"))


def _poll(predicate, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)  # polling with a deadline
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_batch_demo_removes_its_directory_on_a_stop_signal(tmp_path: Path, signum: int) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "execlog_tui", "--demo", "-b", "-d", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the first report is out: the demo and the session run
        assert first, proc.stderr.read() if proc.stderr else ""
        assert _demo_dirs(tmp_path)
        proc.send_signal(signum)
        rc = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 128 + signum, proc.stderr.read() if proc.stderr else ""
    assert _demo_dirs(tmp_path) == []
    assert b"Traceback" not in (proc.stderr.read() if proc.stderr else b"")


def _tmux(socket: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, check=False).stdout


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_dashboard_demo_restores_the_terminal_and_cleans_up(tmp_path: Path, signum: int) -> None:
    socket = f"execlog-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "TERM": "xterm-256color", "TMPDIR": str(tmp_path)}
    cmd = f"{sys.executable} -m execlog_tui --demo; echo EXITED $?; sleep 30"
    subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-x", "120", "-y", "40", cmd], check=True, env=env)
    try:
        _poll(lambda: "Breakers" in _tmux(socket, "capture-pane", "-p"), 30, "the dashboard")
        assert _demo_dirs(tmp_path)
        shell_pid = int(_tmux(socket, "list-panes", "-F", "#{pane_pid}").split()[0])
        children = subprocess.run(["pgrep", "-P", str(shell_pid)], capture_output=True, text=True).stdout.split()
        app_pid = next(int(p) for p in children if "execlog_tui" in Path(f"/proc/{p}/cmdline").read_text())
        os.kill(app_pid, signum)
        _poll(lambda: "EXITED" in _tmux(socket, "capture-pane", "-p"), 20, "the dashboard to exit")
        screen = _tmux(socket, "capture-pane", "-p")
        assert f"EXITED {128 + signum}" in screen, screen
        assert "Traceback" not in screen, screen
        assert "Breakers" not in screen, screen  # the alternate screen was left: the terminal is restored
        assert _demo_dirs(tmp_path) == []
    finally:
        _tmux(socket, "kill-server")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_the_dashboard_ends_when_its_terminal_is_gone(tmp_path: Path) -> None:
    """The terminal closes under it (tmux killed: SIGHUP, then a pty with no reader): the process ends,
    within the grace period, instead of hanging in Textual's shutdown (found left running at 30 % CPU)."""
    socket = f"execlog-test-{uuid.uuid4().hex[:8]}"
    log = Path(__file__).resolve().parents[2] / "sample_logs" / "seed_sample.log"
    env = {**os.environ, "TERM": "xterm-256color"}
    cmd = f"exec {sys.executable} -m execlog_tui {log}"
    subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-x", "120", "-y", "40", cmd], check=True, env=env)
    try:
        _poll(lambda: "Breakers" in _tmux(socket, "capture-pane", "-p"), 30, "the dashboard")
        app_pid = int(_tmux(socket, "list-panes", "-F", "#{pane_pid}").split()[0])
    finally:
        _tmux(socket, "kill-server")

    def gone() -> bool:
        try:
            state = Path(f"/proc/{app_pid}/stat").read_text().split(") ", 1)[1][0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        return state == "Z"  # ended, not yet reaped by its parent

    try:
        _poll(gone, 20, "the dashboard to end once its terminal was gone")
    finally:
        if not gone():
            os.kill(app_pid, signal.SIGKILL)
