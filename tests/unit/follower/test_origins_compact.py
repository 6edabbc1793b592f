"""Origins keeps its segments in arrays of machine integers: the same answers as the tuple-per-segment
store it replaced (kept here as the reference), on random appends, prunes and clears."""

from __future__ import annotations

import random
from array import array
from bisect import bisect_right
from collections.abc import Sequence

import pytest

from execlog_tui.core.ringbuffer import Origins, RingBuffer


class ListOrigins:
    """Where each line of a ring came from (file, line number), kept as segments of consecutive lines,
    and how new the lines that left the ring were (whether the ring still holds every line of a
    window). Lines are numbered by their absolute index: 0 is the first line ever appended."""

    __slots__ = ("_starts", "_segs", "_head", "_dropped_newest")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._segs: list[tuple[str | None, int, int]] = []  # (file, first line number, newest ts)
        self._head = 0  # segments before it have left the ring
        self._dropped_newest: int | None = None  # the newest ts of a line that left the ring

    def add(self, start: int, n: int, file: str | None, lines: Sequence[int] | None, newest_ts: int) -> None:
        """n lines appended at absolute index `start`: their line numbers in `file` (None: unknown)."""
        if n <= 0:
            return
        if file is None or lines is None:
            segs = self._segs
            if len(segs) > self._head and segs[-1][0] is None:
                self._segs[-1] = (None, 0, max(segs[-1][2], newest_ts))  # extend the origin-less run
                return
            self._starts.append(start)
            segs.append((None, 0, newest_ts))
            return
        first = 0
        for i in range(1, n + 1):
            if i == n or lines[i] != lines[i - 1] + 1:
                self._starts.append(start + first)
                self._segs.append((file, lines[first], newest_ts))
                first = i

    def note_dropped(self, newest_ts: int | None) -> None:
        """Lines that never entered the ring (a history longer than the ring) dated up to newest_ts."""
        if newest_ts is not None:
            old = self._dropped_newest
            self._dropped_newest = newest_ts if old is None else max(old, newest_ts)

    def prune(self, first_kept: int) -> None:
        """Forget the segments that lie wholly before absolute index `first_kept`."""
        starts, segs = self._starts, self._segs
        head = self._head
        while head + 1 < len(starts) and starts[head + 1] <= first_kept:
            self.note_dropped(segs[head][2])
            head += 1
        if head < len(starts) and starts[head] < first_kept:
            # Partly dropped: what left may be as new as the segment's newest line.
            self.note_dropped(segs[head][2])
        if head > 1024 and head * 2 > len(starts):
            del starts[:head], segs[:head]
            head = 0
        self._head = head

    def clear(self, dropped_from: int) -> None:
        self.prune(dropped_from)
        for seg in self._segs[self._head :]:
            self.note_dropped(seg[2])
        self._starts, self._segs, self._head = [], [], 0

    def origin(self, absolute: int) -> tuple[str, int] | None:
        i = bisect_right(self._starts, absolute, self._head) - 1
        if i < self._head:
            return None
        file, first, _ts = self._segs[i]
        return None if file is None else (file, first + absolute - self._starts[i])

    def span(self, first: int, n: int) -> list[tuple[str, int] | None]:
        """The origins of the n lines from absolute index `first` on."""
        out: list[tuple[str, int] | None] = []
        starts, segs = self._starts, self._segs
        i = bisect_right(starts, first, self._head) - 1
        at, end = first, first + n
        while at < end:
            nxt = starts[i + 1] if i + 1 < len(starts) else end
            count = min(nxt, end) - at
            file, line0, _ts = segs[i] if i >= self._head else (None, 0, 0)
            if file is None:
                out.extend([None] * count)
            else:
                base = line0 + at - starts[i]
                out.extend([(file, base + k) for k in range(count)])
            at += count
            i += 1
        return out

    def covers(self, ts: int) -> bool:
        """Whether every line that left the ring (or never entered it) is dated before `ts`."""
        return self._dropped_newest is None or self._dropped_newest < ts


def _apply(store: Origins | ListOrigins, ops: list[tuple[str, tuple[object, ...]]]) -> list[object]:
    out: list[object] = []
    for op, args in ops:
        if op == "add":
            store.add(*args)  # type: ignore[arg-type]
        elif op == "prune":
            store.prune(*args)  # type: ignore[arg-type]
        elif op == "clear":
            store.clear(*args)  # type: ignore[arg-type]
        elif op == "dropped":
            store.note_dropped(*args)  # type: ignore[arg-type]
        else:
            first, n, ts = args
            out.append((store.span(first, n), [store.origin(first + k) for k in range(n)], store.covers(ts)))  # type: ignore[arg-type]
    return out


def _random_ops(rng: random.Random) -> list[tuple[str, tuple[object, ...]]]:
    ops: list[tuple[str, tuple[object, ...]]] = []
    total, kept_from, line = 0, 0, {"a": 1, "b": 1}
    for _ in range(rng.randint(1, 300)):
        r = rng.random()
        if r < 0.6:
            n = rng.choice((1, 1, 1, 2, 5, 40))
            ts = rng.choice((rng.randint(0, 10_000), 1 << 62, -(1 << 62)))
            file = rng.choice(("a", "b", None))
            lines: Sequence[int] | None = None
            if file is not None:
                nums = []
                for _k in range(n):
                    line[file] += rng.choice((1, 1, 1, 2))  # blank lines skipped now and then
                    nums.append(line[file])
                lines = nums if rng.random() < 0.5 else array("q", nums)
            ops.append(("add", (total, n, file, lines, ts)))
            total += n
        elif r < 0.8:
            kept_from = min(total, kept_from + rng.randint(0, 50))
            ops.append(("prune", (kept_from,)))
        elif r < 0.83:
            ops.append(("clear", (total,)))
            kept_from = total
        elif r < 0.86:
            ops.append(("dropped", (rng.choice((None, rng.randint(0, 10_000))),)))
        elif total > kept_from:
            first = rng.randint(kept_from, total - 1)
            ops.append(("look", (first, rng.randint(1, total - first), rng.randint(0, 12_000))))
    return ops


@pytest.mark.parametrize("seed", range(200))
def test_compact_origins_answer_as_the_tuple_store_did(seed: int) -> None:
    ops = _random_ops(random.Random(seed))
    assert _apply(Origins(), ops) == _apply(ListOrigins(), ops)


def test_a_line_at_a_time_adds_no_python_object_per_segment() -> None:
    ring = RingBuffer(5_000)
    for i in range(6_000):  # a followed log written a line at a time: a segment per line
        ring.extend_raw([f"line {i}"], file="execution.log", lines=[i + 1], newest_ts=1_700_000_000_000 + i)
    origins = ring._origins
    for column in (origins._starts, origins._firsts, origins._newest, origins._files):
        assert isinstance(column, array)
    assert origins._names == ["execution.log"]
    assert ring.origins_newest(2) == [("execution.log", 5_999), ("execution.log", 6_000)]
