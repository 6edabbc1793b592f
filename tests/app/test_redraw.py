"""Refreshes repaint only what changed: an unchanged tick repaints nothing, a window key only what shows the window."""

from __future__ import annotations

import asyncio
import collections
import copy
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from textual.widget import Widget

from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.app import make_app
from execlog_tui.ui.tiles import MetricTile


@contextmanager
def counting_refreshes() -> Iterator[collections.Counter[str]]:
    """Every Widget.refresh call in the block, by widget (type#id), with ':layout' for layout passes."""
    counts: collections.Counter[str] = collections.Counter()
    original = Widget.refresh

    def refresh(self: Widget, *args: object, **kwargs: object) -> object:
        name = type(self).__name__ + (f"#{self.id}" if self.id else "")
        counts[name + (":layout" if kwargs.get("layout") else "")] += 1
        return original(self, *args, **kwargs)

    Widget.refresh = refresh  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        Widget.refresh = original  # type: ignore[method-assign]


def test_unchanged_ticks_repaint_nothing_and_a_window_key_repaints_only_the_tiles_and_header() -> None:
    async def go() -> None:
        snap = sc.base_snapshot()
        session = sc.session_for(snap)
        app = make_app(session, rss_probe=lambda: 42.0)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            with counting_refreshes() as counts:
                for _ in range(3):
                    app.refresh_data()
                session.set_snapshot(copy.copy(snap))  # a new snapshot, the same figures
                app.refresh_data()
            assert not counts, counts
            with counting_refreshes() as counts:
                await pilot.press("3")
            assert app.query_one("#tile-avg", MetricTile).value_text == "105.0 ms"
            touched = {name.split(":")[0] for name in counts}
            assert not touched & {
                "LogView#log",
                "ComponentsTable#components",
                "BreakersPanel#breakers",
                "AlertsPanel#alerts",
                "Vertical#alerts-box",
                "Vertical#breakers-box",
            }, counts
            assert "Label#win-1h" in touched and "Label#win-1d" not in touched  # only the two that change
            assert not any(name.endswith(":layout") and name.startswith("HeaderBar") for name in counts)

    asyncio.run(go())


def test_a_wake_from_the_sessions_thread_draws_at_once_not_at_the_next_tick() -> None:
    """The history read, the session wakes the dashboard from its own thread (`set_waker`): the figures
    are drawn then. Ticks here are 10 s apart, so only the wake can show them within the 3 s allowed."""

    async def go() -> None:
        session = sc.session_for(sc.empty_snapshot())
        app = make_app(session, rss_probe=lambda: 42.0, refresh_hz=0.1)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            tile = app.query_one("#tile-avg", MetricTile)
            assert tile.value_text == "—" and session.waker is not None

            def history_read() -> None:  # as the session's thread does
                session.set_snapshot(sc.base_snapshot())
                assert session.waker is not None
                session.waker()

            thread = threading.Thread(target=history_read)
            thread.start()
            thread.join()
            deadline = time.monotonic() + 3.0
            while tile.value_text != "42.5 ms":
                assert time.monotonic() < deadline, "not drawn before the next tick"
                await pilot.pause(0.02)
        assert session.waker is None  # the app let go of it when it closed

    asyncio.run(go())


def test_a_kept_history_due_in_a_moment_is_in_the_first_frame() -> None:
    """Before its first frame the dashboard waits (at most KEPT_HISTORY_WAIT_S) for a history an earlier
    run kept: the figures that arrive meanwhile are in that frame, not an empty layout redrawn at the
    next tick (10 s here). Once drawn, `on_first_frame` is called, once."""
    from execlog_tui.ui.app import KEPT_HISTORY_WAIT_S

    async def go() -> None:
        session = sc.session_for(sc.empty_snapshot())
        waited: list[float] = []

        def history_arrives(timeout: float) -> None:  # as the history's reading ends during the wait
            waited.append(timeout)
            session.set_snapshot(sc.base_snapshot())

        session.wait_kept_history = history_arrives  # type: ignore[method-assign]
        frames: list[str] = []
        app = make_app(session, rss_probe=lambda: 42.0, refresh_hz=0.1)
        app.on_first_frame = lambda: frames.append(app.query_one("#tile-avg", MetricTile).value_text)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert app.query_one("#tile-avg", MetricTile).value_text == "42.5 ms"
            await pilot.pause(0.1)
        assert waited == [KEPT_HISTORY_WAIT_S]
        assert frames == ["42.5 ms"]

    asyncio.run(go())
