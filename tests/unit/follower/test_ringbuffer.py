"""RingBuffer: the newest N items in order, a total that never decreases, resize keeping the newest."""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execlog_tui.core.parser import parse_line
from execlog_tui.core.ringbuffer import RingBuffer


def test_keeps_entries_and_parse_errors_newest_last() -> None:
    rb = RingBuffer(capacity=3)
    items = [parse_line(f"2025-09-09T10:00:0{i}Z|API|CALL|1|SUCCESS|n={i}") for i in range(4)]
    items.append(parse_line("not a log line"))
    for it in items:
        assert it is not None
        rb.append(it)
    assert len(rb) == 3 and rb.total == 5 and rb.dropped == 2
    assert list(rb) == items[2:]
    assert rb[0] is items[2] and rb[-1] is items[4]
    assert type(rb[-1]).__name__ == "ParseError"
    assert rb.since(3) == items[3:]


def test_bad_capacity_is_refused() -> None:
    with pytest.raises(ValueError):
        RingBuffer(0)
    with pytest.raises(IndexError):
        RingBuffer(2)[0]


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(0, 0)),
        st.tuples(st.just("extend"), st.integers(0, 40)),
        st.tuples(st.just("resize"), st.integers(1, 30)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(cap=st.integers(1, 25), ops=OPS)
def test_matches_a_deque_model(cap: int, ops: list[tuple[str, int]]) -> None:
    rb = RingBuffer(cap)
    model: deque[int] = deque(maxlen=cap)
    n = 0
    for op, k in ops:
        if op == "append":
            rb.append(n)  # type: ignore[arg-type]  (any object: the buffer does not look inside)
            model.append(n)
            n += 1
        elif op == "extend":
            new = list(range(n, n + k))
            rb.extend(new)  # type: ignore[arg-type]
            model.extend(new)
            n += k
        else:
            rb.resize(k)
            model = deque(model, maxlen=k)
        assert list(rb) == list(model)
        assert len(rb) == len(model) <= rb.capacity
        assert rb.total == n
        assert [rb[i] for i in range(-len(rb), len(rb))] == list(model) * 2
        assert rb.newest(3) == list(model)[-3:]
        assert rb.since(n - 2) == list(model)[-2:]


def test_memory_is_bounded() -> None:
    rb = RingBuffer(1000)
    for chunk in range(100):
        rb.extend([chunk] * 5000)  # type: ignore[list-item]
    assert len(rb) == 1000 and len(rb._items) == 1000 and rb.total == 500_000
