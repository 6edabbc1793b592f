"""The critical-paths panel (issue 12, SPEC 10): its lines, the slowest stage, the stuck look, a layout
that does not move when a run starts or ends, and Enter on a stage: the evidence screen agrees with
`collect_evidence` and with its headless twin `-b --evidence stage:PATH:CHECKPOINT`."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from execlog_tui.core.config import Config, CriticalPath
from execlog_tui.core.timefmt import format_ts, parse_timestamp
from execlog_tui.evidence import collect_evidence
from execlog_tui.session import MonitorSession
from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.app import ExeclogApp, make_app
from execlog_tui.ui.evidence_screen import EvidenceScreen, shown_rows
from execlog_tui.ui.paths import PathsPanel, run_line, slowest
from tests.app.test_navigation import until
from tests.app.test_ui_pilot import sync

SEED_FILE = Path(__file__).resolve().parents[2] / "sample_logs" / "seed_sample.log"
PANELS = ("#header", "#status", "#tiles", "#panels", "#components-box", "#side", "#paths-box", "#log", "#footer")
SIZES = [
    pytest.param((80, 24), id="80x24"),
    pytest.param((100, 30), id="100x30"),
    pytest.param((160, 50), id="160x50"),
    pytest.param((200, 60), id="200x60"),
]


def app_for(snapshot: Any, config: Config | None = None) -> ExeclogApp:
    return make_app(sc.session_for(snapshot), config=config, rss_probe=lambda: 42.0)


def panel_lines(app: ExeclogApp) -> list[str]:
    return app.query_one(PathsPanel).plain.split("\n")


# ---- the lines -------------------------------------------------------------------------------------
def test_the_run_line_of_the_seed_bootstrap_and_of_a_stuck_restart() -> None:
    complete = sc.bootstrap_path("complete")
    assert run_line(complete, 80) == "✓ bootstrap complete 254 ms: CORE 48 · PARALLEL 90 · VALIDATION 105"
    # short of room, the steps give way (said with …), never the head
    assert run_line(complete, 54) == "✓ bootstrap complete 254 ms: CORE 48 · PARALLEL 90 · …"
    assert run_line(complete, 20) == "✓ bootstrap complete 254 ms"
    stuck = sc.bootstrap_path("stuck")
    assert run_line(stuck, 80) == "✗ bootstrap RUNNING 42 s at PARALLEL: CORE 48 · PARALLEL 90"
    running = sc.bootstrap_path("running")
    assert run_line(running, 80) == "◷ bootstrap running 12 s at PARALLEL: CORE 48 · PARALLEL 90"


def test_the_slowest_stage_is_never_the_last_checkpoint() -> None:
    rows = sc.bootstrap_path("complete").stages["1m"]
    # COMPLETE (254 ms) is the run's total: VALIDATION (105) is the slowest stage
    assert [r.checkpoint for r in rows] == list(sc.BOOTSTRAP_CHECKPOINTS)
    assert slowest(rows) == 3
    assert slowest(rows[:1]) is None  # a path of one checkpoint has no stage to mark
    assert slowest([replace(r, avg_ms=None, entries=0) for r in rows]) is None


@sync
async def test_compact_at_80x24_one_line_per_path_nothing_cut() -> None:
    app = app_for(sc.paths_snapshot("complete"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = panel_lines(app)
        assert lines == [
            "█████ ✓ bootstrap complete 254 ms: CORE 48 · PARALLEL 90 · VALIDATION 105",
            "██▂▂▂ ▲ cache_operations failed 1m 00s after UPDATE: HIT_MISS 0 · FETCH 15 · …",
            "····· ◷ memory_learning running 2m 30s at PERSIST: MATCH 3 · LEARN 10 · …",
        ]
        width = app.query_one(PathsPanel).size.width
        assert all(len(line) <= width for line in lines)
        assert app.query_one("#paths-box").border_title == "Critical paths (1m)"


@sync
async def test_stuck_is_in_the_error_band_and_the_title_counts_it() -> None:
    app = app_for(sc.paths_snapshot("stuck"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        panel = app.query_one(PathsPanel)
        text = panel.render()
        first = text.plain.split("\n")[0]
        assert "✗ bootstrap RUNNING 42 s at PARALLEL" in first
        start = text.plain.index("✗ bootstrap")
        styles = [s.style for s in text.spans if s.start <= start < s.end]
        error = panel.style_of("paths--stuck")
        assert error in styles and error.color != panel.style_of("paths--running").color
        assert app.query_one("#paths-box").border_title == "Critical paths (1m) · 1 stuck"


@sync
async def test_full_form_at_160x50_marks_the_slowest_stage_and_follows_the_window() -> None:
    app = app_for(sc.paths_snapshot("complete"))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        lines = panel_lines(app)
        assert len(lines) == 7  # run line, heads, five stages: side by side
        assert lines[0].startswith("✓ bootstrap complete 254 ms")
        assert "cache_operations failed" in lines[0] and "memory_learning running" in lines[0]
        rows = {line.split()[0]: line for line in lines[2:]}
        assert "◀" in rows["VALIDATION"].split("│")[0]  # 105 ms: the slowest stage of bootstrap
        assert "◀" not in rows["COMPLETE"].split("│")[0]  # 254 ms, but the run's total
        fetch = rows["PARALLEL"].split("│")[1]  # the third row of the cache path's column
        assert fetch.split()[0] == "FETCH" and "◀" in fetch  # 14.8 ms: the cache path's slowest
        await pilot.press("4")  # the 1d window: 40 runs of bootstrap
        await pilot.pause()
        lines = panel_lines(app)
        assert " 40 " in lines[2].split("│")[0] and app.query_one("#paths-box").border_title == "Critical paths (1d)"


@sync
async def test_log_text_in_a_path_stays_text() -> None:
    hostile = CriticalPath.of("[@click=app.quit]x[/]", "BOOTSTRAP", ("START", "\x1b[31mEND"))
    app = app_for(sc.empty_snapshot(sc.T0), Config(critical_paths=(hostile,)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.is_running
        line = panel_lines(app)[0]
        assert "[@click=app.quit]x[/] no run yet" in line and "\x1b" not in app.query_one(PathsPanel).plain


# ---- nothing moves ---------------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
@sync
async def test_no_panel_moves_when_a_run_starts_or_ends(size: tuple[int, int]) -> None:
    session = sc.session_for(sc.paths_snapshot("complete"))
    app = make_app(session, rss_probe=lambda: 42.0)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()

        def regions() -> dict[str, Any]:
            return {sel: app.query_one(sel).region for sel in PANELS}

        before = regions()
        for state in ("running", "stuck", "complete"):
            session.set_snapshot(sc.paths_snapshot(state))
            app.refresh_data()
            await pilot.pause()
            assert regions() == before, state
        session.set_snapshot(replace(sc.base_snapshot(), critical_paths={}))  # no run of any path yet
        app.refresh_data()
        await pilot.pause()
        assert regions() == before
        assert all(line.endswith("no run yet") for line in panel_lines(app)[: 3 if size[0] < 140 else 1])
        box = app.query_one("#paths-box").region
        assert box.height >= 4 and box.bottom <= app.query_one("#log").region.y  # above the log, not over it


# ---- navigation and evidence -----------------------------------------------------------------------
@sync
async def test_compact_arrows_move_over_stages_and_enter_opens_the_stage() -> None:
    snap = sc.paths_snapshot("stuck")
    app = app_for(snap)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(PathsPanel)
        panel.focus()
        await pilot.press("right", "right", "right")  # run line, START, CORE, PARALLEL
        assert panel.selected_figure() == ("stage:bootstrap:PARALLEL", None)
        assert "bootstrap PARALLEL 1m: 1 entry · avg 90.0 · p95 90.0 ms" in panel.plain.split("\n")[0]
        await pilot.press("down")  # the next path, the same stage
        assert panel.selected_figure() == ("stage:cache_operations:FETCH", None)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, EvidenceScreen)
        assert (screen.figure, screen.window, screen.at) == ("stage:cache_operations:FETCH", "1m", snap.as_of)
        await until(pilot, lambda: not screen.running)
        await pilot.press("escape")
        assert app.focused is panel


@sync
async def test_full_form_up_down_walks_a_path_left_right_crosses_paths() -> None:
    app = app_for(sc.paths_snapshot("complete"))
    async with app.run_test(size=(160, 50)) as pilot:
        panel = app.query_one(PathsPanel)
        panel.focus()
        assert panel.selected_figure() == ("run:bootstrap", None)
        await pilot.press("down", "down")
        assert panel.selected_figure() == ("stage:bootstrap:CORE", None)
        await pilot.press("right")
        assert panel.selected_figure() == ("stage:cache_operations:HIT_MISS", None)
        await pilot.press(*["down"] * 4)  # past its last stage: the next path's run line
        assert panel.selected_figure() == ("run:memory_learning", None)
        await pilot.press("up")
        assert panel.selected_figure() == ("stage:cache_operations:COMPLETE", None)
        # the cursor is drawn on its row (reverse video) while the panel has focus
        text = panel.render()
        assert any(s.style.reverse for s in text.spans if s.style and not isinstance(s.style, str))


def _cli(path: Path, figure: str, window: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "-b", "--evidence", figure, "--window", window, "--json", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_enter_on_a_stage_shows_its_entries_as_collect_evidence_and_b_evidence_do(tmp_path: Path) -> None:
    """On the seed sample, 1h window: Enter on PARALLEL, VALIDATION (the entries say VALIDATE) and
    HIT_MISS (a HIT and a MISS) shows exactly those entries, and the headless twin prints the same."""
    path = tmp_path / "execution.log"
    shutil.copy(SEED_FILE, path)
    newest = parse_timestamp("2025-09-09T10:04:30.002Z") or 0
    session = MonitorSession([str(path)], Config(), follow=False, wall_clock=lambda: newest)
    session.start()
    assert session.wait_history(60)
    app = make_app(session, rss_probe=lambda: 42.0, start_session=False)
    # (path index: downs from bootstrap, stage: rights from the run line, figure)
    cases = [
        (0, 3, "stage:bootstrap:PARALLEL"),
        (0, 4, "stage:bootstrap:VALIDATION"),
        (1, 2, "stage:cache_operations:HIT_MISS"),
    ]
    seen: dict[str, list[tuple[str, int, int | None, str]]] = {}

    async def run() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: app.snapshot is not None and bool(app.snapshot.breakers))
            await pilot.press("3")  # 1h: the seed's bootstrap and lookups are in it
            for downs, rights, figure in cases:
                panel = app.query_one(PathsPanel)
                panel.focus()
                panel.pos = (0, 0)
                await pilot.press(*["down"] * downs, *["right"] * rights, "enter")
                screen = app.screen
                assert isinstance(screen, EvidenceScreen) and screen.figure == figure, figure
                assert screen.window == "1h"
                await until(pilot, lambda s=screen: not s.running)  # type: ignore[misc]
                assert screen.error is None and screen.result is not None
                direct = collect_evidence(session, figure, "1h", at=screen.at)
                assert screen.rows == shown_rows(direct), figure
                seen[figure] = [(r.file, r.line, r.ts, r.raw) for r in screen.result.rows]
                await pilot.press("escape")

    try:
        asyncio.run(run())
    finally:
        session.stop()
    assert [raw for *_x, raw in seen["stage:bootstrap:PARALLEL"]] == [
        "2025-09-09T10:00:00.138Z|BOOTSTRAP|PARALLEL|90|SUCCESS|6 threads completed"
    ]
    assert [raw for *_x, raw in seen["stage:bootstrap:VALIDATION"]] == [
        "2025-09-09T10:00:00.243Z|BOOTSTRAP|VALIDATE|105|SUCCESS|All checks passed"
    ]
    assert [line for _f, line, *_x in seen["stage:cache_operations:HIT_MISS"]] == [7, 14]
    for _downs, _rights, figure in cases:
        cli = _cli(path, figure, "1h")
        rows = [(e["file"], e["line"], e["ts"], e["raw"]) for e in cli["entries"]]
        assert rows == [(f, n, format_ts(ts), raw) for f, n, ts, raw in seen[figure]], figure
        assert cli["figure"] == figure and cli["total"] == len(seen[figure])


@sync
async def test_z_gives_the_full_funnel_at_80x24_and_esc_restores_the_compact_lines() -> None:
    app = app_for(sc.paths_snapshot("stuck"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        box = app.query_one("#paths-box")
        before = box.region
        app.query_one(PathsPanel).focus()
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is box
        lines = panel_lines(app)
        assert len(lines) == 21 and sum(line.startswith("Stage") for line in lines) == 3  # every path, stacked
        assert "PARALLEL" in lines[4] and "◀ slowest" in lines[4]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.maximized is None and box.region == before and len(panel_lines(app)) == 3


def test_a_restart_that_hangs_after_parallel_reads_stuck_from_the_engine(tmp_path: Path) -> None:
    """A real log read by the engine: START, CORE, PARALLEL at 10:00:00, then 42.5 s of other entries."""
    lines = [
        "2025-09-09T10:00:00.000Z|BOOTSTRAP|START|0|INFO|Restart",
        "2025-09-09T10:00:00.048Z|BOOTSTRAP|CORE|48|SUCCESS|Core identity loaded",
        "2025-09-09T10:00:00.138Z|BOOTSTRAP|PARALLEL|90|SUCCESS|6 threads completed",
    ] + [f"2025-09-09T10:00:{s:02}.500Z|API|CALL|3|SUCCESS|tick {s}" for s in range(1, 43)]
    path = tmp_path / "execution.log"
    path.write_text("\n".join(lines) + "\n")
    newest = parse_timestamp("2025-09-09T10:00:42.500Z") or 0
    session = MonitorSession([str(path)], Config(), follow=False, wall_clock=lambda: newest)
    session.start()
    assert session.wait_history(60)
    app = make_app(session, rss_probe=lambda: 42.0, start_session=False)

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.snapshot is not None and bool(app.snapshot.critical_paths))
            await pilot.pause()
            assert panel_lines(app)[0] == "███·· ✗ bootstrap RUNNING 42 s at PARALLEL: CORE 48 · PARALLEL 90"
            assert app.query_one("#paths-box").border_title == "Critical paths (1m) · 1 stuck"

    try:
        asyncio.run(run())
    finally:
        session.stop()
