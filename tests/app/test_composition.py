"""The CLI is the composition root: typed options from the arguments, the session, then `make_app`."""

from __future__ import annotations

from pathlib import Path

import pytest

from execlog_tui.cache.plans import CacheOptions
from execlog_tui.cli import DashboardOptions, ReplayOptions, UsageError, build_parser, build_session, run_dashboard
from execlog_tui.core.config import Config
from execlog_tui.session import MonitorSession
from execlog_tui.ui.app import ExeclogApp, make_app

ROOT = Path(__file__).resolve().parents[2]
SEED = str(ROOT / "sample_logs" / "seed_sample.log")


def test_options_from_the_arguments() -> None:
    args = build_parser().parse_args(
        ["--buffer", "5000", "--refresh", "2", "--theme", "light", "--cache-dir", "/c", "--jobs", "1", SEED]
    )
    options = DashboardOptions.from_args(args)
    assert options == DashboardOptions(
        paths=(SEED,),
        theme="light",
        refresh_hz=2.0,
        ring_capacity=5000,
        line_limit=64 * 1024,
        replay=None,
        cache=CacheOptions(directory="/c", enabled=True, max_mb=None, jobs=1),
    )
    no_cache = DashboardOptions.from_args(build_parser().parse_args(["--no-cache", SEED]))
    assert no_cache.cache == CacheOptions(enabled=False)
    args = build_parser().parse_args(["--replay", "--speed", "max", "--from", "10:01", SEED])
    assert DashboardOptions.from_args(args).replay == ReplayOptions(speed="max", start="10:01", end=None)
    assert DashboardOptions.from_args(build_parser().parse_args([])).paths == ("execution.log",)


def test_the_live_session_and_the_app_over_it() -> None:
    session = build_session(DashboardOptions(paths=(SEED,), ring_capacity=5000, line_limit=1000), Config())
    assert isinstance(session, MonitorSession)
    assert session.ring.capacity == 5000 and session.line_limit == 1000 and session.replay is None
    app = make_app(session, theme="light", refresh_hz=2.0)
    assert isinstance(app, ExeclogApp) and app.session is session and app.refresh_hz == 2.0


def test_bad_dashboard_options_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="--refresh must be between"):
        run_dashboard(build_parser().parse_args(["--refresh", "100", SEED]))
    with pytest.raises(UsageError, match="no theme named"):
        run_dashboard(build_parser().parse_args(["--theme", "nope", SEED]))
