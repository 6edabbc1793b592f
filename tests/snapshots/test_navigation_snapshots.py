"""Snapshot tests of the evidence screen and an entry's detail (issue 11), at 80x24 and 160x50."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from execlog_tui.core.config import Config
from execlog_tui.core.entry import Entry
from execlog_tui.core.parser import parse_line
from execlog_tui.evidence import EvidenceResult, collect_batch
from execlog_tui.sources.logset import discover
from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.app import make_app
from execlog_tui.ui.evidence_screen import EvidenceScreen

SIZES = [(80, 24), (160, 50)]
IDS = ["80x24", "160x50"]
SEED = Path(__file__).resolve().parents[2] / "sample_logs" / "seed_sample.log"
LONG = (
    "2025-09-09T10:04:31.000Z|API|CALL|212|SUCCESS|user=alice region=eu-west-1 path='/v1/orders' "
    + "retrying upstream after a slow answer " * 6
    + "rss_mb=77"
)


def _p95_result() -> EvidenceResult:
    """The real evidence of the seed sample's p95 over 1m as of 10:04:30.002 (what `-b --evidence p95
    --window 1m --at 10:04:30.002` prints): the completed operations of the window, the p95 line marked."""
    sets = discover([os.path.relpath(SEED)])  # relative: the snapshot is the same in any checkout
    result, _snap = collect_batch(sets, Config(), "p95", "1m", sc.T0)
    return result


def _app() -> Any:
    line = parse_line(LONG)
    assert isinstance(line, Entry)
    return make_app(sc.session_for(sc.base_snapshot(), [*sc.seed_lines(), line]), rss_probe=lambda: 42.0)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_evidence_screen(
    snap_compare: Callable[..., bool], size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(SEED.parents[1])
    app = _app()

    async def run_before(pilot: Any) -> None:
        screen = EvidenceScreen(app.session, "p95", "1m", label="p95 resp (1m)", collect=lambda *a, **k: _p95_result())
        await app.push_screen(screen)
        deadline = time.monotonic() + 10
        # The rows arrive from the worker; the table sizes its columns on a later refresh: wait for both.
        table = screen.query_one("#ev-rows")
        while (screen.running or not table.row_count or table.virtual_size.width < 60) and time.monotonic() < deadline:
            await pilot.pause(0.02)
        await pilot.pause()
        await pilot.pause()  # the column widths take one more refresh after the rows

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_entry_detail(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert snap_compare(_app(), terminal_size=size, press=["enter"])


def test_breakers_maximised(snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(_app(), terminal_size=(80, 24), press=["shift+tab", "shift+tab", "z"])
