"""Many threads and several processes on one log set, with dozens of rotations: every line once."""

from __future__ import annotations

import gzip
import multiprocessing
import os
import threading
from collections import defaultdict

from writer_helpers import archive_names, entries, members

from execlog_tui.writer import ExecutionLogger

MB = 1024 * 1024


def check_exactly_once(path: str, writers: dict[str, int]) -> int:
    """Every (writer, seq) line present once, in order within each writer across the whole set,
    every archive a complete gzip; returns the number of files in the set."""
    seen: dict[str, list[int]] = defaultdict(list)
    rotations = 0
    for entry in entries(path):  # fails on any torn or interleaved line
        if entry.action == "ROTATE":
            rotations += 1
            continue
        writer, seq, pad = entry.details.split(" ")
        assert pad == "p" * 40
        seen[writer].append(int(seq))
    assert sorted(seen) == sorted(writers)
    for writer, count in writers.items():
        assert seen[writer] == list(range(count)), f"{writer}: lines lost, repeated or out of order"
    for name in members(path):
        if name.endswith(".gz"):
            with gzip.open(name) as fh:
                fh.read()
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.endswith(".tmp")]
    assert rotations == len(members(path)) - 1
    return len(members(path))


def _write(log: ExecutionLogger, writer: str, count: int) -> None:
    for seq in range(count):
        log.log("PERF", "LINE", seq % 50, "SUCCESS", f"{writer} {seq} {'p' * 40}")


def test_four_threads_one_logger(tmp_path):
    path = str(tmp_path / "execution.log")
    per_thread = 40_000
    with ExecutionLogger(path, max_bytes=MB, backups=1000) as log:
        threads = [threading.Thread(target=_write, args=(log, f"t{i}", per_thread)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    files = check_exactly_once(path, {f"t{i}": per_thread for i in range(4)})
    assert files >= 10  # dozens of rotations... well, over ten at 1 MB
    for name in members(path):
        assert os.path.getsize(name) <= MB or name.endswith(".gz")


def _process_writer(path: str, writer: str, count: int, max_bytes: int, backups: int) -> None:
    with ExecutionLogger(path, max_bytes=max_bytes, backups=backups) as log:
        _write(log, writer, count)


def test_three_processes_one_file(tmp_path):
    path = str(tmp_path / "execution.log")
    ctx = multiprocessing.get_context("fork")
    per_process = 30_000
    procs = [ctx.Process(target=_process_writer, args=(path, f"p{i}", per_process, MB, 1000)) for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    # Another process's compressor may have skipped an archive claimed elsewhere: a fresh start finishes.
    ExecutionLogger(path, max_bytes=MB, backups=1000).close()
    files = check_exactly_once(path, {f"p{i}": per_process for i in range(3)})
    assert files >= 7


def test_inherited_logger_survives_fork(tmp_path):
    """A logger created before fork is reopened in the child, which then rotates with its parent."""
    path = str(tmp_path / "execution.log")
    ctx = multiprocessing.get_context("fork")
    with ExecutionLogger(path, max_bytes=64 * 1024, backups=1000) as log:
        child = ctx.Process(target=_write, args=(log, "child", 5000))
        child.start()
        _write(log, "parent", 5000)
        child.join(60)
        assert child.exitcode == 0
    ExecutionLogger(path, max_bytes=64 * 1024, backups=1000).close()
    check_exactly_once(path, {"child": 5000, "parent": 5000})


def test_exactly_backups_archives_with_two_processes(tmp_path):
    path = str(tmp_path / "execution.log")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_process_writer, args=(path, f"p{i}", 6000, 32 * 1024, 7)) for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    ExecutionLogger(path, max_bytes=32 * 1024, backups=7).close()
    assert archive_names(path) == ["execution.log.1"] + [f"execution.log.{i}.gz" for i in range(2, 8)]
    # What is kept is whole and in order for each writer: a contiguous tail of its lines.
    tails: dict[str, list[int]] = defaultdict(list)
    for entry in entries(path):
        if entry.action == "LINE":
            writer, seq, _ = entry.details.split(" ")
            tails[writer].append(int(seq))
    for writer, got in tails.items():
        assert got == list(range(got[0], 6000)), writer
