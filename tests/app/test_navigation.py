"""Pilot tests of navigation (issue 11): focus across the figures, Enter opening the evidence, an entry's
detail and its clipboard copy, full-size panels, live incidents, a typed time, search jumping."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from execlog_tui.core.config import Config
from execlog_tui.core.display import group_alerts
from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import parse_line
from execlog_tui.core.snapshot import AlertView, BreakerView
from execlog_tui.core.timefmt import format_ts, parse_timestamp
from execlog_tui.evidence import EvidenceResult, EvidenceRow, collect_evidence
from execlog_tui.session import MonitorSession
from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.alerts import AlertsPanel
from execlog_tui.ui.app import TILE_FIGURES, ExeclogApp, make_app
from execlog_tui.ui.detail import DetailScreen, key_values
from execlog_tui.ui.evidence_screen import EvidenceScreen, shown_rows
from execlog_tui.ui.logview import LogView
from execlog_tui.ui.provider import StaticSession
from tests.app.test_ui_pilot import sync, visible_log

SIZE = (100, 30)
FOCUS_ORDER = [*TILE_FIGURES, "components", "breakers", "alerts", "paths", "log"]


def app_for(session: StaticSession) -> ExeclogApp:
    return make_app(session, rss_probe=lambda: 42.0)  # type: ignore[arg-type]


async def until(pilot: Any, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll (letting the app run) until `condition` holds; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.02)


def timed_lines(start: str, count: int, step_ms: int = 1000, every: int = 0) -> list[Entry | ParseError]:
    """ISO-stamped entries one `step_ms` apart (a FAILURE every `every`-th line when `every`)."""
    t0 = parse_timestamp(start)
    assert t0 is not None
    out: list[Entry | ParseError] = []
    for i in range(count):
        status = "FAILURE" if every and i % every == every - 1 else "SUCCESS"
        item = parse_line(f"{format_ts(t0 + i * step_ms)}|API|CALL|{i % 90}|{status}|request {i} user=u{i % 7}")
        assert isinstance(item, Entry)
        out.append(item)
    return out


def fixed_result(figure: str, window: str, lines: list[Entry | ParseError]) -> EvidenceResult:
    rows = [
        EvidenceRow("logs/execution.log", i + 1, getattr(item, "ts", None), item.raw) for i, item in enumerate(lines)
    ]
    return EvidenceResult(figure, window, sc.T0, len(rows), rows)


# ---- focus ----------------------------------------------------------------------------------------
@sync
async def test_tab_and_shift_tab_cross_every_figure_in_order_with_a_visible_focus() -> None:
    app = app_for(sc.session_for(sc.breaker_open_snapshot()))
    async with app.run_test(size=SIZE) as pilot:
        assert app.focused is not None and app.focused.id == "log"
        seen = []
        for _ in FOCUS_ORDER:
            await pilot.press("tab")
            assert app.focused is not None
            seen.append(app.focused.id)
        assert seen == FOCUS_ORDER  # from the log round to the log again
        back = []
        for _ in FOCUS_ORDER:
            await pilot.press("shift+tab")
            assert app.focused is not None
            back.append(app.focused.id)
        assert back == [*reversed(FOCUS_ORDER[:-1]), "log"]
        # The indicator: a focused tile, panel and box look different from an unfocused one.
        avg, p95 = app.query_one("#tile-avg"), app.query_one("#tile-p95")
        avg.focus()
        await pilot.pause()
        assert avg.styles.background != p95.styles.background
        unfocused_box = app.query_one("#alerts-box").styles.border_top
        app.query_one("#breakers").focus()
        await pilot.pause()
        assert app.query_one("#breakers-box").styles.border_top != unfocused_box
        assert app.query_one("#breakers").styles.background != app.query_one("#alerts").styles.background


# ---- Enter opens the evidence ---------------------------------------------------------------------
@sync
async def test_enter_on_each_figure_opens_its_evidence_for_the_window_shown_and_esc_comes_back() -> None:
    snap = sc.alerts_firing_snapshot()
    app = app_for(sc.session_for(snap))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")  # the 5m window
        for tile_id, figure in TILE_FIGURES.items():
            app.query_one(f"#{tile_id}").focus()
            await pilot.press("enter")
            screen = app.screen
            assert isinstance(screen, EvidenceScreen), tile_id
            assert (screen.figure, screen.window, screen.at) == (figure, "5m", snap.as_of)
            await until(pilot, lambda s=screen: not s.running)  # type: ignore[misc]
            await pilot.press("escape")
            assert app.screen is not screen and app.focused is not None and app.focused.id == tile_id
        # a component row: its entries over 1d (the table's window)
        app.query_one("#components").focus()
        await pilot.press("down", "enter")
        screen = app.screen
        assert isinstance(screen, EvidenceScreen)
        assert screen.figure == f"component:{app.query_one('#components').row_names()[1]}" and screen.window == "1d"
        await until(pilot, lambda: not screen.running)
        await pilot.press("escape")
        # a breaker row: the entries of its transitions
        app.query_one("#breakers").focus()
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, EvidenceScreen) and screen.figure == "breaker:CACHE"  # the OPEN one first
        await until(pilot, lambda: not screen.running)
        await pilot.press("escape")
        # an alert row: the window at the second it fired
        app.query_one("#alerts").focus()
        await pilot.press("down", "enter")
        screen = app.screen
        # The panel's rows are alert episodes (core/display.group_alerts), firing first: the row under
        # the cursor opens its alert's window at the second its newest firing fired.
        # At 100x30 the panel shows one row (then "+4 more"): down stays on it.
        second = group_alerts(snap.alerts)[app.query_one("#alerts", AlertsPanel).cursor]
        assert isinstance(screen, EvidenceScreen)
        assert (screen.figure, screen.window, screen.at) == (f"alert:{second.name}", "1m", second.last.fired)
        await until(pilot, lambda: not screen.running)
        await pilot.press("escape")
        assert not isinstance(app.screen, EvidenceScreen)


@sync
async def test_a_click_on_a_tile_opens_its_evidence() -> None:
    app = app_for(sc.session_for(sc.base_snapshot()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#tile-errors")
        screen = app.screen
        assert isinstance(screen, EvidenceScreen) and screen.figure == "error_rate"
        await until(pilot, lambda: not screen.running)


@sync
async def test_evidence_screen_shows_rows_as_inert_text_and_enter_opens_the_entry() -> None:
    lines = sc.seed_lines() + sc.hostile_lines()
    app = app_for(sc.session_for(sc.base_snapshot(), lines))
    async with app.run_test(size=SIZE) as pilot:
        screen = EvidenceScreen(
            app.session, "requests", "1m", collect=lambda *a, **k: fixed_result("requests", "1m", lines)
        )
        await app.push_screen(screen)
        await until(pilot, lambda: not screen.running)
        assert [r.raw for r in screen.rows] == [item.raw for item in lines]
        table = screen.query_one("#ev-rows")
        cells = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert all("\x1b" not in c and "\x9b" not in c for c in cells)
        assert any("[@click=app.quit]" in c for c in cells)  # shown as text, never run as markup
        assert f"{len(lines)} entries" in str(screen.query_one("#ev-head").content)
        await pilot.press("down", "down", "enter")
        detail = app.screen
        assert isinstance(detail, DetailScreen) and detail.raw == lines[2].raw
        assert detail.origin == ("logs/execution.log", 3)
        await pilot.press("escape")
        assert app.screen is screen


@sync
async def test_slowest_first_for_response_time_with_the_p95_line_marked() -> None:
    lines = timed_lines("2025-09-09T10:04:00.000Z", 20)
    rows = [
        EvidenceRow("a.log", i + 1, item.ts, item.raw, "p95" if i == 88 % 20 else None, float(i % 90))
        for i, item in enumerate(lines)
    ]
    result = EvidenceResult("response_time", "1m", sc.T0, len(rows), rows)
    app = app_for(sc.session_for(sc.base_snapshot(), lines))
    async with app.run_test(size=SIZE) as pilot:
        screen = EvidenceScreen(app.session, "response_time", "1m", collect=lambda *a, **k: result)
        await app.push_screen(screen)
        await until(pilot, lambda: not screen.running)
        durations = [r.duration_ms for r in screen.rows]
        assert durations == sorted(durations, reverse=True)
        table = screen.query_one("#ev-rows")
        marks = [i for i in range(table.row_count) if "p95" in str(table.get_row_at(i)[0])]
        assert [screen.rows[i].mark for i in marks] == ["p95"]


@sync
async def test_the_evidence_worker_reports_progress_and_esc_or_ctrl_c_cancels_it() -> None:
    started = threading.Event()
    seen_thread: list[str] = []

    def slow(session: Any, figure: str, window: str, **kw: Any) -> EvidenceResult:
        # A read that takes as long as it is let: reports progress until it is cancelled.
        seen_thread.append(threading.current_thread().name)
        progress, cancel = kw["progress"], kw["cancel"]
        done = 0
        started.set()
        while not cancel.wait(0.01):
            done += 4096
            progress(done, 10 * 1024 * 1024)
        return EvidenceResult(figure, window, None, 1, [EvidenceRow("x.log", 1, None, "partial")], cancelled=True)

    for key in ("escape", "ctrl+c"):
        app = app_for(sc.session_for(sc.base_snapshot()))
        async with app.run_test(size=SIZE) as pilot:
            screen = EvidenceScreen(app.session, "error_rate", "1h", collect=slow)
            await app.push_screen(screen)

            def status(s: EvidenceScreen = screen) -> str:
                return str(s.query_one("#ev-status").content)

            await until(pilot, lambda: started.is_set() and "of 10.0 MB" in status())
            assert "Esc or ctrl+c cancels" in status()
            await pilot.press(key)
            await until(pilot, lambda s=screen: not s.running)  # type: ignore[misc]
            assert app.screen is screen  # the first Esc cancels; it does not leave
            assert screen.result is not None and screen.result.cancelled
            assert "cancelled" in status()
            await pilot.press("escape")
            assert app.screen is not screen
        started.clear()
    assert seen_thread and all(name != threading.main_thread().name for name in seen_thread)


@sync
async def test_an_unknown_name_is_one_line_on_the_status_line() -> None:
    app = app_for(sc.session_for(sc.base_snapshot()))
    async with app.run_test(size=SIZE) as pilot:
        screen = EvidenceScreen(app.session, "nonsense", "1m")
        await app.push_screen(screen)
        await until(pilot, lambda: not screen.running)
        status = str(screen.query_one("#ev-status").content)
        assert status.startswith("cannot collect the evidence: ") and "\n" not in status


# ---- an entry's detail ----------------------------------------------------------------------------
def test_key_values_of_details() -> None:
    assert key_values("request 4 user=u4 rss_mb=44.5, path='/a b' x=(y=1) k=\"q v\"") == [
        ("user", "u4"),
        ("rss_mb", "44.5"),
        ("path", "/a b"),
        ("y", "1"),
        ("k", "q v"),
    ]
    assert key_values("Cache operation failed") == []


@sync
async def test_enter_on_a_log_line_shows_the_whole_entry_with_its_pairs_and_c_copies_it() -> None:
    long_details = "user=alice region=eu-west-1 " + "word " * 200 + "rss_mb=77"
    line = parse_line(f"2025-09-09T10:04:31.000Z|API|CALL|12|SUCCESS|{long_details}")
    assert isinstance(line, Entry)
    session = sc.session_for(sc.base_snapshot(), [*sc.seed_lines(), line])
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        # The newest line in the log before Enter (under load the first refresh can come after the press).
        await until(pilot, lambda: any("rss_mb=77" in row or "region=eu-west-1" in row for row in visible_log(app)))
        await pilot.press("enter")  # following: the newest line
        detail = app.screen
        assert isinstance(detail, DetailScreen) and detail.raw == line.raw
        table = detail.query_one("#detail-kv")
        pairs = [(str(table.get_row_at(i)[0]), str(table.get_row_at(i)[1])) for i in range(table.row_count)]
        assert pairs == [("user", "alice"), ("region", "eu-west-1"), ("rss_mb", "77")]
        fields = detail.query_one("#detail-fields")
        assert fields.size.height > 5  # the long details wrap over several lines, nothing cut
        assert "rss_mb=77" in str(fields.content) and "component API" in str(fields.content)
        assert "where" in str(fields.content)
        await pilot.press("c")
        assert app.clipboard == line.raw
        assert "copied" in str(detail.query_one("#detail-box").border_subtitle)
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)
        # a parse error: its reason instead of fields; a marked line (a search match) is the one opened
        await pilot.press("slash", *"bad line", "enter", "enter")
        detail = app.screen
        assert isinstance(detail, DetailScreen) and "bad line" in detail.raw
        assert "not an entry: not a timestamp" in str(detail.query_one("#detail-fields").content)
        assert not detail.query("#detail-kv")


# ---- full size --------------------------------------------------------------------------------------
@sync
async def test_z_maximises_the_focused_panel_with_all_its_rows_and_z_or_esc_restores() -> None:
    snap = sc.breaker_open_snapshot()
    breakers = dict(snap.breakers)
    for i in range(12):
        breakers[f"SVC{i:02}"] = BreakerView(f"SVC{i:02}", "CLOSED", sc.T0 - 60_000, 0, False)
    app = app_for(sc.session_for(replace(snap, breakers=breakers)))
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one("#breakers")
        assert "more" in panel.plain  # not all of them fit in the dashboard
        panel.focus()
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is app.query_one("#breakers-box")
        assert "more" not in panel.plain and all(name in panel.plain for name in breakers)
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is None and "more" in panel.plain
        for target in ("#components", "#alerts", "#log"):
            app.query_one(target).focus()
            await pilot.press("z")
            await pilot.pause()
            assert app.screen.maximized is not None and target.strip("#") in str(app.screen.maximized.id)
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen.maximized is None
        app.query_one("#tile-avg").focus()
        await pilot.press("z")
        assert app.screen.maximized is None  # a tile is not a panel


# ---- live navigation --------------------------------------------------------------------------------
def _live_session() -> tuple[StaticSession, list[Entry | ParseError]]:
    lines = timed_lines("2025-09-09T10:00:00.000Z", 400)  # 10:00:00 .. 10:06:39, one a second
    lines.insert(250, ParseError("garbage line", "expected 6 fields"))  # after 10:04:09
    snap = sc.base_snapshot()
    alerts = (
        AlertView("error_rate", "error_rate > 5%", 7.0, parse_timestamp("2025-09-09T10:01:00.000Z") or 0, None),
        AlertView("breaker:API", "breaker API open", None, parse_timestamp("2025-09-09T10:03:00.500Z") or 0, None),
    )
    return sc.session_for(replace(snap, alerts=alerts), lines), lines


def _current_ts(log: LogView) -> int | None:
    i = log.index_of(log.current) if log.current is not None else None
    assert i is not None
    return log.ts_at(i)


@sync
async def test_live_incident_keys_move_the_log_view_to_each_incident() -> None:
    session, lines = _live_session()
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(LogView)
        kinds = [(i.kind, format_ts(i.ts)) for i in app.live_incidents()]
        assert kinds == [
            ("alert", "2025-09-09T10:01:00.000Z"),
            ("breaker", "2025-09-09T10:03:00.500Z"),
            ("parse", "2025-09-09T10:04:09.000Z"),
        ]
        await pilot.press("less_than_sign")  # from the newest line: the parse error burst
        assert not log.following
        i = log.index_of(log.current or -1)
        assert i is not None and "garbage line" in log.raw_at(i + 1)  # at the line it follows
        assert any("garbage line" in t for t in visible_log(app))
        await pilot.press("less_than_sign")
        assert format_ts(_current_ts(log)) == "2025-09-09T10:03:00.000Z"  # the line at the transition
        await pilot.press("less_than_sign")
        assert format_ts(_current_ts(log)) == "2025-09-09T10:01:00.000Z"
        await pilot.press("less_than_sign")  # none earlier: stays
        assert format_ts(_current_ts(log)) == "2025-09-09T10:01:00.000Z"
        await pilot.press("greater_than_sign")
        assert format_ts(_current_ts(log)) == "2025-09-09T10:03:00.000Z"
        await pilot.press("greater_than_sign")  # not stuck on the line before the 10:03:00.500 opening
        assert format_ts(_current_ts(log)) == "2025-09-09T10:04:09.000Z"
        # new lines do not move the view away from the incident
        session.add_lines(timed_lines("2025-09-09T10:06:40.000Z", 50))
        app.refresh_data()
        await pilot.pause()
        assert format_ts(_current_ts(log)) == "2025-09-09T10:04:09.000Z"
        assert any(format_ts(_current_ts(log)) in t for t in visible_log(app))


@sync
async def test_t_moves_the_live_log_to_a_typed_time_and_a_bad_time_keeps_the_prompt() -> None:
    session, lines = _live_session()
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(LogView)
        await pilot.press("t", *"10:02:30.5", "enter")
        assert format_ts(_current_ts(log)) == "2025-09-09T10:02:31.000Z"  # the first line at or after
        assert any("10:02:31.000Z" in t for t in visible_log(app))
        assert app.focused is log
        await pilot.press("t", *"25:99", "enter")
        assert app.query_one("#prompt").display  # an error, the prompt stays for a fix
        await pilot.press("escape")
        await pilot.press("G")
        assert log.following and log.current is None


@sync
async def test_search_enter_jumps_to_the_match_from_where_the_reader_is_and_stays() -> None:
    session, lines = _live_session()
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(LogView)
        await pilot.press("g")  # at the top: the first match is below, off screen
        await pilot.press("slash", *"request 300 ", "enter")
        i = log.index_of(log.current or -1)
        assert i is not None and "request 300 " in log.raw_at(i)
        assert any("request 300 " in t for t in visible_log(app)) and not log.following
        session.add_lines(timed_lines("2025-09-09T10:06:40.000Z", 50))
        app.refresh_data()
        await pilot.pause()
        assert any("request 300 " in t for t in visible_log(app))  # new lines do not take it away


@sync
async def test_dashboard_keys_do_nothing_on_the_evidence_and_detail_screens() -> None:
    app = app_for(sc.session_for(sc.base_snapshot()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("space", "f", "2", "z")
        assert not app.paused and app.window == "1m" and isinstance(app.screen, DetailScreen)
        assert not app.query_one("#prompt").display


def test_every_new_key_is_in_the_key_table() -> None:
    from execlog_tui.ui.help import help_text
    from execlog_tui.ui.keys import KEYS

    keys = {k.keys for k in KEYS}
    for needed in ("Tab S-Tab", "Enter", "z", "< >", "t", "c"):
        assert needed in keys
    text = help_text().plain
    assert "Focused panel at full size" in text and "copy the line" in text


# ---- the headless twin agrees -----------------------------------------------------------------------
SEED_FILE = Path(__file__).resolve().parents[2] / "sample_logs" / "seed_sample.log"


def _cli_evidence(path: Path, figure: str, window: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "-b", "--evidence", figure, "--window", window, "--json", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_the_evidence_screen_agrees_with_collect_evidence_and_b_evidence_json(tmp_path: Path) -> None:
    path = tmp_path / "execution.log"
    shutil.copy(SEED_FILE, path)
    newest = parse_timestamp("2025-09-09T10:04:30.002Z") or 0
    session = MonitorSession([str(path)], Config(), follow=False, wall_clock=lambda: newest)
    session.start()
    assert session.wait_history(60)
    app = make_app(session, rss_probe=lambda: 42.0, start_session=False)
    # (widget to focus, keys before Enter, figure, window): tiles, a component row, a breaker row
    cases = [
        ("#tile-errors", (), "error_rate", "1m"),
        ("#tile-p95", (), "p95", "1m"),
        ("#tile-cache", (), "cache_hit_rate", "1m"),
        ("#components", (), "component:CACHE", "1d"),
        ("#breakers", (), "breaker:CACHE", "1m"),
    ]
    seen: dict[str, list[tuple[str, int, int | None, str]]] = {}

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.snapshot is not None and bool(app.snapshot.breakers))
            for selector, keys, figure, window in cases:
                app.query_one(selector).focus()
                await pilot.press(*keys, "enter")
                screen = app.screen
                assert isinstance(screen, EvidenceScreen) and screen.figure == figure, figure
                await until(pilot, lambda s=screen: not s.running)  # type: ignore[misc]
                assert screen.error is None and screen.result is not None
                # what the screen shows is what collect_evidence gives for the same figure and time
                direct = collect_evidence(session, figure, window, at=screen.at)
                assert screen.rows == shown_rows(direct), figure
                seen[figure] = [(r.file, r.line, r.ts, r.raw) for r in screen.result.rows]
                await pilot.press("escape")

    try:
        asyncio.run(run())
    finally:
        session.stop()
    assert [raw for *_x, raw in seen["error_rate"]] == [
        f"2025-09-09T10:04:00.{ms}Z|CACHE|FAILURE|{d}|ERROR|Cache operation failed"
        for ms, d in (("000", 5), ("100", 4), ("200", 3))
    ]
    for _selector, _keys, figure, window in cases:
        cli = _cli_evidence(path, figure, window)
        rows = [(e["file"], e["line"], e["ts"], e["raw"]) for e in cli["entries"]]
        assert rows == [(f, n, format_ts(ts), raw) for f, n, ts, raw in seen[figure]], figure
        assert cli["total"] == len(seen[figure])
