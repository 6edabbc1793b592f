"""The compact ring (UTF-8 chunks, core.lines) against a plain reference: a deque of (str, flags)."""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execlog_tui.core.lines import Lines
from execlog_tui.core.parser import parse_line
from execlog_tui.core.ringbuffer import CUT, FUTURE, PARSE_ERROR, UNKNOWN, RingBuffer

# Empty lines, ASCII, non-ASCII of every UTF-8 length, a lone surrogate (str can hold one) and '|'.
TEXT = st.one_of(
    st.just(""),
    st.text(alphabet="ab|Z09 ", max_size=12),
    st.text(alphabet="é€𝄞日\u00a0\x1b|x", max_size=6),
    st.just("\ud800x"),
    st.just("2025-09-09T10:00:00Z|API|CALL|1|SUCCESS|é"),
)
FLAGS = st.sampled_from([0, PARSE_ERROR, CUT, CUT | PARSE_ERROR, UNKNOWN, FUTURE, UNKNOWN | CUT])
LINES = st.lists(st.tuples(TEXT, FLAGS), max_size=30)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.tuples(TEXT, FLAGS)),
        st.tuples(st.just("extend"), LINES),
        # Lines taken from another queue (a history's tail): (its lines, where it numbers the first
        # relative to the ring's total, the pieces they are taken in).
        st.tuples(st.just("take"), st.tuples(LINES, st.integers(-3, 3), st.integers(1, 3))),
        st.tuples(st.just("resize"), st.integers(1, 40)),
        st.tuples(st.just("clear"), st.none()),
        st.tuples(st.just("since"), st.integers(0, 60)),
        st.tuples(st.just("newest"), st.integers(-2, 60)),
    ),
    max_size=50,
)


@settings(max_examples=400, deadline=None)
@given(cap=st.integers(1, 30), chunk=st.integers(1, 7), ops=OPS)
def test_compact_ring_matches_a_deque_of_str_and_flags(cap: int, chunk: int, ops: list[tuple[str, object]]) -> None:
    rb = RingBuffer(cap, chunk_lines=chunk)
    model: deque[tuple[str, int]] = deque(maxlen=cap)
    total = 0
    mirror = Lines(0, chunk)  # the log view's way: shares the ring's chunks
    for op, arg in ops:
        if op == "append":
            raw, fl = arg  # type: ignore[misc]
            rb.append_raw(raw, fl)
            model.append((raw, fl))
            total += 1
        elif op == "extend":
            new: list[tuple[str, int]] = arg  # type: ignore[assignment]
            rb.extend_raw([r for r, _ in new], bytes(f for _, f in new))
            model.extend(new)
            total += len(new)
        elif op == "take":
            new, shift, pieces = arg  # type: ignore[misc]
            start = max(0, rb.total + shift)  # shift 0: numbered as the ring will (its chunks taken)
            first = max(0, start - 5)  # src holds other lines before (under numbers the ring holds)
            src = Lines(first, chunk)
            src.extend([f"other {i}" for i in range(first, start)] + [r for r, _ in new])
            src.extend(["more of src", "é"])  # src holds lines past those taken
            cuts = sorted({start, start + len(new), *(start + len(new) * k // pieces for k in range(pieces))})
            for lo, hi in zip(cuts, cuts[1:], strict=False):
                rb.extend_lines(src, lo, hi, bytes(f for _, f in new[lo - start : hi - start]))
                src.append("added to src since")  # and grows after a take
            model.extend(new)
            total += len(new)
        elif op == "resize":
            rb.resize(arg)  # type: ignore[arg-type]
            model = deque(model, maxlen=arg)  # type: ignore[arg-type]
        elif op == "clear":
            rb.clear()
            model.clear()
        elif op == "since":
            back = min(arg, total)  # type: ignore[type-var]
            want = [parse_line(r, bool(f & CUT)) for r, f in list(model)[max(0, len(model) - back) :]]
            got = rb.since(total - back)
            assert [g.raw for g in got] == [r for r, _ in list(model)[max(0, len(model) - back) :]]
            assert len(got) == len(want)
        else:
            count: int = arg  # type: ignore[assignment]
            want_raws = [r for r, _ in model][max(0, len(model) - max(count, 0)) :] if count > 0 else []
            assert [i.raw for i in rb.newest(count)] == want_raws
        raws = [r for r, _ in model]
        assert rb.lines_newest(len(model) + 3) == (raws, bytes(f for _, f in model))
        assert len(rb) == len(model) <= rb.capacity
        assert rb.total == total and rb.dropped == total - len(model)
        if model:
            assert rb[0].raw == raws[0] and rb[-1].raw == raws[-1]
            assert [rb[i].raw for i in range(len(model))] == raws
        with pytest.raises(IndexError):
            rb[len(model)]
        # The mirror: cut to what the ring holds, then take what is new, chunks shared.
        oldest = total - len(model)
        if mirror.end > total or mirror.end < oldest:
            mirror.clear(oldest)
        mirror.drop_before(oldest)
        mirror.share_from(rb.text, total)
        assert mirror.span(mirror.first, mirror.end) == raws
        assert [mirror.at(i) for i in range(mirror.first, mirror.end)] == raws


def test_lines_round_trip_across_chunks_and_stay_compact() -> None:
    text = Lines(5, chunk=4)
    lines = ["", "a", "é€", "\ud800", "x|y", "日本" * 50, "", "z"] * 5
    text.extend(lines[:7])
    for s in lines[7:]:
        text.append(s)
    assert len(text) == 40 and text.first == 5 and text.end == 45
    assert text.span(5, 45) == lines and text.at(5 + 5) == "日本" * 50
    text.drop_before(30)
    assert text.span(30, 45) == lines[25:] and text.first == 30
    utf8 = sum(len(s.encode("utf-8", "surrogatepass")) for s in lines)
    assert text.nbytes() <= utf8 + 4 * 48  # the text and an offset a line (a chunk's worth before first)
    with pytest.raises(ValueError):
        Lines(0, chunk=0)


def test_a_mirror_copies_no_text() -> None:
    rb = RingBuffer(10_000)
    rb.extend_raw([f"line {i} é" for i in range(5 * 1024)])  # ends on a chunk's end: not yet exact bytes
    mirror = Lines(0)
    mirror.share_from(rb.text, rb.total)
    rb.extend_raw([f"more {i}" for i in range(3_000)])
    mirror.share_from(rb.text, rb.total)
    # Every chunk the mirror holds is the ring's own object (the tail too, until the ring grows it),
    # the one the ring replaced by exact bytes included.
    assert all(any(t is u for u in rb.text._texts) for t in mirror._texts)
    assert mirror.span(0, rb.total) == rb.raw_newest(rb.total)


def test_a_tail_numbered_as_the_ring_is_taken_without_a_copy_of_its_text() -> None:
    src = Lines(0)
    src.extend([f"line {i} é" for i in range(150_000)])  # a history's tail, more than the ring keeps
    rb = RingBuffer(100_000)
    rb.extend_lines(src, 0, 90_000, bytes(90_000))
    rb.extend_lines(src, 90_000, 150_000, bytes([PARSE_ERROR]) * 60_000)  # its next part, in order
    assert rb.total == 150_000 and len(rb) == 100_000
    assert all(any(t is u for u in src._texts) for t in rb.text._texts)  # the source's own chunks
    assert rb.raw_newest(100_000) == src.span(50_000, 150_000)
    assert rb.flags_newest(60_001) == bytes(1) + bytes([PARSE_ERROR]) * 60_000
    rb.extend_lines(src, 149_000, 150_000)  # numbered otherwise (not where the ring is): copied
    assert rb.total == 151_000 and rb.raw_newest(1_001) == [src.at(149_999), *src.span(149_000, 150_000)]
    assert not any(t is u for u in src._texts for t in rb.text._texts[-1:])


def test_a_ring_that_took_part_of_a_chunk_grows_with_its_own_lines_only() -> None:
    """Found by a review: a ring that shared the first lines of a source's chunk, then added a line,
    copied the whole chunk (the source's later lines too) and read them as part of its own line."""
    src = Lines(0, chunk=8)
    src.extend(["a", "b", "c", "d"])
    rb = RingBuffer(100, chunk_lines=8)
    rb.extend_lines(src, 0, 2)
    rb.append_raw("own")
    src.append("later")
    rb.append_raw("more")
    assert rb.raw_newest(4) == ["a", "b", "own", "more"] and src.span(0, 5) == ["a", "b", "c", "d", "later"]


def test_a_mirror_that_grows_copies_the_shared_tail_first() -> None:
    src = Lines(0, chunk=8)
    src.extend(["a", "b", "c"])
    mirror = Lines(0, chunk=8)
    mirror.share_from(src, 3)
    mirror.append("own")
    src.append("d")
    assert mirror.span(0, 4) == ["a", "b", "c", "own"] and src.span(0, 4) == ["a", "b", "c", "d"]


@settings(max_examples=300, deadline=None)
@given(
    start=st.integers(0, 9),
    chunk=st.integers(1, 5),
    lines=st.lists(TEXT | st.text(alphabet="ab\t\x7f\x85 ~", max_size=5), min_size=1, max_size=30),
    data=st.data(),
)
def test_extent_is_what_the_decoded_lines_say(start: int, chunk: int, lines: list[str], data: st.DataObject) -> None:
    """`Lines.extent` (the log view's width, nothing decoded): the longest line's UTF-8 length and whether
    all of them are printable ASCII, for any range, across chunks, after the oldest were dropped."""
    text = Lines(start, chunk=chunk)
    text.extend(lines)
    drop = data.draw(st.integers(start, text.end - 1))
    text.drop_before(drop)
    lo = data.draw(st.integers(drop, text.end - 1))
    hi = data.draw(st.integers(lo + 1, text.end))
    part = lines[lo - start : hi - start]
    longest, plain = text.extent(lo, hi)
    assert longest == max(len(s.encode("utf-8", "surrogatepass")) for s in part)
    joined = "".join(part)
    assert plain == (joined.isascii() and joined.isprintable())
    assert longest >= max(map(len, part))  # never narrower than the lines in characters
