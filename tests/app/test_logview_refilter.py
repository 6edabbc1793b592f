"""A new filter over a large buffer is applied in steps: the UI keeps handling keys meanwhile, shows the
progress, and the result is exactly a full re-filter, also when lines arrive or the filter changes again
half-way (a newer filter stops the older one: a generation counter).

No timing is asserted: the test polls, with a deadline, for a key's effect, and checks that the
refilter was still pending when the key was handled.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual import events

from execlog_tui.core.ringbuffer import RingBuffer
from execlog_tui.core.sanitize import sanitize
from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.filters import LineFilter
from execlog_tui.ui.logview import REFILTER_AT_ONCE, LogView

from .test_logview_ring import expected, items, raw_line
from .test_ui_pilot import SIZE, app_for, sync

DEADLINE_S = 60.0
LINES = 60_000


async def until(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not predicate():
        assert time.monotonic() < deadline, f"not within {DEADLINE_S} s: {what}"
        await asyncio.sleep(0.005)


def big_ring(n: int = LINES) -> RingBuffer:
    ring = RingBuffer(n)
    ring.extend_raw([raw_line(i) for i in range(n)])
    return ring


@sync
async def test_keys_are_handled_while_a_large_buffer_is_refiltered() -> None:
    session = sc.session_for(sc.base_snapshot(), [])
    ring = big_ring()
    session.ring = ring  # type: ignore[assignment]
    app = app_for(session)
    async with app.run_test(size=SIZE):
        log = app.query_one(LogView)
        log.pull(ring)
        assert log.held_count == LINES > REFILTER_AT_ONCE
        assert app.window == "1m"
        f = LineFilter.parse("re:user=u[13]")
        log.set_filter(f)  # returns at once: the filter runs in steps
        assert log.refilter is not None
        titles: set[str] = set()
        app.post_message(events.Key("2", "2"))  # window 5m: a key handled by the app
        await until(lambda: titles.add(str(log.border_title)) or app.window == "5m", "the key handled")
        assert log.refilter is not None, "the key waited for the refilter to finish"
        await until(lambda: titles.add(str(log.border_title)) or log.refilter is None, "the refilter done")
        # The log's title shows the progress meanwhile, at the app's refreshes, and not after.
        assert any(", filtering " in t and "% (" in t for t in titles), titles
        await until(lambda: "filtering" not in str(log.border_title), "the title without the progress")
        assert log.shown_lines() == [sanitize(raw_line(i)) for i in range(LINES) if i % 7 in (1, 3)]


@sync
async def test_lines_arriving_and_a_newer_filter_midway_give_a_full_refilters_result() -> None:
    session = sc.session_for(sc.base_snapshot(), [])
    ring = RingBuffer(50_000)
    ring.extend(items(0, 40_000))
    session.ring = ring  # type: ignore[assignment]
    app = app_for(session)
    async with app.run_test(size=SIZE):
        log = app.query_one(LogView)
        log.pull(ring)
        first = LineFilter.parse("c:CACHE")
        log.set_filter(first)
        old = log.refilter
        assert old is not None
        assert not log.refilter_step(old, budget_s=0.0)  # one slice judged, the rest pending
        # Lines arrive while it runs (the ring wraps: the oldest held lines leave), then the filter
        # changes before the first one is done.
        ring.extend(items(40_000, 15_000))
        log.pull(ring)
        second = LineFilter.parse("l:WARNING hello")
        log.set_filter(second)
        new = log.refilter
        assert new is not None and new is not old and new.generation > old.generation
        assert log.refilter_step(old), "an older generation's step does nothing and says it is over"
        await until(lambda: log.refilter is None, "the newer refilter done")
        assert log.shown_lines() == expected(ring, second)
        # And lines pulled while a refilter is pending are judged by it exactly once.
        log.set_filter(first)
        assert log.refilter is not None
        ring.extend(items(55_000, 5_000))
        log.pull(ring)
        await until(lambda: log.refilter is None, "the refilter done")
        assert log.shown_lines() == expected(ring, first)
        # New lines after it are filtered as they come, as before.
        ring.extend(items(60_000, 50))
        log.pull(ring)
        assert log.shown_lines() == expected(ring, first)
