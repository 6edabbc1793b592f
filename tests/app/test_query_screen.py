"""Pilot tests of the query screen (key Q): reports, SQL errors in place, history, sort, cancel, back."""

from __future__ import annotations

import asyncio
import functools
import json
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from execlog_tui.core.sanitize import sanitize
from execlog_tui.query import REPORTS, QueryCancelled, format_result, run_query
from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.app import ExeclogApp, make_app
from execlog_tui.ui.help import help_text
from execlog_tui.ui.keys import KEYS
from execlog_tui.ui.logview import LogView
from execlog_tui.ui.query_screen import QueryScreen, SqlInput, sort_rows

ROOT = Path(__file__).resolve().parents[2]
SEED = str(ROOT / "sample_logs" / "seed_sample.log")
SIZE = (80, 24)
# Pure SQL that runs for minutes: what a GROUP BY over a huge set feels like, without the huge set.
SLOW_SQL = "SELECT sum(x) FROM range(100000000000) t(x)"


def sync(fn: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run


def app_on(paths: list[str]) -> ExeclogApp:
    session = sc.session_for(sc.base_snapshot())
    session.paths = paths
    return make_app(session, rss_probe=lambda: 42.0)


async def settle(pilot: Any, screen: QueryScreen, deadline_s: float = 20.0) -> None:
    """Wait until the running query has posted its outcome."""
    deadline = time.monotonic() + deadline_s
    await pilot.pause()
    while screen.running:
        assert time.monotonic() < deadline, f"query still running: {screen.status.plain}"
        await pilot.pause(0.02)
    await pilot.pause()


async def submit(pilot: Any, app: ExeclogApp, sql: str) -> QueryScreen:
    """Write `sql` into the SQL line (typing it key by key would be slow) and press Enter."""
    if not isinstance(app.screen, QueryScreen):
        await pilot.press("Q")
    await pilot.press("e")
    field = app.screen.query_one(SqlInput)
    field.value = sql
    await pilot.press("enter")
    return app.screen  # type: ignore[return-value]


def table_text(screen: QueryScreen) -> list[list[str]]:
    from textual.widgets import DataTable

    table = screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


@sync
async def test_Q_opens_the_screen_and_each_report_runs_on_the_seed_sample() -> None:
    app = app_on([SEED])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("Q")
        screen = app.screen
        assert isinstance(screen, QueryScreen) and screen.paths == [SEED]
        for i, name in enumerate(REPORTS):
            await pilot.press(str(i + 1))
            await settle(pilot, screen)
            assert screen.report == name, screen.status.plain
            # The child's rows: values as the json format renders them (timestamps as ISO text).
            expected = json.loads(format_result(run_query([SEED], name), "jsontable"))
            assert screen.columns == tuple(expected["columns"])
            assert screen.rows == [tuple(r) for r in expected["rows"]]
            assert screen.status.plain.startswith(f"{len(expected['rows'])} row")
            if name == "cache_efficiency":
                row = dict(zip(screen.columns, screen.rows[0], strict=False))
                assert (row["hits"], row["misses"], row["hit_rate"]) == (1, 1, 50.0)
                assert table_text(screen)[0][:3] == ["1", "1", "50"]
        assert screen.query_one(SqlInput).value == list(REPORTS)[-1]  # the last report run


@sync
async def test_bad_sql_shows_the_databases_message_in_place_and_the_screen_stays() -> None:
    app = app_on([SEED])
    async with app.run_test(size=SIZE) as pilot:
        screen = await submit(pilot, app, "SELECT nope FROM entries")
        await settle(pilot, screen)
        assert app.screen is screen
        status = screen.query_one("#query-status")
        assert status.has_class("-error")
        assert screen.status.plain.startswith("error: ") and "nope" in screen.status.plain
        assert "Traceback" not in screen.status.plain and "\n" not in screen.status.plain
        assert screen.rows == []
        # A good query after it clears the error.
        await submit(pilot, app, "SELECT count(*) AS n FROM entries")
        await settle(pilot, screen)
        assert not status.has_class("-error") and screen.rows == [(22,)]


@sync
async def test_no_input_is_an_error_line_not_a_crash(tmp_path: Path) -> None:
    app = app_on([str(tmp_path / "missing.log")])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("Q", "1")
        screen = app.screen
        await settle(pilot, screen)
        assert screen.status.plain.startswith("error: ") and app.screen is screen


@sync
async def test_history_recalls_earlier_queries_with_up_and_down() -> None:
    app = app_on([SEED])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("Q", "3")
        screen = app.screen
        await settle(pilot, screen)
        await submit(pilot, app, "SELECT 1 AS one")
        await settle(pilot, screen)
        field = screen.query_one(SqlInput)
        await pilot.press("e", "ctrl+a", "ctrl+k", *"dr")  # Enter left the line for the table: e goes back
        await pilot.press("up")
        assert field.value == "SELECT 1 AS one"
        await pilot.press("up")
        assert field.value == "cache_efficiency"
        await pilot.press("up")  # the oldest stays
        assert field.value == "cache_efficiency"
        await pilot.press("down", "down")
        assert field.value == "dr"  # back to what was being typed
        await pilot.press("up", "enter")
        await settle(pilot, screen)
        assert screen.rows == [(1,)]
        # The history outlives the screen: it is the app's.
        await pilot.press("e", "escape", "escape")  # out of the line, then off the screen
        assert not isinstance(app.screen, QueryScreen)
        await pilot.press("Q", "e", "up")
        assert app.screen.query_one(SqlInput).value == "SELECT 1 AS one"


@sync
async def test_sort_by_key_and_header_click_reverses_on_the_second_press() -> None:
    app = app_on([SEED])
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await submit(pilot, app, "SELECT component, count(*) AS n FROM entries GROUP BY 1 ORDER BY 1")
        await settle(pilot, screen)
        first = [r[0] for r in table_text(screen)]
        assert first == sorted(first) and len(first) >= 4
        from textual.widgets import DataTable

        table = screen.query_one(DataTable)
        table.focus()
        await pilot.press("right", "s")  # the cursor's column: n, ascending
        counts = [int(r[1]) for r in table_text(screen)]
        assert counts == sorted(counts) and screen.sort_column == 1 and not screen.sort_reverse
        await pilot.press("s")
        assert [int(r[1]) for r in table_text(screen)] == sorted(counts, reverse=True)
        assert "▼" in str(table.ordered_columns[1].label)
        # A click on the first header sorts by it, descending on the second click.
        await pilot.click(DataTable, offset=(3, 1))
        await pilot.pause()
        assert screen.sort_column == 0 and [r[0] for r in table_text(screen)] == sorted(first)
        await pilot.click(DataTable, offset=(3, 1))
        await pilot.pause()
        assert [r[0] for r in table_text(screen)] == sorted(first, reverse=True)


def test_sort_rows_puts_null_last_and_numbers_in_numeric_order() -> None:
    rows = [(10,), (None,), (9.5,), (float("nan"),), (100,)]
    assert sort_rows(rows, 0, False)[:3] == [(9.5,), (10,), (100,)]
    assert sort_rows(rows, 0, True)[:3] == [(100,), (10,), (9.5,)]
    assert sort_rows(rows, 0, True)[3][0] is None or sort_rows(rows, 0, True)[4][0] is None


@sync
async def test_a_slow_query_shows_progress_and_ctrl_c_cancels_it_and_the_screen_stays() -> None:
    app = app_on([SEED])
    async with app.run_test(size=SIZE) as pilot:
        screen = await submit(pilot, app, SLOW_SQL)
        deadline = time.monotonic() + 20
        while "%" not in screen.status.plain:  # DuckDB's progress reached the status line
            assert time.monotonic() < deadline and screen.running, screen.status.plain
            await pilot.pause(0.05)
        assert "cancels" in screen.status.plain
        started = time.monotonic()
        await pilot.press("ctrl+c")
        await settle(pilot, screen)
        assert time.monotonic() - started < 5
        assert screen.status.plain.startswith("cancelled after") and app.screen is screen
        # Esc cancels too, and only a second Esc leaves.
        await pilot.press("e", "up", "enter")
        await pilot.pause(0.3)
        assert screen.running
        await pilot.press("escape")
        await settle(pilot, screen)
        assert screen.status.plain.startswith("cancelled") and app.screen is screen
        await pilot.press("escape")
        assert not isinstance(app.screen, QueryScreen)


def test_run_query_cancelled_mid_statement_raises_query_cancelled() -> None:
    flag = threading.Event()
    seen: list[float] = []
    timer = threading.Timer(0.5, flag.set)
    timer.start()
    started = time.monotonic()
    with pytest.raises(QueryCancelled):
        run_query([SEED], SLOW_SQL, cancelled=flag.is_set, query_progress=seen.append)
    assert time.monotonic() - started < 5
    assert seen and all(0 <= p <= 100 for p in seen)
    # Without a cancel the same machinery changes nothing.
    assert run_query([SEED], "cache_efficiency", cancelled=lambda: False, query_progress=seen.append).rows[0][:3] == (
        1,
        1,
        50.0,
    )


@sync
async def test_escape_returns_to_the_dashboard_and_its_keys_rest_while_the_screen_is_up() -> None:
    app = app_on([SEED])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("Q")
        assert isinstance(app.screen, QueryScreen)
        await pilot.press("space", "l", "f")  # dashboard keys: no effect behind the screen
        assert not app.paused and not app.as_of_last_entry
        await pilot.press("escape")
        assert not isinstance(app.screen, QueryScreen)
        assert app.screen.query_one(LogView).has_focus or app.focused is not None
        await pilot.press("space")
        assert app.paused


@sync
async def test_hostile_cells_and_column_names_are_inert() -> None:
    app = app_on([SEED])
    async with app.run_test(size=SIZE) as pilot:
        screen = await submit(pilot, app, "SELECT '[bold]x[/bold]' || chr(27) || '[31m' AS \"[red]c\"")
        await settle(pilot, screen)
        assert table_text(screen) == [["[bold]x[/bold]\\x1b[31m"]]
        from textual.widgets import DataTable

        assert str(screen.query_one(DataTable).ordered_columns[0].label) == "[red]c"
        assert sanitize(chr(27)) == "\\x1b"


def test_Q_is_in_the_key_table_help_and_palette() -> None:
    info = [k for k in KEYS if k.keys == "Q"]
    assert info and info[0].action == "query"
    assert "Query: the six reports" in help_text().plain
    app = app_on([SEED])

    async def palette() -> None:
        async with app.run_test(size=SIZE):
            titles = [str(c.title) for c in app.get_system_commands(app.screen)]
            assert any(t.startswith("Query: the six reports") for t in titles)

    asyncio.run(palette())


def test_the_dashboard_does_not_import_duckdb() -> None:
    import subprocess

    code = "import sys, execlog_tui.ui.app, execlog_tui.ui.query_screen; print('duckdb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


@sync
async def test_zero_rows_keep_the_columns_and_cancel_ends_the_child_process() -> None:
    app = app_on([SEED])
    async with app.run_test(size=SIZE) as pilot:
        screen = await submit(pilot, app, "SELECT component, duration_ms AS d FROM entries WHERE false")
        await settle(pilot, screen)
        assert screen.columns == ("component", "d") and screen.rows == []
        assert screen.status.plain.startswith("0 rows")
        screen = await submit(pilot, app, SLOW_SQL)
        deadline = time.monotonic() + 20
        while screen._proc is None:
            assert time.monotonic() < deadline
            await pilot.pause(0.02)
        child = screen._proc
        assert child.poll() is None  # a real process runs the query
        await pilot.press("ctrl+c")
        await settle(pilot, screen)
        deadline = time.monotonic() + 5
        while child.poll() is None:
            assert time.monotonic() < deadline, "the query's process outlived its cancel"
            await pilot.pause(0.02)


DASHBOARD_RUNS_A_QUERY = """
import asyncio, sys, time
from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.app import make_app
from execlog_tui.ui.query_screen import QueryScreen

async def main():
    session = sc.session_for(sc.base_snapshot())
    session.paths = [sys.argv[1]]
    app = make_app(session, rss_probe=lambda: 42.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("Q", "3")
        screen = app.screen
        deadline = time.monotonic() + 20
        await pilot.pause()
        while screen.running and time.monotonic() < deadline:
            await pilot.pause(0.02)
        print(screen.rows[0][:3], "duckdb" in sys.modules)

asyncio.run(main())
"""


def test_after_a_query_the_dashboard_process_has_not_imported_duckdb() -> None:
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", DASHBOARD_RUNS_A_QUERY, SEED], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "(1, 1, 50.0) False"
