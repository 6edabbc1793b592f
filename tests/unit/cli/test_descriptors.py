"""Issue 13 item 10: many log sets under a low `ulimit -n`, in real subprocesses.

Batch must read every set without one descriptor per set, following must not need one per file either,
and input that could not be read is never skipped with exit status 0."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from execlog_tui.sources.timeline import MERGE_HOLD_OPEN_MAX
from tests.unit.cli.helpers import ROOT


def _stamp(epoch_s: float) -> str:
    t = time.gmtime(epoch_s)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{int(epoch_s * 1000) % 1000:03d}Z"


def _sets(directory: Path, n: int) -> None:
    """n sets `sNNNN.log`, one entry each, ten minutes old (inside every window but 1m, in any mode)."""
    base = time.time() - 600
    directory.mkdir()
    for i in range(n):
        (directory / f"s{i:04d}.log").write_text(f"{_stamp(base + i / 1000)}|API|CALL|5|SUCCESS|set={i}\n")


def _run_limited(nofile: int, *args: str) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "execlog_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        preexec_fn=limit,
    )


def test_batch_reads_600_sets_under_ulimit_256(tmp_path: Path) -> None:
    _sets(tmp_path / "many", 600)
    done = _run_limited(256, "-b", "--json", str(tmp_path / "many"))
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(done.stdout)
    assert doc["windows"]["1h"]["entries"] == 600
    assert "too many open files" not in done.stdout + done.stderr


def test_follow_batch_reads_and_follows_600_sets_under_ulimit_256(tmp_path: Path) -> None:
    _sets(tmp_path / "many", 600)
    done = _run_limited(256, "-b", "--json", "-d", "1", "-n", "1", str(tmp_path / "many"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    doc = json.loads(done.stdout.splitlines()[0])
    assert doc["windows"]["1h"]["entries"] == 600
    assert "too many open files" not in done.stdout + done.stderr


def test_input_that_could_not_be_read_fails_the_exit_status(tmp_path: Path) -> None:
    # Few enough sets that each keeps its file open while merged, and too few descriptors for them.
    n = MERGE_HOLD_OPEN_MAX - 2
    _sets(tmp_path / "few", n)
    done = _run_limited(16, "-b", "--json", str(tmp_path / "few"))
    assert done.returncode == 1
    assert "could not be read" in done.stderr and "too many open files" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1  # one line, not one per file
    assert json.loads(done.stdout)["windows"]["1h"]["entries"] < n  # the report of what was read still comes
