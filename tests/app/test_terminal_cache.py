"""The dashboard in a real terminal (tmux) reads its history's archives with worker processes and keeps
their plans (SPEC 12), then reads them from the cache: the same screen both times."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from execlog_tui.cache.plans import Plans
from execlog_tui.core.timefmt import format_ts
from tests.app.test_terminal_stdin import _screen_until, _tmux

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
    pytest.mark.skipif(not Plans.usable(), reason="the C scanner is not built"),
]


def _set(d: Path) -> None:
    t = int(time.time() * 1000) - 3_000_000
    for age in (3, 2, 1):
        lines = []
        for i in range(3000):
            t += 300
            status = "FAILURE" if i % 97 == 0 else "SUCCESS"
            lines.append(f"{format_ts(t)}|API|CALL|{i % 50}|{status}|archive={age}")
        with gzip.open(d / f"execution.log.{age}.gz", "wt") as f:
            f.write("\n".join(lines) + "\n")
    (d / "execution.log").write_text(f"{format_ts(t + 10)}|API|CALL|5|SUCCESS|marker=live\n")


def _run(socket: str, logs: Path, cache: Path, status: Path) -> str:
    tool = f"{sys.executable} -m execlog_tui --cache-dir {cache} --jobs 2 {logs}"
    cmd = f"cd {ROOT} && {tool}; echo $? > {status}; sleep 30"
    env = {**os.environ, "TERM": "xterm-256color"}
    subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-x", "120", "-y", "40", cmd], check=True, env=env)
    try:
        screen = _screen_until(socket, "marker=live")
        screen = _screen_until(socket, "following")
        _tmux(socket, "send-keys", "q")
        deadline = time.monotonic() + 30
        while not status.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status.read_text().strip() == "0"
        return screen
    finally:
        _tmux(socket, "kill-server")


def test_workers_under_the_dashboard_then_the_cache(tmp_path: Path) -> None:
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    logs.mkdir()
    _set(logs)
    first = _run(f"execlog-test-{uuid.uuid4().hex[:8]}", logs, cache, tmp_path / "s1")
    assert "cannot read" not in first and "Traceback" not in first
    plans = sorted((cache / "plan").rglob("*.plan"))
    assert len(plans) == 3  # every archive's plan was kept by a worker
    mtimes = [p.stat().st_mtime_ns for p in plans]
    second = _run(f"execlog-test-{uuid.uuid4().hex[:8]}", logs, cache, tmp_path / "s2")
    assert sorted((cache / "plan").rglob("*.plan")) == plans
    assert [p.stat().st_mtime_ns for p in plans] != mtimes  # used (touched), not rebuilt
    for screen in (first, second):
        assert "API" in screen
        assert "e (0)" in screen or "events (0)" in screen  # no notice: the workers started
