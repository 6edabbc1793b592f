"""Snapshot tests of the dashboard: fixed snapshots and lines, fixed clock text, no blinking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.app import ExeclogApp, make_app
from execlog_tui.ui.themes import BUILTIN_THEMES

COMPACT = (80, 24)
LARGE = (160, 50)
# Every layout at these three sizes: nothing a user needs cut (the header's state included), and the
# same rows whether degraded mode holds or not (compare dashboard and degraded: no line moves).
THREE_SIZES = [
    pytest.param((80, 24), id="80x24"),
    pytest.param((120, 40), id="120x40"),
    pytest.param((200, 60), id="200x60"),
]


def app_for(snapshot: Any, lines: Any = None, theme: str = "dark", **kwargs: Any) -> ExeclogApp:
    # rss_probe fixed: the monitor's own memory is the one live figure on screen
    return make_app(sc.session_for(snapshot, lines, **kwargs), theme=theme, rss_probe=lambda: 42.0)


def lines_with_hostile() -> list[Any]:
    return sc.seed_lines() + sc.hostile_lines()


@pytest.mark.parametrize("size", THREE_SIZES)
def test_dashboard(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert snap_compare(app_for(sc.base_snapshot(), lines_with_hostile()), terminal_size=size)


@pytest.mark.parametrize("size", [COMPACT, LARGE], ids=["80x24", "160x50"])
def test_breaker_open(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert snap_compare(app_for(sc.breaker_open_snapshot()), terminal_size=size)


def test_alerts_firing(snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(app_for(sc.alerts_firing_snapshot()), terminal_size=LARGE)


@pytest.mark.parametrize("size", THREE_SIZES)
def test_degraded(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert snap_compare(app_for(sc.degraded_snapshot(), lines_with_hostile()), terminal_size=size)


@pytest.mark.parametrize("size", THREE_SIZES)
def test_paused(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """Paused, the log scrolled up, the 1d window (23h 53m of data): the header says all three."""
    app = app_for(sc.base_snapshot(), lines_with_hostile())
    assert snap_compare(app, terminal_size=size, press=["4", "up", "up", "space"])


def test_quiet_log_notice(snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(app_for(sc.quiet_snapshot(), last_entry_snapshot=sc.base_snapshot()), terminal_size=COMPACT)


def test_log_filter(snap_compare: Callable[..., bool]) -> None:
    app = app_for(sc.base_snapshot(), lines_with_hostile())
    assert snap_compare(app, terminal_size=COMPACT, press=["f", *"c:CACHE l:WARNING", "enter"])


def test_log_search(snap_compare: Callable[..., bool]) -> None:
    app = app_for(sc.base_snapshot(), sc.seed_lines() + sc.many_lines(200))
    assert snap_compare(app, terminal_size=LARGE, press=["slash", *"operation failed", "enter", "N"])


def test_filter_prompt_open(snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(app_for(sc.base_snapshot()), terminal_size=COMPACT, press=["f", *"s:ERROR"])


@pytest.mark.parametrize("size", [COMPACT, LARGE], ids=["80x24", "160x50"])
def test_help(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert snap_compare(app_for(sc.base_snapshot()), terminal_size=size, press=["question_mark"])


def test_history_progress(snap_compare: Callable[..., bool]) -> None:
    app = app_for(
        sc.empty_snapshot(), [], mode="history", history_done=False, progress=(300 * 1024 * 1024, 700 * 1024 * 1024)
    )
    assert snap_compare(app, terminal_size=COMPACT)


@pytest.mark.parametrize("theme", BUILTIN_THEMES)
def test_theme(snap_compare: Callable[..., bool], theme: str) -> None:
    assert snap_compare(app_for(sc.alerts_firing_snapshot(), theme=theme), terminal_size=LARGE)
