"""The history's tail (the log view's newest lines, with their file and line numbers) is the same when
read from the end of a plain live file as when every line is read."""

from __future__ import annotations

import random
from collections import deque
from pathlib import Path

import pytest

from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.timefmt import format_ts
from execlog_tui.pipeline import read_history
from execlog_tui.sources.logset import discover
from execlog_tui.sources.reader import read_batches

T0 = 1_757_412_000_000


def content(seed: int, n: int, trailing: bool) -> bytes:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.05:
            out.append(b"")
        elif r < 0.08:
            out.append(b"x" * rng.randint(70_000, 150_000))  # over the line limit: cut
        elif r < 0.1:
            out.append(b"\xff\xfe bad utf-8 \xc3")
        else:
            end = b"\r" if r < 0.2 else b""
            out.append(f"{format_ts(T0 + i)}|API|CALL|{i % 9}|SUCCESS|i={i}".encode() + end)
    return b"\n".join(out) + (b"\n" if trailing else b"")


@pytest.mark.parametrize(
    ("n", "want", "trailing"),
    [(50, 10, True), (50, 10, False), (3000, 1000, True), (20, 100, True), (5000, 4999, False)],
)
def test_tail_from_the_end_is_the_tail_of_every_line(tmp_path: Path, n: int, want: int, trailing: bool) -> None:
    live = tmp_path / "execution.log"
    live.write_bytes(content(n, n, trailing))
    every: list[str] = []
    for batch, _cut in read_batches(live, [], archive=False):
        every.extend(batch)
    tail: deque[str] = deque(maxlen=want)
    result = read_history(discover([str(tmp_path)]), MetricsEngine(wall_ms=T0 + 10**9), tail=tail)
    assert list(tail) == every[-want:]
    ((name, first, count),) = result.tail_origins
    assert name == str(live) and count == len(tail) and first == len(every) - len(tail) + 1
