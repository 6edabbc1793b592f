"""Snapshot tests of the evidence screen and an entry's detail (issue 11), at 80x24 and 160x50."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from execlog_tui.core.entry import Entry
from execlog_tui.core.parser import parse_line
from execlog_tui.evidence import EvidenceResult, EvidenceRow
from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.app import make_app
from execlog_tui.ui.evidence_screen import EvidenceScreen

SIZES = [(80, 24), (160, 50)]
IDS = ["80x24", "160x50"]
LONG = (
    "2025-09-09T10:04:31.000Z|API|CALL|212|SUCCESS|user=alice region=eu-west-1 path='/v1/orders' "
    + "retrying upstream after a slow answer " * 6
    + "rss_mb=77"
)


def _p95_result() -> EvidenceResult:
    """The completed operations of the seed sample's 1m window, the p95 line marked (as the evidence
    module marks it), in log order: the screen shows them slowest first."""
    rows = []
    for i, item in enumerate(sc.seed_lines()):
        if isinstance(item, Entry) and item.component != "BOOTSTRAP" and item.status not in ("INFO", "WARNING"):
            rows.append(EvidenceRow("logs/execution.log", i + 1, item.ts, item.raw, None, item.duration_ms))
    slowest = max(range(len(rows)), key=lambda k: rows[k].duration_ms or 0)
    r = rows[slowest]
    rows[slowest] = EvidenceRow(r.file, r.line, r.ts, r.raw, "p95", r.duration_ms)
    return EvidenceResult("p95", "1m", sc.T0, len(rows) + 40, rows)


def _app() -> Any:
    line = parse_line(LONG)
    assert isinstance(line, Entry)
    return make_app(sc.session_for(sc.base_snapshot(), [*sc.seed_lines(), line]), rss_probe=lambda: 42.0)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_evidence_screen(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    app = _app()

    async def run_before(pilot: Any) -> None:
        screen = EvidenceScreen(app.session, "p95", "1m", label="p95 resp (1m)", collect=lambda *a, **k: _p95_result())
        await app.push_screen(screen)
        deadline = time.monotonic() + 10
        # The rows arrive from the worker; the table sizes its columns on a later refresh: wait for both.
        table = screen.query_one("#ev-rows")
        while (screen.running or table.virtual_size.width < 60) and time.monotonic() < deadline:
            await pilot.pause(0.02)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_entry_detail(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert snap_compare(_app(), terminal_size=size, press=["enter"])


def test_breakers_maximised(snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(_app(), terminal_size=(80, 24), press=["shift+tab", "shift+tab", "z"])
