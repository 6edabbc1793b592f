"""Issue 13 item 9: a FIFO and standard input are read as streams (real FIFOs, real pipes, subprocesses)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from execlog_tui.sources.follower import WARNING
from execlog_tui.sources.stream import ENDED, StreamFollower
from tests.unit.cli.helpers import ROOT


def _lines(n: int, epoch_s: float | None = None) -> list[str]:
    base = time.time() - 30 if epoch_s is None else epoch_s
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base))
    return [f"{stamp}.{i % 1000:03d}Z|API|CALL|{i % 7 + 1}|SUCCESS|n={i}" for i in range(n)]


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "execlog_tui", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _write_fifo_later(path: Path, data: bytes, delay: float = 0.3) -> threading.Thread:
    def write() -> None:
        time.sleep(delay)  # the reader is already waiting in open(): what matters is that it waits
        with open(path, "wb") as f:  # blocks until the reader has it open
            f.write(data)

    t = threading.Thread(target=write, daemon=True)
    t.start()
    return t


def test_batch_reads_a_fifo_to_its_end(tmp_path: Path) -> None:
    fifo = tmp_path / "execution.log"
    os.mkfifo(fifo)
    older = _lines(5, time.time() - 3600)
    (tmp_path / "execution.log.1").write_text("\n".join(older) + "\n")  # an archive beside the FIFO
    lines = _lines(300)
    writer = _write_fifo_later(fifo, ("\n".join(lines) + "\n").encode())
    done = subprocess.run(_cmd("-b", "--json", str(tmp_path)), capture_output=True, text=True, env=_env(), timeout=60)
    writer.join(5)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["source"]["entries"] == 305  # the archive, then every line written to the FIFO
    assert doc["source"]["warnings"] == []


def test_batch_reads_standard_input_plain_and_gzip(tmp_path: Path) -> None:
    lines = _lines(1000)
    data = ("\n".join(lines) + "\n").encode()
    for given in (data, gzip.compress(data)):
        done = subprocess.run(_cmd("-b", "--json", "-"), input=given, capture_output=True, env=_env(), timeout=60)
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout)
        assert doc["source"]["entries"] == 1000 and doc["source"]["files"] == ["-"]


def test_standard_input_given_twice_is_a_usage_error() -> None:
    done = subprocess.run(_cmd("-b", "-", "-"), input="", capture_output=True, text=True, env=_env(), timeout=60)
    assert done.returncode == 2 and "once" in done.stderr


def test_follow_batch_follows_standard_input_as_it_comes() -> None:
    proc = subprocess.Popen(
        _cmd("-b", "--json", "-d", "0.2", "-n", "200", "-"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        first = _lines(10)
        proc.stdin.write(("\n".join(first) + "\n").encode())
        proc.stdin.flush()
        seen = _entries_until(proc, 10)
        assert seen == 10
        proc.stdin.write(("\n".join(_lines(5)) + "\n").encode())  # still open: more comes later
        proc.stdin.flush()
        assert _entries_until(proc, 15) == 15
    finally:
        proc.kill()
        proc.wait(10)


def _entries_until(proc: subprocess.Popen[bytes], want: int, timeout: float = 30.0) -> int:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    got = -1
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        got = json.loads(line)["source"]["entries"]
        if got >= want:
            return got
    return got


def test_stream_follower_takes_whole_lines_and_reports_the_end(tmp_path: Path) -> None:
    fifo = tmp_path / "execution.log"
    os.mkfifo(fifo)
    follower = StreamFollower(fifo)
    try:
        fd = os.open(fifo, os.O_WRONLY)  # the follower's thread has it open for reading
        line = _lines(1)[0]
        os.write(fd, line[:20].encode())
        got = _poll_until(follower, lambda lines, kinds: False, 0.3)  # half a line: nothing yet
        assert got == ([], [])
        os.write(fd, (line[20:] + "\n").encode())
        lines, kinds = _poll_until(follower, lambda lines, kinds: bool(lines))
        assert lines == [line]
        os.write(fd, b"last line without a newline")
        os.close(fd)
        lines, kinds = _poll_until(follower, lambda lines, kinds: ENDED in kinds)
        assert lines == ["last line without a newline"] and WARNING not in kinds
        assert follower.ended
    finally:
        follower.close()


def _poll_until(follower: StreamFollower, done, timeout: float = 10.0) -> tuple[list[str], list[str]]:  # noqa: ANN001
    lines: list[str] = []
    kinds: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        follower.wait(0.05)
        batch = follower.poll()
        lines.extend(batch.lines)
        kinds.extend(e.kind for e in batch.events)
        if done(lines, kinds):
            break
    return lines, kinds
