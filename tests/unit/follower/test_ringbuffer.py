"""RingBuffer: the newest N lines in order, kept raw with a flag byte, parsed again on demand; a total
that never decreases; resize keeping the newest; memory of a raw line, not of an Entry."""

from __future__ import annotations

import gc
import tracemalloc
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execlog_tui.core.entry import Entry
from execlog_tui.core.parser import parse_line
from execlog_tui.core.ringbuffer import (
    CUT,
    PARSE_ERROR,
    UNKNOWN,
    RingBuffer,
    classify_lines,
    fields_of,
    flags_of,
    item_of,
    resolve_flags,
)


def _line(i: int, comp: str = "API", status: str = "SUCCESS") -> str:
    return f"2025-09-09T10:00:{i % 60:02d}.{i % 1000:03d}Z|{comp}|CALL|{i % 300}|{status}|request {i} user=u{i % 13}"


def test_keeps_entries_and_parse_errors_newest_last() -> None:
    rb = RingBuffer(capacity=3)
    items = [parse_line(f"2025-09-09T10:00:0{i}Z|API|CALL|1|SUCCESS|n={i}") for i in range(4)]
    items.append(parse_line("not a log line"))
    for it in items:
        assert it is not None
        rb.append(it)
    assert len(rb) == 3 and rb.total == 5 and rb.dropped == 2
    assert list(rb) == items[2:]  # parsed again from the raw text: equal, field for field
    assert rb[0] == items[2] and rb[-1] == items[4]
    assert type(rb[-1]).__name__ == "ParseError" and rb[-1].reason == items[4].reason  # type: ignore[union-attr]
    assert rb.since(3) == items[3:]
    raws = [items[3].raw, items[4].raw]  # type: ignore[union-attr]
    assert rb.lines_newest(2) == (raws, bytes([0, PARSE_ERROR]))


def test_cut_flag_and_crlf_survive_the_round_trip() -> None:
    rb = RingBuffer(10)
    cut_entry = parse_line(_line(1), cut=True)
    cut_error = parse_line("garbage " * 10, cut=True)
    crlf = parse_line(_line(2) + "\r")
    assert cut_entry is not None and cut_error is not None and crlf is not None
    rb.extend([cut_entry, cut_error, crlf])
    assert list(rb) == [cut_entry, cut_error, crlf]
    assert rb[0].cut and rb[1].cut and not rb[2].cut
    assert rb.lines_newest(3)[1] == bytes([CUT, CUT | PARSE_ERROR, 0])
    assert not rb.raw_newest(1)[0].endswith("\r")


def test_flag_helpers_agree_with_the_parser() -> None:
    lines = [_line(3, "cache", "failure"), "not|a|line", "2025-09-09T10:00:00Z|A B|X|1|S|d", _line(4)]
    for raw in lines:
        item = parse_line(raw)
        assert item is not None
        flags = flags_of(item)
        assert resolve_flags(raw, UNKNOWN) == flags == resolve_flags(raw, flags)
        assert item_of(raw, flags) == item
        fields = fields_of(raw, flags)
        if isinstance(item, Entry):
            assert fields == (item.component, item.status)
        else:
            assert fields is None
    assert fields_of(_line(5, "cache", "failure"), 0) == ("CACHE", "FAILURE")


def test_bad_capacity_and_mismatched_flags_are_refused() -> None:
    with pytest.raises(ValueError):
        RingBuffer(0)
    with pytest.raises(IndexError):
        RingBuffer(2)[0]
    with pytest.raises(ValueError):
        RingBuffer(2).extend_raw(["a", "b"], b"\x00")


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
    model: deque[tuple[str, int]] = deque(maxlen=cap)
    n = 0
    for op, k in ops:
        if op == "append":
            rb.append_raw(str(n), n % 4)
            model.append((str(n), n % 4))
            n += 1
        elif op == "extend":
            new = [(str(i), i % 4) for i in range(n, n + k)]
            rb.extend_raw([r for r, _ in new], bytes(f for _, f in new))
            model.extend(new)
            n += k
        else:
            rb.resize(k)
            model = deque(model, maxlen=k)
        raws = [r for r, _ in model]
        assert rb.lines_newest(len(model)) == (raws, bytes(f for _, f in model))
        assert len(rb) == len(model) <= rb.capacity
        assert rb.total == n
        assert [rb[i].raw for i in range(-len(rb), len(rb))] == raws * 2
        assert [item.raw for item in rb] == raws
        assert rb.raw_newest(3) == raws[-3:]
        assert [item.raw for item in rb.since(n - 2)] == raws[-2:]
        assert [item.cut for item in rb.newest(3)] == [bool(f & CUT) for _, f in model][-3:]


def test_length_is_bounded() -> None:
    rb = RingBuffer(1000)
    for chunk in range(100):
        rb.extend_raw([str(chunk)] * 5000)
    assert len(rb) == 1000 and len(rb.text) == 1000 and len(rb._flags) == 1000 and rb.total == 500_000
    assert rb.text.nbytes() < 6 * (1000 + 1024)  # the held lines and at most a chunk dropped in part


def test_a_full_ring_costs_its_text_not_a_str_a_line() -> None:
    """100,000 parsed lines go in; the ring keeps their text as UTF-8 and 5 bytes of bookkeeping each
    (an offset and the flags). A ring of str cost ~57 bytes a line more than the text, one of Entry
    objects ~300 more again."""
    lines = [_line(i) for i in range(100_000)]
    text_bytes = sum(len(line.encode()) for line in lines)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        items = [parse_line(line) for line in lines]
        rb = RingBuffer(100_000)
        rb.extend(items)  # type: ignore[arg-type]
        del items
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(rb) == 100_000 and rb.raw_newest(1)[0] == lines[-1] and rb.raw_newest(100_000) == lines
    assert held < text_bytes + 100_000 * 6, (held, text_bytes)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "",
                    "   ",
                    "\r",
                    "junk\r\r",
                    "more junk\r\r\r",
                    "2025-09-09T10:00:00.000Z|API|CALL|5|SUCCESS|ok",
                    "2025-09-09T10:00:00.000Z|API|CALL|5|SUCCESS|ok\r",
                    "2025-09-09T10:00:00.000Z|API|CALL|5|SUCCESS|ok\r\r",
                    "2025-09-09T10:00:00+02:00|API|CALL|5|SUCCESS|zone",
                    "2025-13-45T10:00:00Z|API|CALL|5|SUCCESS|bad date",
                    "2099-01-01T00:00:00Z|API|CALL|1|SUCCESS|far ahead",
                    "2025-09-09T10:00:00Z|API|CALL|x|SUCCESS|bad duration",
                ]
            ),
            st.text(max_size=30),
        ),
        max_size=40,
    ),
    st.integers(1, 1000),
)
def test_classify_lines_keeps_what_parsing_each_line_keeps(lines: list[str], first: int) -> None:
    """The history's tail classified by timestamps (no Entry built) is what parse_line on each gives."""
    is_future = lambda ts: ts > 4_000_000_000_000  # noqa: E731
    raws, flags, numbers, newest = [], bytearray(), [], -(1 << 62)
    for i, line in enumerate(lines):
        item = parse_line(line)
        if item is not None:
            raws.append(item.raw)
            flags.append(flags_of(item, is_future))
            numbers.append(first + i)
            if type(item) is Entry and item.ts > newest:
                newest = item.ts
    assert classify_lines(lines, first, is_future) == (raws, flags, numbers, newest)
