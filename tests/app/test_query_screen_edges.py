"""The query screen under issue 13 items 6 and 7: the child's temporary files go when it is cancelled, the
row cap is the child's and the status says "more than", a database message with escapes is shown inert."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from execlog_tui.ui import query_screen as qs
from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.app import ExeclogApp, make_app
from execlog_tui.ui.query_screen import QueryScreen, SqlInput

SLOW_SQL = "SELECT sum(x) FROM range(100000000000) t(x)"


def app_on(paths: list[str]) -> ExeclogApp:
    session = sc.session_for(sc.base_snapshot())
    session.paths = paths
    return make_app(session, rss_probe=lambda: 42.0)


async def submit(pilot: Any, app: ExeclogApp, sql: str) -> QueryScreen:
    if not isinstance(app.screen, QueryScreen):
        await pilot.press("Q")
    await pilot.press("e")
    app.screen.query_one(SqlInput).value = sql
    await pilot.press("enter")
    return app.screen  # type: ignore[return-value]


async def settle(pilot: Any, screen: QueryScreen, deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    await pilot.pause()
    while screen.running:
        assert time.monotonic() < deadline, f"query still running: {screen.status.plain}"
        await pilot.pause(0.02)
    await pilot.pause()


def write_log(path: Path, n: int, details: str = "ok") -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(f"2025-09-09T10:{i // 60000 % 60:02d}:{i // 1000 % 60:02d}.{i % 1000:03d}Z|API|CALL|5|SUCCESS|")
            f.write(f"{details} {i}\n")
    return path


def test_cancel_leaves_no_temporary_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    log = write_log(tmp_path / "execution.log", 10)
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))

    async def scenario() -> None:
        app = app_on([str(log)])
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await submit(pilot, app, SLOW_SQL)
            deadline = time.monotonic() + 60
            while "%" not in screen.status.plain:  # the statement runs in DuckDB
                assert time.monotonic() < deadline and screen.running, screen.status.plain
                await pilot.pause(0.05)
            await pilot.press("ctrl+c")
            await settle(pilot, screen)
            assert screen.status.plain.startswith("cancelled")
            deadline = time.monotonic() + 10
            while list(tmp.iterdir()):
                assert time.monotonic() < deadline, f"left behind: {list(tmp.iterdir())}"
                await pilot.pause(0.05)

    asyncio.run(scenario())


def test_the_row_cap_is_applied_by_the_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = write_log(tmp_path / "execution.log", 300)
    monkeypatch.setattr(qs, "ROW_CAP", 120)

    async def scenario() -> None:
        app = app_on([str(log)])
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await submit(pilot, app, "SELECT * FROM entries")
            await settle(pilot, screen)
            assert len(screen.rows) == 120 and screen.status.plain.startswith("more than 120 rows")
            screen = await submit(pilot, app, "SELECT * FROM entries LIMIT 120")
            await settle(pilot, screen)
            assert len(screen.rows) == 120 and screen.status.plain.startswith("120 rows")

    asyncio.run(scenario())


def test_a_database_error_holding_escapes_is_shown_inert(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text("2025-09-09T10:00:00.000Z|API|CALL|5|SUCCESS|\x1b]0;PWNED\x07\x1b]52;c;aGk=\x07\x9b1m\n")

    async def scenario() -> None:
        app = app_on([str(log)])
        async with app.run_test(size=(80, 24)) as pilot:
            for sql in ("SELECT CAST(details AS INTEGER) FROM entries", "SELECT error(details) FROM entries"):
                screen = await submit(pilot, app, sql)
                await settle(pilot, screen)
                text = screen.status.plain
                assert text.startswith("error: ") and "\\x1b]0;PWNED" in text, text
                assert not any(c in text for c in "\x1b\x07\x9b")

    asyncio.run(scenario())
