"""Snapshot tests of the query screen: a report's result and an SQL error shown in place, at 80x24."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.app import make_app
from execlog_tui.ui.query_screen import QueryScreen, SqlInput

SEED = str(Path(__file__).resolve().parents[2] / "sample_logs" / "seed_sample.log")
COMPACT = (80, 24)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QueryScreen, "_clock", staticmethod(lambda: 0.0))  # "0.00 s" on screen


def app_on_seed() -> Any:
    session = sc.session_for(sc.base_snapshot())
    session.paths = [SEED]  # type: ignore[attr-defined]
    return make_app(session, rss_probe=lambda: 42.0)


async def wait_done(pilot: Any) -> None:
    screen = pilot.app.screen
    deadline = time.monotonic() + 20
    await pilot.pause()
    while screen.running:
        assert time.monotonic() < deadline
        await pilot.pause(0.02)
    await pilot.pause()


def test_query_report(snap_compare: Callable[..., bool]) -> None:
    async def run_before(pilot: Any) -> None:
        await pilot.press("Q", "3")
        await wait_done(pilot)

    assert snap_compare(app_on_seed(), terminal_size=COMPACT, run_before=run_before)


def test_query_error_in_place(snap_compare: Callable[..., bool]) -> None:
    async def run_before(pilot: Any) -> None:
        await pilot.press("Q", "5")
        await wait_done(pilot)
        await pilot.press("e")
        field = pilot.app.screen.query_one(SqlInput)
        field.value = "SELECT component, count(*) FROM entrys GROUP BY 1"
        field.cursor_position = len(field.value)
        await pilot.press("enter")
        await wait_done(pilot)

    assert snap_compare(app_on_seed(), terminal_size=COMPACT, run_before=run_before)


def test_query_after_enter_focus_on_the_sorted_table(snap_compare: Callable[..., bool]) -> None:
    """Enter ran the SQL and handed focus to the table: `s` sorted it (▼ on the header), not typed."""

    async def run_before(pilot: Any) -> None:
        await pilot.press("Q", "e")
        field = pilot.app.screen.query_one(SqlInput)
        field.value = "select component, count(*) as n from entries group by 1 order by n desc"
        field.cursor_position = len(field.value)
        await pilot.press("enter")
        await wait_done(pilot)
        await pilot.press("right", "s", "s")

    assert snap_compare(app_on_seed(), terminal_size=COMPACT, run_before=run_before)
