"""RingBuffer.origin and covers: where each kept line came from, and whether the ring holds a window."""

from __future__ import annotations

import pytest

from execlog_tui.core.ringbuffer import RingBuffer


def test_origins_follow_the_lines_through_eviction_and_resize() -> None:
    ring = RingBuffer(5)
    ring.extend_raw(["a1", "a2", "a4"], file="a.log", lines=[1, 2, 4], newest_ts=100)
    ring.extend_raw(["x"])  # no origin
    ring.extend_raw(["b1", "b2", "b3"], file="b.log", lines=[1, 2, 3], newest_ts=300)
    assert ring.raw_newest(5) == ["a4", "x", "b1", "b2", "b3"]
    assert [ring.origin(i) for i in range(5)] == [("a.log", 4), None, ("b.log", 1), ("b.log", 2), ("b.log", 3)]
    assert ring.origins_newest(5) == [ring.origin(i) for i in range(5)]
    assert ring.origin(-1) == ("b.log", 3)
    with pytest.raises(IndexError):
        ring.origin(5)
    ring.resize(2)
    assert [ring.origin(i) for i in range(2)] == [("b.log", 2), ("b.log", 3)]
    for i in range(10):
        ring.extend_raw([f"c{i}"], file="c.log", lines=[i + 1], newest_ts=400 + i)
    assert ring.origins_newest(2) == [("c.log", 9), ("c.log", 10)]


def test_covers_says_whether_every_line_dated_from_ts_is_still_held() -> None:
    ring = RingBuffer(3)
    ring.note_dropped(None)
    ring.extend_raw(["a", "b"], file="f", lines=[1, 2], newest_ts=100)
    assert ring.covers(-(1 << 62))  # nothing dropped: the whole history is held
    ring.extend_raw(["c", "d"], file="f", lines=[3, 4], newest_ts=200)  # "a" dropped, of a run dated <= 100
    assert ring.covers(101) and not ring.covers(100)
    ring.extend_raw(["e"])  # unknown time: once it leaves, nothing can be said
    ring.extend_raw(["f", "g", "h"], file="f", lines=[6, 7, 8], newest_ts=300)
    assert not ring.covers(10**12)
    fresh = RingBuffer(10)
    fresh.note_dropped(50)  # a history longer than the ring: lines up to 50 never entered it
    fresh.extend_raw(["z"], file="f", lines=[9], newest_ts=60)
    assert fresh.covers(51) and not fresh.covers(50)
