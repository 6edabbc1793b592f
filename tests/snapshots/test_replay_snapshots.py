"""Snapshot tests of a replay paused mid-incident (the CACHE breaker open in the seed's sample)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from execlog_tui.replay.session import ReplaySession
from execlog_tui.ui.app import ExeclogApp, make_app

SEED = str(Path(__file__).resolve().parents[2] / "sample_logs" / "seed_sample.log")


def paused_mid_incident() -> ExeclogApp:
    session = ReplaySession([SEED], start="10:03:50", speed=10.0, wall=lambda: 0.0)
    session.settle()
    session.toggle_pause()
    session.jump_to("10:04:12")
    session.settle()
    # No worker thread and a fixed wall clock: the screen is the same on every run.
    return make_app(session, rss_probe=lambda: 42.0, start_session=False, source_label="seed_sample.log")


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_replay_paused_mid_incident(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert snap_compare(paused_mid_incident(), terminal_size=size)
