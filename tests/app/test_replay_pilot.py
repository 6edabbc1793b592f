"""Pilot tests of replay: the seed's sample and the rotated samples at fixed speeds on a driven clock."""

from __future__ import annotations

from pathlib import Path

from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.core.timefmt import parse_timestamp
from execlog_tui.replay.session import ReplaySession
from execlog_tui.ui.app import ExeclogApp, make_app
from execlog_tui.ui.breakers import BreakersPanel
from execlog_tui.ui.header import HeaderBar
from execlog_tui.ui.logview import LogView
from execlog_tui.ui.prompt import PromptBar
from execlog_tui.ui.timeline import TimelineBar
from tests.app.test_ui_pilot import sync, visible_log
from tests.unit.replay.test_replay import batch_at, picked

ROOT = Path(__file__).resolve().parents[2]
SEED = str(ROOT / "sample_logs" / "seed_sample.log")
ROTATED = str(ROOT / "sample_logs" / "rotated")
SIZE = (120, 36)


def ts(text: str) -> int:
    value = parse_timestamp(f"2025-09-09T{text}Z")
    assert value is not None
    return value


class Wall:
    """The wall clock the replay clock runs on, moved by the test (no sleeping)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def replay_app(path: str, wall: Wall, **kwargs: object) -> tuple[ExeclogApp, ReplaySession]:
    session = ReplaySession([path], wall=wall, **kwargs)  # type: ignore[arg-type]
    session.settle()
    # No worker thread: the test pumps the session itself, then redraws.
    return make_app(session, rss_probe=lambda: 42.0, start_session=False), session


def cache_state(app: ExeclogApp) -> str:
    assert app.snapshot is not None
    state = app.snapshot.breakers["CACHE"].state
    if state == "OPEN":  # an open breaker is listed first, whatever the panel's height
        row = app.query_one(BreakersPanel).plain.splitlines()[1]
        assert row.split()[:3] == ["CACHE", "✗", "OPEN"]
    return state


@sync
async def test_seed_sample_at_10x_breaker_closed_open_closed() -> None:
    wall = Wall()
    app, session = replay_app(SEED, wall, start="10:03:50", speed=10.0)
    async with app.run_test(size=SIZE) as pilot:
        seen: list[tuple[int, str]] = []
        for _ in range(45):
            wall.now += 0.1  # one second of log time at 10x
            session.pump()
            app.refresh_data()
            seen.append((session.clock.now(), cache_state(app)))
            header = app.query_one(HeaderBar).plain
            assert "REPLAY" in header and "following" not in header
        states = [s for _t, s in seen]
        assert states[0] == "CLOSED" and "OPEN" in states and states[-1] == "CLOSED"
        first_open = next(t for t, s in seen if s == "OPEN")
        assert ts("10:04:00.200") <= first_open <= ts("10:04:01.200")
        closed_again = next(t for t, s in seen if t > first_open and s == "CLOSED")
        assert closed_again == ts("10:04:30.002")
        assert "END" in app.query_one(HeaderBar).plain
        await pilot.pause()  # one layout: the view scrolls to the newest line
        assert "CIRCUIT_CLOSE" in visible_log(app)[-1]


@sync
async def test_rotated_set_at_600x_then_keys_jump_incidents_and_back() -> None:
    wall = Wall()
    app, session = replay_app(ROTATED, wall, start="08:20:00", speed=600.0)
    async with app.run_test(size=SIZE) as pilot:
        wall.now += 0.5  # five minutes of log time
        session.pump()
        app.refresh_data()
        assert session.clock.now() == ts("08:25:00")
        snap = app.snapshot
        assert snap is not None and snap.breakers["API"].state == "CLOSED" and snap.breakers["API"].opened == 1
        assert [a.name for a in snap.alerts][-2:] == ["breaker:API", "error_rate"]
        await pilot.press("space")
        assert session.clock.paused and "PAUSED" in app.query_one(HeaderBar).plain
        await pilot.press("greater_than_sign")  # next incident: CACHE opens at 08:35:21.020
        session.settle()
        app.refresh_data()
        assert session.clock.now() == ts("08:35:21.020")
        assert "✗ OPEN" in app.query_one(BreakersPanel).plain
        await pilot.press("less_than_sign")  # back: the error_rate alert at 08:23:23
        assert session.clock.now() == ts("08:23:23.000")
        assert app.snapshot is not None and "error_rate" in [a.name for a in app.snapshot.firing]
        assert picked(snapshot_to_json(app.snapshot)) == picked(batch_at([ROTATED], ts("08:23:23.000")))
        await pilot.press("full_stop", "full_stop", "comma")
        assert session.clock.now() == ts("08:23:24.000")
        await pilot.press("plus")
        assert session.clock.now() == ts("08:24:24.000")
        await pilot.press("t")
        assert app.query_one(PromptBar).display
        await pilot.press(*"08:47:30", "enter")
        session.settle()
        app.refresh_data()
        assert session.clock.now() == ts("08:47:30.000")
        assert app.snapshot is not None and app.snapshot.degraded
        assert any(a.name == "cache_hit_rate" for a in app.snapshot.firing)
        # the log view shows entries up to the replay clock, and filters work as live
        shown = [line for line in visible_log(app) if line]
        assert shown and shown[-1][:24] <= "2025-09-09T08:47:30.000Z"
        await pilot.press("f", *"c:SYSTEM", "enter")
        assert all("|SYSTEM|" in line for line in app.query_one(LogView).shown_lines())
        await pilot.press("right_square_bracket")
        assert session.clock.speed == 0.0  # max
        await pilot.press("0")
        assert session.clock.now() == ts("08:20:00.000")
        assert "●" in app.query_one(TimelineBar).plain


@sync
async def test_live_dashboard_ignores_replay_keys() -> None:
    from execlog_tui.ui import scenarios as sc

    app = make_app(sc.session_for(sc.base_snapshot()), rss_probe=lambda: 42.0)
    async with app.run_test(size=SIZE) as pilot:
        # `t`, `<` and `>` move the live log view (tests/app/test_navigation.py); the clock keys do nothing.
        await pilot.press("left_square_bracket", "comma", "minus", "0", "dollar_sign")
        assert not app.query_one(PromptBar).display
        assert not app.query_one(TimelineBar).display
        assert "REPLAY" not in app.query_one(HeaderBar).plain


@sync
async def test_a_replay_through_the_cli_keeps_its_checkpoints_for_the_next_run(tmp_path: Path) -> None:
    """SPEC 12 on the dashboard's path: the session `build_session` makes from the arguments, with
    --no-cache and with a cache directory, cold then warm; a jump by the `t` prompt shows the same."""
    import shutil

    from execlog_tui.cli import DashboardOptions, build_parser, build_session
    from execlog_tui.core.config import Config

    logs, cache = tmp_path / "logs", tmp_path / "cache"
    shutil.copytree(ROTATED, logs)

    async def jump(*flags: str) -> tuple[dict, ReplaySession]:
        args = build_parser().parse_args(["--replay", "--buffer", "1000", *flags, str(logs)])
        session = build_session(DashboardOptions.from_args(args), Config())
        assert isinstance(session, ReplaySession)
        app = make_app(session, rss_probe=lambda: 42.0, start_session=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("space")  # paused: the clock stays where the jump puts it
            await pilot.press("t", *"09:20:00", "enter")
            session.settle()
            app.refresh_data()
            assert session.clock.now() == ts("09:20:00")
            assert app.snapshot is not None
            snap = picked(snapshot_to_json(app.snapshot))
        session.stop()  # what the app does on quitting when it started the session
        return snap, session

    reference, plain = await jump("--no-cache")
    assert plain.controller.stored_archives == 0 and not cache.exists()
    cold_snap, cold = await jump("--cache-dir", str(cache))
    warm_snap, warm = await jump("--cache-dir", str(cache))
    assert cold_snap == reference and warm_snap == reference
    assert cold.controller.kept_archives == 0 and cold.controller.stored_archives > 0
    assert warm.controller.kept_archives == cold.controller.stored_archives
    assert warm.controller.kept_checkpoints > 0
    assert warm.controller.lines_read < cold.controller.lines_read / 2
