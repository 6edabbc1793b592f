"""The dashboard serves the same metrics while it runs (--metrics-listen), in a real terminal (tmux)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from .helpers import key, samples

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")]


def poll_until(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return 0, b""


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def test_dashboard_with_metrics_listen(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    now = int(time.time() * 1000)
    log.write_text("".join(f"{_iso(now - 3000 + i)}|API|CALL|4|SUCCESS|x\n" for i in range(10)))
    port = _free_port()
    sock = f"execlog-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    cmd = f"{sys.executable} -m execlog_tui --metrics-listen 127.0.0.1:{port} {log}; echo EXITED $?; sleep 30"
    subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-x", "100", "-y", "30", cmd], check=True, env=env)

    def screen() -> str:
        return subprocess.run(["tmux", "-L", sock, "capture-pane", "-p"], capture_output=True, text=True).stdout

    try:
        url = f"http://127.0.0.1:{port}/metrics"
        assert poll_until(lambda: _get(url)[0] == 200), screen()
        with log.open("a") as f:
            f.write(f"{_iso(int(time.time() * 1000))}|API|CALL|4|FAILURE|x\n")
        k = key("execlog_entries_total", component="API", status="FAILURE")
        assert poll_until(lambda: samples(_get(url)[1].decode()).get(k) == 1.0)
        got = samples(_get(url)[1].decode())
        assert got[key("execlog_breaker_state", component="API", state="closed")] == 1.0
        assert poll_until(lambda: "Breakers" in screen()), screen()  # the dashboard drew
        assert "serving" not in screen()  # and nothing was printed over it
        subprocess.run(["tmux", "-L", sock, "send-keys", "q"], check=True)
        assert poll_until(lambda: "EXITED 0" in screen()), screen()
        assert _get(url)[0] == 0  # the port is closed with the dashboard
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
