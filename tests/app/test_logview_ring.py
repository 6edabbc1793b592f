"""The log view over raw rings: it holds references to the ring's strings (not parsed copies), filters
each new line once, and judges a replay's unparsed lines as the parser would."""

from __future__ import annotations

import gc
import re
import tracemalloc
from typing import Any

import pytest

from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import CUT_MARKER, parse_line
from execlog_tui.core.ringbuffer import RingBuffer
from execlog_tui.core.sanitize import sanitize
from execlog_tui.replay.ring import LazyRing
from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.filters import LineFilter, TextMatcher
from execlog_tui.ui.logview import PARSE_MARK, LogView

from .test_ui_pilot import SIZE, app_for, sync, visible_log

COMPS = ("API", "CACHE", "ROUTING")
STATS = ("SUCCESS", "FAILURE", "WARNING", "DEBUG", "INFO")


def raw_line(i: int) -> str:
    return (
        f"2025-09-09T10:{i // 60 % 60:02d}:{i % 60:02d}.000Z|{COMPS[i % 3]}|OP|{i % 90}|"
        f"{STATS[i % 5]}|request {i} \x1b[31m user=u{i % 7}"
    )


def items(start: int, count: int) -> list[Entry | ParseError]:
    out: list[Entry | ParseError] = []
    for i in range(start, start + count):
        if i % 11 == 0:
            out.append(parse_line(f"garbage {i} hello", cut=i % 2 == 0))  # type: ignore[arg-type]
        else:
            out.append(parse_line(raw_line(i), cut=i % 13 == 0))  # type: ignore[arg-type]
    return out


def expected(ring: RingBuffer, f: LineFilter) -> list[str]:
    """A full re-filter of the ring's parsed lines: what the incremental view must agree with."""
    return [sanitize(item.raw) for item in ring if f.matches(item, sanitize(item.raw))]


class CountingPattern:
    """A compiled pattern that counts how many lines the filter asked it about."""

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)
        self.calls = 0

    def search(self, text: str) -> Any:
        self.calls += 1
        return self.pattern.search(text)

    def finditer(self, text: str) -> Any:
        return self.pattern.finditer(text)


@sync
async def test_view_shares_the_rings_text_not_copies() -> None:
    session = sc.session_for(sc.base_snapshot(), [])
    ring = RingBuffer(100_000)
    ring.extend_raw([raw_line(i) for i in range(100_000)])
    session.ring = ring  # type: ignore[assignment]
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(LogView)
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            log.pull(ring)
            held = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert log.held_count == 100_000 and log.shown_count == 100_000
        # An array of sequence numbers and a byte of flags a line, the text's chunks shared with the
        # ring (the view used to keep a tuple and a sequence int per line: ~13 MB for 100,000 lines,
        # then a list of the ring's str objects: ~0.8 MB of references to ~12.6 MB of str).
        assert held < 100_000 * 10, held
        assert all(any(t is u for u in ring.text._texts) for t in log._text._texts)
        assert log._raw(log.held_count - 1) == ring.raw_newest(1)[0]
        await pilot.pause()
        assert visible_log(app)[-1].startswith(sanitize(raw_line(99_999)))


@sync
async def test_filter_is_applied_once_per_new_line_and_agrees_with_a_full_refilter() -> None:
    session = sc.session_for(sc.base_snapshot(), [])
    ring = RingBuffer(300)
    ring.extend(items(0, 250))
    session.ring = ring  # type: ignore[assignment]
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(LogView)
        log.pull(ring)
        pattern = CountingPattern(r"user=u[13]|hello")
        counting = LineFilter(text=TextMatcher("re:user=u[13]|hello", pattern))  # type: ignore[arg-type]
        log.set_filter(counting)
        assert pattern.calls == 250
        start = 250
        for batch in (1, 40, 7, 120, 299, 3):  # wraps the ring several times
            pattern.calls = 0
            ring.extend(items(start, batch))
            start += batch
            log.pull(ring)
            assert pattern.calls == batch  # the new lines only, not the whole buffer
            assert log.shown_lines() == expected(ring, counting)
        for spec in ("c:CACHE", "s:FAILURE,WARNING", "l:WARNING", "c:API hello", "re:^garbage", "user=U3"):
            f = LineFilter.parse(spec)
            log.set_filter(f)
            for batch in (5, 310):
                ring.extend(items(start, batch))
                start += batch
                log.pull(ring)
                assert log.shown_lines() == expected(ring, f), spec
        # Parse errors keep their mark and cut lines their marker on screen, filtered or not.
        log.set_filter(LineFilter())
        await pilot.pause()
        screen = visible_log(app)
        newest = list(ring)[-len(screen) :]
        for shown, item in zip(screen, newest, strict=False):
            assert shown.startswith(PARSE_MARK) == isinstance(item, ParseError)
            assert shown.endswith(CUT_MARKER.strip()) == item.cut
            assert "\x1b" not in shown


@sync
async def test_replay_ring_raw_lines_are_filtered_and_marked_as_the_parser_says() -> None:
    session = sc.session_for(sc.base_snapshot(), [])
    ring = LazyRing(capacity=1000)
    lines = [raw_line(i) for i in range(1, 200)]
    lines[5] = "not an entry at all"
    lines[9] = lines[9] + "\r"
    block = "\n".join(lines[:150]) + "\n\n"  # a blank line, and the block's trailing newline
    ring.add_block(block.encode(), 152)
    ring.add_lines(lines[150:])
    session.ring = ring  # type: ignore[assignment]
    app = app_for(session)
    async with app.run_test(size=(160, 50)) as pilot:
        log = app.query_one(LogView)
        log.pull(ring)
        assert log.held_count == 199  # blank lines are not lines
        log.set_filter(LineFilter.parse("c:CACHE"))
        cache = [sanitize(line.rstrip("\r")) for line in lines if "|CACHE|" in line]
        assert log.shown_lines() == cache
        log.set_filter(LineFilter.parse("l:ERROR"))
        assert "not an entry at all" in log.shown_lines()
        log.set_filter(LineFilter())
        log.scroll_to(y=5, animate=False, immediate=True)
        await pilot.pause()
        screen = visible_log(app)
        assert len(screen) >= 5
        assert screen[0] == PARSE_MARK + "not an entry at all"
        assert screen[4] == sanitize(lines[9][:-1])  # the CR dropped as the parser drops it


def test_text_width_is_the_cells_the_sanitised_line_takes() -> None:
    from rich.cells import cell_len

    from execlog_tui.ui.logview import text_width

    for s in ("plain ascii |x|1", "", "tab\there", "esc \x1b[31m", "caf\u00e9 \u202e", "del\x7f", "c1 \x85"):
        assert text_width(s) == len(sanitize(s)), s
    assert text_width("\u6f22" * 9) == 18 == cell_len("\u6f22" * 9)  # wide characters: two cells each
    assert text_width("\U0001f600 ok") == 5


@sync
async def test_the_view_is_as_wide_as_its_widest_line_whatever_the_batch_holds() -> None:
    from rich.cells import cell_len

    def brute(ring: RingBuffer) -> int:
        return max(
            cell_len(sanitize(i.raw))
            + (len(PARSE_MARK) if isinstance(i, ParseError) else 0)
            + (len(CUT_MARKER) if i.cut else 0)
            for i in ring
        )

    session = sc.session_for(sc.base_snapshot(), [])
    ring = RingBuffer(1_000)
    session.ring = ring  # type: ignore[assignment]
    app = app_for(session)
    plain = [f"2025-09-09T10:00:{i % 60:02d}.000Z|API|OP|{i}|SUCCESS|ok {i}" for i in range(500)]
    async with app.run_test(size=SIZE):
        log = app.query_one(LogView)
        batches = [
            plain,  # printable ASCII, no marks: measured in bulk
            plain[:10] + [plain[0] + "\x1b" * 30],  # escapes widen a line four times over
            plain[:10] + ["garbage " + "x" * 60],  # a parse error's mark
            plain[:10] + [plain[0] + " caf\u00e9" * 20],  # not ASCII
            plain[:5],  # nothing wider: the width stays
            # Narrower than the widest line so far in characters and in bytes, wider on screen: escapes
            # (a colour code), bidi controls, wide characters (seen: such a line's end could not be
            # scrolled to).
            [plain[0] + "\x1b" * 30],
            [plain[0] + "\u200e" * 30],
            [plain[0] + "\u6f22" * 100],
        ]
        for batch in batches:
            ring.extend_raw(batch)
            log.pull(ring)
            assert log._width == brute(ring), batch[-1][:40]
            assert log.virtual_size.width == log._width


@sync
async def test_no_line_is_drawn_wider_than_the_view() -> None:
    """The view draws a line in pieces (its fields, a search's matches), each measured alone; rich
    measures the character after a zero-width joiner as part of its sequence, so a joiner before a
    separator or a match measured less in the whole line than in its pieces (found by a review: the
    line's last columns could not be scrolled to)."""
    from rich.cells import cell_len

    session = sc.session_for(sc.base_snapshot(), [])
    ring = RingBuffer(1_000)
    session.ring = ring  # type: ignore[assignment]
    app = app_for(session)
    head = "2025-09-09T10:00:00.000Z|API|OP"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    lines = [
        head + "\u200d|1|SUCCESS|ok",
        head + "|1|SUCCESS|" + "a\u200d|" * 40,
        head + "|1|SUCCESS|" + family * 30,
        head + "|1|SUCCESS|\u2764\ufe0f \u00e9\u0301 \x1b[31m red",
    ]
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(LogView)
        ring.extend_raw(lines)
        log.pull(ring)
        await pilot.pause()
        for search in (None, "\U0001f469", "|", "a"):
            log.set_search(TextMatcher.parse(search) if search is not None else None)  # matches drawn apart
            for i in range(len(lines)):
                drawn = sum(cell_len(s.text) for s in log._line_text(i).render(app.console, end=""))
                assert drawn <= log._width, (i, drawn, log._width)


@pytest.mark.parametrize("wide", [False, True])
@sync
async def test_lines_that_arrive_during_a_batch_are_followed_to_the_newest(wide: bool) -> None:
    """Seen in CI (tmux, three workers): the history's lines arrived while the screen was in a batch (a
    recompose holds one across awaits), so the view's scroll to the end came before the layout that
    gives it a scrollbar, which Textual requires to scroll; the screen then showed the oldest lines
    under "follow" until something else moved it. The view follows once the scrollbar appears. A wide
    line's horizontal scrollbar, appearing under lines already followed, takes a row: the end moves."""
    session = sc.session_for(sc.base_snapshot(), [])
    ring = RingBuffer(100_000)
    session.ring = ring  # type: ignore[assignment]
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(LogView)
        await pilot.pause()
        assert log.shown_count == 0 and not log.show_vertical_scrollbar
        if wide:
            ring.extend_raw([raw_line(i) for i in range(9_000)])
            log.pull(ring)
            await pilot.pause()
            assert log.show_vertical_scrollbar and not log.show_horizontal_scrollbar
            ring.extend_raw([raw_line(9_000) + "x" * 300])
        else:
            ring.extend_raw([raw_line(i) for i in range(9_001)])
        with app.batch_update():
            log.pull(ring)
            await pilot.pause()  # the after-refresh callbacks run in the batch, before any layout
        await pilot.pause()
        assert log.following
        assert log.scroll_y == log.max_scroll_y > 0
        assert log.show_horizontal_scrollbar == wide
        assert visible_log(app)[-1 - wide].startswith(sanitize(raw_line(9_000)))
