"""Pilot tests of the query screen's focus (issue 11, items 6 and 12): Enter hands focus to the results,
Tab moves between the SQL line and the table, Esc leaves the line before the screen, the palette offers
the screen's own commands, and `w` reruns the query over the next scope."""

from __future__ import annotations

import time
from typing import Any

from textual.command import CommandList, CommandPalette
from textual.widgets import DataTable

from execlog_tui.ui.app import ExeclogApp
from execlog_tui.ui.query_screen import QueryScreen, SqlInput
from tests.app.test_query_screen import SEED, SIZE, app_on, settle, sync

SQL = "select component, count(*) as n from entries group by 1 order by n desc"


async def typed_query(pilot: Any, app: ExeclogApp) -> QueryScreen:
    """Q, e, the SQL written into the line, Enter: as a user does it."""
    await pilot.press("Q", "e")
    screen = app.screen
    assert isinstance(screen, QueryScreen)
    field = screen.query_one(SqlInput)
    assert screen.focused is field
    field.value = SQL
    field.cursor_position = len(SQL)
    await pilot.press("enter")
    await settle(pilot, screen)
    return screen


@sync
async def test_enter_runs_and_hands_focus_to_the_table_where_s_and_w_act() -> None:
    app = app_on([SEED])
    async with app.run_test(size=SIZE) as pilot:
        screen = await typed_query(pilot, app)
        table = screen.query_one(DataTable)
        assert screen.focused is table
        assert screen.rows and screen.columns == ("component", "n")
        await pilot.press("s")  # sorts the cursor's column; not typed into the SQL
        assert screen.query_one(SqlInput).value == SQL
        assert screen.sort_column == 0


@sync
async def test_tab_and_shift_tab_move_between_the_sql_line_and_the_table() -> None:
    app = app_on([SEED])
    async with app.run_test(size=SIZE) as pilot:
        screen = await typed_query(pilot, app)
        field, table = screen.query_one(SqlInput), screen.query_one(DataTable)
        await pilot.press("shift+tab")
        assert screen.focused is field
        await pilot.press("tab")
        assert screen.focused is table
        await pilot.press("tab")
        assert screen.focused is field
        await pilot.press("shift+tab")
        assert screen.focused is table


@sync
async def test_escape_in_the_sql_line_goes_back_to_the_table_then_leaves_the_screen() -> None:
    app = app_on([SEED])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("Q", "e")
        screen = app.screen
        assert isinstance(screen, QueryScreen) and isinstance(screen.focused, SqlInput)
        await pilot.press("escape")
        assert app.screen is screen and screen.focused is screen.query_one(DataTable)
        await pilot.press("escape")
        assert not isinstance(app.screen, QueryScreen)


@sync
async def test_the_palette_on_the_query_screen_offers_its_commands_not_the_dashboards() -> None:
    app = app_on([SEED])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("Q")
        screen = app.screen
        assert isinstance(screen, QueryScreen)
        titles = [c.title for c in app.get_system_commands(screen)]
        assert "Report error_rate" in titles and "Edit SQL" in titles
        assert not any(t.startswith("Window ") or "Pause" in t or "filter" in t.lower() for t in titles), titles
        # Through the palette itself: a report runs on the query screen.
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"efficiency")
        commands = app.screen.query_one(CommandList)
        deadline = time.monotonic() + 10
        while not commands.option_count:
            assert time.monotonic() < deadline
            await pilot.pause(0.02)
        assert "cache_efficiency" in str(commands.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        await settle(pilot, screen)
        assert screen.report == "cache_efficiency"


@sync
async def test_w_reruns_the_query_over_the_next_scope() -> None:
    app = app_on([SEED])
    async with app.run_test(size=SIZE) as pilot:
        screen = await typed_query(pilot, app)
        ran: list[tuple[str, str | None]] = []
        original = screen._command

        def spy(sql: str, scope: str | None) -> list[str]:
            ran.append((sql, scope))
            return original(sql, scope)

        screen._command = spy  # type: ignore[method-assign]
        await pilot.press("right", "s")  # sorted by n, ascending: the rerun keeps the order
        await pilot.press("w")
        await settle(pilot, screen)
        assert ran == [(SQL, "1m")] and screen.scope == "1m"
        assert "scope: 1m" in str(screen.query_one(DataTable).border_subtitle)
        # The seed's newest minute: the query ran again over it (fewer rows than the whole set).
        assert screen.rows and sum(r[1] for r in screen.rows) < 22
        assert screen.sort_column == 1 and not screen.sort_reverse
        shown = [int(str(screen.query_one(DataTable).get_row_at(i)[1])) for i in range(len(screen.rows))]
        assert shown == sorted(shown)
