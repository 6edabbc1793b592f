"""Snapshots of the critical-paths panel (issue 12): the bootstrap complete, running (under its timeout)
and stuck (42 s at PARALLEL, its alert firing), compact at 80x24 and side by side at 160x50."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.app import make_app


@pytest.mark.parametrize("state", ["complete", "running", "stuck"])
@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_critical_paths(snap_compare: Callable[..., bool], size: tuple[int, int], state: str) -> None:
    app = make_app(sc.session_for(sc.paths_snapshot(state)), rss_probe=lambda: 42.0)

    async def run_before(pilot: Any) -> None:
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_critical_paths_focused_on_a_stage(snap_compare: Callable[..., bool]) -> None:
    """The cursor on the stuck bootstrap's PARALLEL stage at 80x24: its figures replace the run line."""
    app = make_app(sc.session_for(sc.paths_snapshot("stuck")), rss_probe=lambda: 42.0)

    async def run_before(pilot: Any) -> None:
        app.query_one("#paths").focus()
        await pilot.press("right", "right", "right")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
