"""kill -9 at random moments, including during compression: no flushed line lost or duplicated."""

from __future__ import annotations

import gzip
import multiprocessing
import os
import random
import signal
import time

from writer_helpers import entries, members

from execlog_tui.writer import ExecutionLogger

KILLS = 20


def _writer(path: str, run: int, counter, compress_first: bool) -> None:
    log = ExecutionLogger(path, max_bytes=16 * 1024, backups=100_000, compress_first=compress_first)
    seq = 0
    while True:
        log.log("PERF", "LINE", 1, "SUCCESS", f"run={run} seq={seq} {'q' * 30}")
        counter.value = seq  # shared memory: the parent knows which lines had returned when it killed
        seq += 1


def _tmp_exists(directory: str) -> bool:
    return any(n.endswith(".tmp") for n in os.listdir(directory))


def test_kill_minus_nine_many_times(tmp_path):
    path = str(tmp_path / "execution.log")
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(20250909)
    flushed: dict[int, int] = {}
    during_compression = 0
    for run in range(KILLS):
        counter = ctx.RawValue("q", -1)
        proc = ctx.Process(target=_writer, args=(path, run, counter, run % 4 == 3))
        proc.start()
        deadline = time.monotonic() + 20
        if run % 2:
            target = rng.randrange(1, 8000)  # a random moment: after `target` lines
            while counter.value < target and time.monotonic() < deadline:
                time.sleep(0.0005)
        else:
            # A moment when a compression is in flight: its temporary file exists.
            while (counter.value < 500 or not _tmp_exists(str(tmp_path))) and time.monotonic() < deadline:
                pass
            during_compression += _tmp_exists(str(tmp_path))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)
        assert proc.exitcode == -signal.SIGKILL
        flushed[run] = counter.value
    assert during_compression >= KILLS // 4, "the kills did not hit compressions in flight"
    # Before any recovery: a `.gz` under its final name is always complete (only fsynced temporary
    # files are renamed into place), so a reader never meets a half archive that looks finished.
    for name in os.listdir(tmp_path):
        if name.endswith(".gz"):
            with gzip.open(tmp_path / name) as fh:
                fh.read()

    # Whatever a crash left (temporary files, pairs of NAME.K and NAME.K.gz, plain archives) is
    # settled by the next start; nothing may be silently half-done after it.
    ExecutionLogger(path, max_bytes=16 * 1024, backups=100_000).close()
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    for name in members(path):
        if name.endswith(".gz"):
            with gzip.open(name) as fh:
                fh.read()  # a truncated or damaged archive raises here
    seen: dict[int, list[int]] = {run: [] for run in range(KILLS)}
    for entry in entries(path):  # every line whole: none torn, none glued to another
        if entry.action != "LINE":
            continue
        run_text, seq_text, _ = entry.details.split(" ")
        seen[int(run_text[4:])].append(int(seq_text[4:]))
    for run, last in flushed.items():
        got = seen[run]
        # Every line whose log() had returned is there, once and in order; at most the one line in
        # flight when the process died may follow it.
        assert got[: last + 1] == list(range(last + 1)), f"run {run}: flushed lines lost or repeated"
        assert got[last + 1 :] in ([], [last + 1]), f"run {run}: {got[last + 1 :][:5]}"
