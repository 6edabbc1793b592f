"""`cmd | execlog-top -` in a real terminal (tmux): the dashboard follows the pipe, its keys still work."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")]


def _tmux(socket: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, check=False).stdout


def _screen_until(socket: str, text: str, timeout: float = 60.0) -> str:
    screen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = _tmux(socket, "capture-pane", "-p")
        if text in screen:
            return screen
        time.sleep(0.2)  # polling the terminal with a deadline, not waiting for a fixed time
    raise AssertionError(f"{text!r} never appeared:\n{screen}")


def test_the_dashboard_follows_standard_input_and_quits_on_q(tmp_path: Path) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 5))
    script = tmp_path / "feed.sh"
    # Two lines now, the pipe kept open (a live producer), a third line later.
    script.write_text(
        "#!/bin/sh\n"
        f"printf '%s\\n' '{stamp}.000Z|API|CALL|5|SUCCESS|piped=first'\n"
        f"printf '%s\\n' '{stamp}.001Z|CACHE|HIT|1|SUCCESS|piped=second'\n"
        f"while [ ! -e {tmp_path}/go ]; do sleep 0.1; done\n"
        f"printf '%s\\n' '{stamp}.002Z|API|CALL|7|FAILURE|piped=third'\n"
        "sleep 120\n"
    )
    script.chmod(0o755)
    socket = f"execlog-test-{uuid.uuid4().hex[:8]}"
    status = tmp_path / "status"
    # The shell waits for the producer too: the dashboard's exit status is written from its own side.
    cmd = f"cd {ROOT} && {script} | ({sys.executable} -m execlog_tui -; echo $? > {status}); sleep 30"
    env = {**os.environ, "TERM": "xterm-256color"}
    subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-x", "120", "-y", "40", cmd], check=True, env=env)
    try:
        screen = _screen_until(socket, "piped=second")
        assert "piped=first" in screen and "Traceback" not in screen
        (tmp_path / "go").touch()
        screen = _screen_until(socket, "piped=third")
        _tmux(socket, "send-keys", "q")  # read from /dev/tty: standard input is the log
        deadline = time.monotonic() + 30
        while not status.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status.exists() and status.read_text().strip() == "0"
    finally:
        _tmux(socket, "kill-server")
