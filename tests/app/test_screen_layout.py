"""The dashboard's screen at 80x24, 120x40 and 200x60: the header keeps the state a user acts on,
nothing moves when a state changes, no toast covers the log, every theme's text can be read, and the
p95 tile draws the p95."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from rich.color import Color

from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.app import ExeclogApp, make_app
from execlog_tui.ui.banner import StatusLine
from execlog_tui.ui.events import EventsScreen
from execlog_tui.ui.header import HeaderBar
from execlog_tui.ui.provider import StaticSession
from execlog_tui.ui.themes import BUILTIN_THEMES
from execlog_tui.ui.tiles import MetricTile, WindowSwitch

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40"), pytest.param((200, 60), id="200x60")]
SOURCE = "/tmp/execlog-demo-kndlu78i/execution.log (+2)"  # as long as the demo's


def sync(fn: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run


def app_for(session: StaticSession, theme: str = "dark") -> ExeclogApp:
    return make_app(session, theme=theme, rss_probe=lambda: 42.0, source_label=SOURCE)


# ---------------------------------------------------------------------------------- item 3: header
@pytest.mark.parametrize("size", SIZES)
@sync
async def test_the_header_keeps_the_state_clock_window_and_memory_at_every_size(size: tuple[int, int]) -> None:
    app = app_for(sc.session_for(sc.base_snapshot(), sc.many_lines(300)))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        header = app.query_one(HeaderBar).plain
        assert "10:04:30" in header and "▼ follow" in header and "1m" in header and "42 MB" in header
        await pilot.press("4", "up", "space")  # the 1d window, scrolled, paused
        await pilot.pause()
        header = app.query_one(HeaderBar).plain
        assert len(header) <= size[0] - 2
        for needed in ("⏸ PAUSED", "⇡ scrolled", "10:04:30", "1d · 23h 53m of data", "42 MB"):
            assert needed in header, (needed, header)
        assert "following" not in header or header.index("PAUSED") < header.index("following")
        if size[0] >= 120:
            assert "2025-09-09T10:04:30.002Z" in header  # room for the date and the milliseconds


@sync
async def test_a_replay_header_keeps_replay_state_and_clock_at_80_columns() -> None:
    from execlog_tui.ui.header import HeaderState

    class View:
        clock, speed, paused, ended, busy = sc.T0, "10x", True, False, None
        first = last = frontier = sc.T0
        incidents = ()

    app = app_for(sc.session_for(sc.base_snapshot()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        header = app.query_one(HeaderBar)
        header.show(
            HeaderState(
                SOURCE, "replay", (0, 0), sc.T0, False, False, False, "1h", 42.0, replay=View(), coverage="7m of data"
            )
        )
        text = header.build(78).plain  # at once: the next refresh would show the app's own (live) state
        for needed in ("⏸ REPLAY", "10:04:30", "⏸ PAUSED", "1h · 7m of data", "42 MB"):
            assert needed in text, (needed, text)


# ------------------------------------------------------------------- item 4: nothing moves
def regions(app: ExeclogApp) -> dict[str, Any]:
    ids = ("header", "status", "tiles", "panels", "components-box", "breakers-box", "alerts-box", "log", "footer")
    return {i: app.query_one(f"#{i}").region for i in ids}


@pytest.mark.parametrize("size", SIZES)
@sync
async def test_nothing_moves_when_degraded_mode_a_quiet_log_an_error_or_an_event_comes(size: tuple[int, int]) -> None:
    session = sc.session_for(sc.base_snapshot(), sc.many_lines(300), last_entry_snapshot=sc.base_snapshot())
    app = app_for(session)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        before = regions(app)
        log_rows = app.query_one("#log").size.height
        for change in (
            lambda: session.set_snapshot(sc.degraded_snapshot()),
            lambda: session.add_event("follow rotated: execution.log: rotated (inode 2213820 -> 2214065)"),
            lambda: app.notify("filter: unbalanced parenthesis", title="filter", severity="error"),
            lambda: session.set_snapshot(sc.quiet_snapshot()),
            lambda: session.set_snapshot(replace(sc.quiet_snapshot(), degraded=True, degraded_reason="the log says")),
            lambda: session.set_snapshot(sc.base_snapshot()),
        ):
            change()
            app.refresh_data()
            await pilot.pause()
            assert regions(app) == before
            assert app.query_one("#log").size.height == log_rows
        assert app.query_one(StatusLine).plain  # the row is there whatever it says


# ------------------------------------------------------------------- item 5: no toasts
@sync
async def test_notices_go_to_the_events_list_and_errors_to_the_status_line_never_a_toast() -> None:
    session = sc.session_for(sc.base_snapshot(), sc.many_lines(300))
    app = app_for(session)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        session.add_event("follow rotated: execution.log: rotated (inode 2213820 -> 2214065)")
        app.refresh_data()
        await pilot.press("f", *"re:(", "enter")  # a filter that does not parse
        await pilot.pause()
        assert not list(app.screen.query("Toast"))  # nothing covers the log
        status = app.query_one(StatusLine).plain
        assert "✗ filter:" in status
        await pilot.press("escape")
        await pilot.press("e")
        assert isinstance(app.screen, EventsScreen)
        listed = str(app.screen.query_one("#events-text").render())
        assert "rotated (inode 2213820 -> 2214065)" in listed and "filter:" in listed
        await pilot.press("escape")
        assert not isinstance(app.screen, EventsScreen)


# ------------------------------------------------------------------- item 1: the p95 sparkline
@sync
async def test_the_p95_tile_draws_the_p95_series_not_the_average() -> None:
    snap = sc.base_snapshot()
    app = app_for(sc.session_for(snap))
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        p95 = app.query_one("#tile-p95", MetricTile).series
        avg = app.query_one("#tile-avg", MetricTile).series
        assert p95 == list(snap.series["p95_response_ms"]) and p95 != avg


@sync
@pytest.mark.parametrize("width", [50, 60, 80])
async def test_a_narrow_tile_cuts_its_title_with_an_ellipsis_never_its_value(width: int) -> None:
    """Below 80 columns `Bootstrap 467` was cut without an ellipsis: the figure gave way, not the title.
    At 50 columns a tile has no room for its title beside some values: it shows the value alone (rich's
    truncate to no room at all left the title whole but a character, and it pushed the value out)."""
    app = app_for(sc.session_for(sc.base_snapshot()))
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        for tile in app.query(MetricTile):
            row = tile.render_line(0).text  # the tile's first row: its title, then its value
            value = tile.value_text
            assert len(row) == tile.content_region.width and row.endswith(value), (tile.id, row, value)
            text = row[: -len(value)]
            assert not text or text.endswith(" "), (tile.id, row)  # never glued to its title
            text = text.rstrip()
            cut = text.endswith("…") and tile.title.startswith(text[:-1])
            assert text in ("", tile.title) or cut, (tile.id, text)


# ------------------------------------------------------------------- item 13: coverage on screen
@sync
async def test_the_window_switch_and_header_say_how_much_of_the_window_has_data() -> None:
    snap = replace(sc.base_snapshot(), source=replace(sc.base_snapshot().source, first=sc.T0 - 7 * 60_000 - 5_000))
    app = app_for(sc.session_for(snap))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        switch = app.query_one(WindowSwitch).query_one(".tile-title")
        assert "of data" not in str(switch.render()) and "of data" not in app.query_one(HeaderBar).plain
        await pilot.press("4")
        await pilot.pause()
        assert str(switch.render()) == "7m of data"
        assert "1d · 7m of data" in app.query_one(HeaderBar).plain


# ------------------------------------------------------------------- item 2: contrast
def _luminance(c: Color) -> float:
    def channel(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = c.get_truecolor()
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(fg: Color, bg: Color) -> float:
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


MIN_CONTRAST = 4.5  # WCAG AA for text


@pytest.mark.parametrize("theme", BUILTIN_THEMES)
@sync
async def test_every_text_cell_of_every_theme_can_be_read(theme: str) -> None:
    """Every character on the dashboard (panel titles, table headers, tiles, the header, the status line,
    the log), degraded and with alerts firing, against the background it is drawn on. Rules, block
    glyphs (sparklines, borders) and Textual's footer are not text."""
    width, height = 160, 50
    app = app_for(sc.session_for(sc.degraded_snapshot()), theme=theme)
    async with app.run_test(size=(width, height)) as pilot:
        await pilot.pause()
        worst: dict[str, tuple[float, str, int, int]] = {}
        for y in range(height):
            for x in range(width):
                widget, _region = app.screen.get_widget_at(x, y)
                if widget.id == "footer" or type(widget).__name__.startswith("Footer"):
                    continue
                # render_line draws a widget's content: its border and padding (not text) are around it.
                content = widget.content_region
                if not content.contains(x, y):
                    continue
                text = widget.render_line(y - content.y).text
                ch = text[x - content.x] if x - content.x < len(text) else " "
                if ch.isspace() or 0x2500 <= ord(ch) <= 0x259F:
                    continue
                style = app.screen.get_style_at(x, y)
                if style.color is None or style.bgcolor is None:
                    continue
                ratio = contrast(style.color, style.bgcolor)
                key = f"{type(widget).__name__}#{widget.id}"
                if key not in worst or ratio < worst[key][0]:
                    worst[key] = (round(ratio, 2), ch, x, y)
        bad = {k: v for k, v in worst.items() if v[0] < MIN_CONTRAST}
        assert not bad, f"{theme}: text below {MIN_CONTRAST}:1 (ratio, char, x, y): {bad}"
        assert "BreakersPanel#breakers" in worst  # the Breakers header was checked
