"""Pilot tests: every key binding, the filter and search prompts, follow, pause, safeguards."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from execlog_tui.core.config import Config
from execlog_tui.core.entry import Entry
from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.app import ExeclogApp, make_app
from execlog_tui.ui.banner import StatusLine
from execlog_tui.ui.breakers import BreakersPanel
from execlog_tui.ui.components import ComponentsTable
from execlog_tui.ui.header import HeaderBar
from execlog_tui.ui.help import HelpScreen
from execlog_tui.ui.keys import KEYS
from execlog_tui.ui.logview import LogView
from execlog_tui.ui.prompt import PromptBar
from execlog_tui.ui.provider import StaticSession
from execlog_tui.ui.tiles import MetricTile

SIZE = (100, 30)


def sync(fn: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async Pilot test with asyncio (no pytest-asyncio needed)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run


def app_for(session: StaticSession, **kwargs: object) -> ExeclogApp:
    return make_app(session, rss_probe=lambda: 42.0, **kwargs)  # type: ignore[arg-type]


def visible_log(app: ExeclogApp) -> list[str]:
    log = app.query_one(LogView)
    return ["".join(seg.text for seg in log.render_line(y)).rstrip() for y in range(log.size.height)]


@sync
async def test_windows_1_to_4_switch_the_tiles() -> None:
    app = app_for(sc.session_for(sc.base_snapshot()))
    async with app.run_test(size=SIZE) as pilot:
        avg = app.query_one("#tile-avg", MetricTile)
        assert app.window == "1m" and avg.value_text == "42.5 ms" and avg.has_class("-optimal")
        for key, window, value, band in (
            ("2", "5m", "61.0 ms", "acceptable"),
            ("3", "1h", "105.0 ms", "warning"),
            ("4", "1d", "220.0 ms", "error"),
            ("1", "1m", "42.5 ms", "optimal"),
        ):
            await pilot.press(key)
            assert app.window == window
            assert avg.value_text == value
            assert avg.band == band and avg.has_class(f"-{band}")
            assert [c for c in ("-optimal", "-acceptable", "-warning", "-error") if avg.has_class(c)] == [f"-{band}"]
            mark = avg.render_line(1).text.split()[0]  # the tile's second row: its band's label
            assert "✓ optimal ✗ error ▲ warning • acceptable".find(mark) >= 0
        assert "1m" in app.query_one(HeaderBar).plain


@sync
async def test_band_labels_and_unbanded_figures() -> None:
    app = app_for(sc.session_for(sc.alerts_firing_snapshot()))
    async with app.run_test(size=SIZE):
        boot = app.query_one("#tile-bootstrap", MetricTile)
        assert boot.value_text == "254 ms" and boot.band == "acceptable"
        assert "acceptable" in boot.render_line(1).text
        # error rate is `error` only while its alert fires; requests/s and p95 never have a band
        assert app.query_one("#tile-errors", MetricTile).band == "error"
        assert app.query_one("#tile-rps", MetricTile).band is None
        assert app.query_one("#tile-p95", MetricTile).band is None
    calm = app_for(sc.session_for(sc.base_snapshot()))
    async with calm.run_test(size=SIZE):
        assert calm.query_one("#tile-errors", MetricTile).band is None


@sync
async def test_quit_key() -> None:
    app = app_for(sc.session_for(sc.base_snapshot()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running


@sync
async def test_help_lists_every_key_and_closes() -> None:
    app = app_for(sc.session_for(sc.base_snapshot()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").content)
        for k in KEYS:
            assert k.keys in text and k.description in text
        for reserved in ("[ ]", ", .", "< >", "t "):
            assert reserved in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@sync
async def test_space_pauses_the_view() -> None:
    session = sc.session_for(sc.base_snapshot())
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        assert app.paused and "PAUSED" in app.query_one(HeaderBar).plain
        session.add_lines(sc.many_lines(5))
        session.set_snapshot(sc.degraded_snapshot())
        app.refresh_data()
        assert app.query_one(LogView).held_count == len(sc.seed_lines())
        assert not app.query_one(StatusLine).degraded
        await pilot.press("space")
        assert not app.paused
        assert app.query_one(LogView).held_count == len(sc.seed_lines()) + 5
        assert app.query_one(StatusLine).degraded


@sync
async def test_follow_unless_scrolled_and_navigation_keys() -> None:
    session = sc.session_for(sc.base_snapshot(), sc.many_lines(500))
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(LogView)
        await pilot.pause()
        assert log.following and log.scroll_y == log.max_scroll_y > 0
        assert "request 499 " in visible_log(app)[-1]
        await pilot.press("up")
        assert not log.following and log.scroll_y == log.max_scroll_y - 1
        assert "scrolled" in app.query_one(HeaderBar).plain
        session.add_lines(sc.many_lines(3, start_ms=sc.T0))
        app.refresh_data()
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y - 4  # stays where the reader is
        await pilot.press("pageup")
        y = log.scroll_y
        assert y < log.max_scroll_y - 10
        await pilot.press("pagedown")
        assert log.scroll_y > y
        await pilot.press("g")
        assert log.scroll_y == 0 and not log.following
        assert "request 0 " in visible_log(app)[0]
        await pilot.press("down")
        assert log.scroll_y == 1
        await pilot.press("G")
        assert log.following and log.scroll_y == log.max_scroll_y
        await pilot.press("home")
        assert log.scroll_y == 0
        await pilot.press("end")
        assert log.following
        session.add_lines(sc.many_lines(2, start_ms=sc.T0 + 1000))
        app.refresh_data()
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y and log.held_count == 505


@sync
async def test_filter_prompt_by_component_status_level_text_and_regex() -> None:
    app = app_for(sc.session_for(sc.base_snapshot()))
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(LogView)
        total = log.shown_count
        for spec, expected in (
            ("c:CACHE", 12),
            ("s:ERROR", 3),
            ("l:WARNING", 5),
            ("cache op", 3),
            ("re:CIRCUIT_(OPEN|TEST)", 2),
        ):
            await pilot.press("f")
            prompt = app.query_one(PromptBar)
            assert prompt.display and prompt.kind == "filter"
            prompt.query_one("Input").value = ""
            await pilot.press(*spec)
            await pilot.press("enter")
            assert not prompt.display
            assert log.shown_count == expected, spec
            assert f"filter {spec!r}" in str(log.border_title)
        await pilot.press("F")
        assert log.shown_count == total
        # a bad regular expression: an error, the prompt stays open, the filter is unchanged
        await pilot.press("f", *"re:([", "enter")
        assert app.query_one(PromptBar).display and log.shown_count == total
        await pilot.press("escape")
        assert not app.query_one(PromptBar).display


@sync
async def test_search_next_and_previous() -> None:
    app = app_for(sc.session_for(sc.base_snapshot()))
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(LogView)
        await pilot.press("slash", *"operation failed", "enter")
        matches = [i for i, t in enumerate(log.shown_lines()) if "operation failed" in t]
        assert len(matches) == 3
        seq_of = {i: log.seq_at(i) for i in matches}
        assert log.current == seq_of[matches[2]]  # starts from the newest
        await pilot.press("N")
        assert log.current == seq_of[matches[1]]
        await pilot.press("N")
        assert log.current == seq_of[matches[0]]
        await pilot.press("N")  # no earlier one: stays
        assert log.current == seq_of[matches[0]]
        await pilot.press("n")
        assert log.current == seq_of[matches[1]]
        await pilot.press("slash", "ctrl+u", *"re:FAIL.RE\\|4\\|", "enter")
        assert log.current == seq_of[matches[1]]


@sync
async def test_sort_key_cycles_components() -> None:
    app = app_for(sc.session_for(sc.base_snapshot()))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ComponentsTable)
        assert table.row_names()[:2] == ["API", "CACHE"]  # by entries, largest first
        await pilot.press("s")
        assert table.sort_key == "errors" and table.row_names()[:2] == ["API", "ROUTING"]
        await pilot.press("s")
        assert table.sort_key == "avg" and table.row_names()[0] == "API"
        await pilot.press("s")
        assert table.sort_key == "max" and table.row_names()[0] == "API"
        await pilot.press("s")
        assert table.sort_key == "component" and table.row_names()[0] == "API" and table.row_names()[-1] == "TEMPLATE"


@sync
async def test_quiet_log_notice_and_last_entry_key() -> None:
    session = sc.session_for(sc.quiet_snapshot(), last_entry_snapshot=sc.base_snapshot())
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        notice = app.query_one(StatusLine)
        assert "Last entry 3h 12m ago" in notice.plain
        assert app.query_one("#tile-avg", MetricTile).value_text == "—"
        await pilot.press("l")
        assert app.as_of_last_entry and "back to live" in notice.plain
        assert app.query_one("#tile-avg", MetricTile).value_text == "42.5 ms"
        assert "@last" in app.query_one(HeaderBar).plain
        await pilot.press("l")
        assert not app.as_of_last_entry and app.query_one("#tile-avg", MetricTile).value_text == "—"


@sync
async def test_breakers_and_alerts_panels() -> None:
    app = app_for(sc.session_for(sc.alerts_firing_snapshot()))
    async with app.run_test(size=(160, 50)):
        breakers = app.query_one(BreakersPanel).plain.splitlines()
        assert "CACHE" in breakers[1] and "✗ OPEN" in breakers[1] and "~" not in breakers[1]
        assert "ROUTING" in breakers[2] and "◐ HALF~" in breakers[2]
        assert breakers[-1].startswith("~ inferred")
        # One line per alert episode (a row too long goes on, indented, on the next line).
        alerts = [line for line in app.query_one("#alerts").plain.splitlines() if not line.startswith(" ")]
        firing = [i for i, line in enumerate(alerts) if "FIRING" in line]
        assert firing == list(range(len(firing))) and len(firing) == 4  # firing first
        assert "critical:API" in alerts[0]  # newest firing first
        assert "4 firing" in str(app.query_one("#alerts-box").border_title)


@sync
async def test_progress_while_reading_history() -> None:
    session = sc.session_for(
        sc.empty_snapshot(), [], mode="history", history_done=False, progress=(256 * 1024 * 1024, 1024 * 1024 * 1024)
    )
    app = app_for(session)
    async with app.run_test(size=(160, 50)):
        header = app.query_one(HeaderBar).plain
        assert "history  25%" in header and "256.0 MB/1.0 GB" in header


@sync
async def test_memory_safeguard_shrinks_the_ring_and_says_so() -> None:
    """The guard is the session's (so `-b -d` and a replay have it too); the dashboard shows its notice."""
    rss: list[float | None] = [50.0]
    session = sc.session_for(sc.base_snapshot(), sc.many_lines(8000), memory_limit_mb=100.0, rss_probe=lambda: rss[0])
    app = make_app(session, rss_probe=lambda: 42.0)
    async with app.run_test(size=SIZE) as pilot:
        assert not session.memory.check()
        assert len(session.ring) == 8000
        rss[0] = 150.0
        assert not session.memory.check()  # probed at most every 2 s
        session.memory.rss_mb = 150.0
        assert session.memory.enforce()
        assert len(session.ring) == 4000
        app.refresh_data()
        await pilot.pause()
        assert app.query_one(LogView).held_count == 4000
        assert "shrunk to 4,000 lines" in str(app.query_one(LogView).border_title)
        assert not session.memory.enforce() and len(session.ring) == 4000  # cooldown: once per 30 s


@sync
async def test_command_palette_lists_the_same_actions() -> None:
    app = app_for(sc.session_for(sc.base_snapshot()))
    async with app.run_test(size=SIZE):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for k in KEYS:
            if k.action not in (None, "quit", "help"):
                assert k.description in titles
        for name in ("Window 1m", "Window 5m", "Window 1h", "Window 1d", "Help: every key", "Quit"):
            assert name in titles
        palette_pause = next(c for c in app.get_system_commands(app.screen) if c.title.startswith("Pause"))
        palette_pause.callback()
        assert app.paused


@sync
async def test_theme_option_and_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for(sc.session_for(sc.base_snapshot()), theme="monochrome")
    async with app.run_test(size=SIZE):
        assert app.theme == "execlog-monochrome" and app.no_color
        # bands still readable without colour
        assert "acceptable" in app.query_one("#tile-cache", MetricTile).render_line(1).text


@sync
async def test_hostile_details_are_shown_inertly() -> None:
    hostile = sc.hostile_lines()
    snap = sc.base_snapshot()
    comp = "EVIL\x1b]0;T\x07[@click=app.quit]"
    snap = replace(snap, breakers={**snap.breakers, comp: replace(snap.breakers["API"], component=comp)})
    app = app_for(sc.session_for(snap, hostile))
    async with app.run_test(size=(200, 50)) as pilot:
        lines = visible_log(app)
        screen = "\n".join(lines)
        assert "\x1b" not in screen and "\x9b" not in screen and "\x07" not in screen
        assert "title \\x1b]0;PWNED-TITLE\\x07 end" in screen
        assert "c1 \\x9b31mCSI \\x9d0;x\\x9c end" in screen
        assert "link \\x1b]8;;https://evil.example/\\x1b\\click\\x1b]8;;\\x1b\\ end" in screen
        assert "clip \\x1b]52;c;ZXZpbA==\\x07 end" in screen
        assert "markup [@click=app.quit]QUIT[/] [bold red]loud[/] [link=https://x]y[/link]" in screen
        assert "✗ PARSE \\x1b]0;BAD-TITLE\\x07|garbage [@click=app.quit]" in screen
        breakers = app.query_one(BreakersPanel).plain
        assert "EVIL\\x1b]" in breakers and "\x1b" not in breakers
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "PWNED" in svg and "[@click=app.quit]" in svg.replace("&#160;", " ")
        # clicking on the would-be link does nothing: the app keeps running
        row = next(i for i, line in enumerate(lines) if "[@click" in line)
        col = lines[row].index("[@click")
        await pilot.click(LogView, offset=(col + 2, row))
        await pilot.pause()
        assert app.is_running
        assert app.title == "execlog-top"


@sync
async def test_real_engine_on_the_seed_sample() -> None:
    engine_mod = pytest.importorskip("execlog_tui.core.engine")
    engine = engine_mod.MetricsEngine(Config())
    lines = sc.parse_lines(sc.SEED_SAMPLE)
    engine.feed_parsed(lines)
    snap = engine.snapshot()
    app = app_for(StaticSession(snap, lines))
    async with app.run_test(size=(160, 50)):
        boot = app.query_one("#tile-bootstrap", MetricTile)
        assert boot.value_text == "254 ms" and boot.band == "acceptable"
        assert "CACHE" in app.query_one(BreakersPanel).plain
        assert isinstance(lines[0], Entry)


@sync
async def test_following_keeps_the_newest_line_when_degraded_mode_starts() -> None:
    # 80x24, the seed's lines: a notice appearing above the log after the lines arrived (degraded
    # here; the quiet-log notice on a real first screen) made the view one row shorter and hid the
    # last line until a key was pressed. The status line is now always there: the log keeps its height.
    session = sc.session_for(sc.base_snapshot(), sc.parse_lines(sc.SEED_SAMPLE))
    app = app_for(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.query_one(LogView)
        assert "CIRCUIT_CLOSE" in visible_log(app)[-1]
        height = log.size.height
        session.set_snapshot(sc.degraded_snapshot())
        app.refresh_data()
        await pilot.pause()
        assert app.query_one(StatusLine).degraded
        assert log.size.height == height  # the status line's row was there already: nothing moved
        assert log.following and log.scroll_y == log.max_scroll_y
        assert "CIRCUIT_CLOSE" in visible_log(app)[-1]


@sync
async def test_refresh_tick_during_shutdown_does_nothing() -> None:
    # The refresh timer runs in its own task and could fire while shutdown removed the widgets one by
    # one (the screen still attached): NoMatches on HeaderBar, about one run in three under load.
    # Recreate that moment exactly: shutdown has begun (is_running False), a widget is gone.
    app = app_for(sc.session_for(sc.base_snapshot()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        timer = next(t for t in app._timers if t.name == "refresh")  # type: ignore[attr-defined]
        tick = timer._callback
        app._running = False  # what App._shutdown does first
        await app.query_one(HeaderBar).remove()
        tick()  # must not raise
        # The real timer must not tick between here and the exit with HeaderBar gone and the app
        # running again (under load it did: NoMatches raised by the test's own set-up).
        timer.stop()
        app._running = True


@sync
async def test_a_wide_tile_value_never_touches_its_title_at_80_columns() -> None:
    snap = sc.base_snapshot()
    w1 = replace(snap.windows["1m"], p95_response_ms=1969.4)
    app = app_for(sc.session_for(replace(snap, windows={**snap.windows, "1m": w1})))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tile = app.query_one("#tile-p95", MetricTile)
        assert tile.value_text == "1.97 s"  # seconds past 1,000 ms: it fits a tile at 80 columns
        row = tile.render_line(0).text  # its title, then its value, right-aligned
        title = row[: -len(tile.value_text)]
        assert row.endswith(tile.value_text) and title.rstrip() and title.endswith(" ")  # a blank between them
