"""Snapshots of the alerts panel with a flapping alert folded into one row, at 80x24 and 200x60."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.app import make_app
from tests.app.test_panels import flapping_snapshot


@pytest.mark.parametrize("size", [(80, 24), (200, 60)], ids=["80x24", "200x60"])
def test_flapping_alerts(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    app = make_app(sc.session_for(flapping_snapshot()), rss_probe=lambda: 42.0)

    async def run_before(pilot: Any) -> None:
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
