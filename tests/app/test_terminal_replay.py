"""The replay in a real terminal (tmux): the sample set's API breaker closes at 08:23:48 at every speed.

API opened at 08:23:15.900, went HALF_OPEN at 08:23:45.900 on its timer, and the SUCCESS at 08:23:48.250
closes it (SPEC 6), as `-b --at 08:25:00` says. At 10x the replay used to say 08:23:51.
"""

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
ROTATED = ROOT / "sample_logs" / "rotated"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")]


def _tmux(socket: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, check=False).stdout


@pytest.mark.parametrize("speed", ["10", "600"])
def test_replay_breaker_closes_at_the_same_time_in_tmux(speed: str) -> None:
    socket = f"execlog-test-{uuid.uuid4().hex[:8]}"
    cmd = f"{sys.executable} -m execlog_tui --replay --from 08:23:00 --to 08:25:00 --speed {speed} {ROTATED}"
    env = {**os.environ, "TERM": "xterm-256color"}
    subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-x", "200", "-y", "60", cmd], check=True, env=env)
    try:
        screen = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            screen = _tmux(socket, "capture-pane", "-p")
            if "REPLAY  2025-09-09T08:25:00" in screen:
                break
            time.sleep(0.2)  # polling the terminal with a deadline, not waiting for a fixed time
        assert "REPLAY  2025-09-09T08:25:00" in screen, screen
        api = [line for line in screen.splitlines() if "CLOSED~  08:23:" in line]
        assert api and "API" in api[0] and "CLOSED~  08:23:48" in api[0], screen
    finally:
        _tmux(socket, "send-keys", "q")
        _tmux(socket, "kill-server")
