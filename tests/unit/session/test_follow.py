"""History then following, end to end: the session, `-b -d` reports, and the demo service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from execlog_tui.demo import DemoService
from execlog_tui.session import MonitorSession

ROOT = Path(__file__).resolve().parents[3]


def lines(start: int, count: int, status: str = "SUCCESS") -> str:
    return "".join(
        f"2026-01-01T00:{(i // 60) % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z|API|CALL|5|{status}|i={i}\n"
        for i in range(start, start + count)
    )


def poll_until(predicate, timeout: float = 10.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_session_reads_history_then_follows_across_rotation(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(lines(0, 100))
    (tmp_path / "execution.log.1").write_text(lines(-50, 50))
    with MonitorSession([str(log)], ring_capacity=1000) as s:
        assert s.wait_history(10)
        assert s.snapshot().source.entries == 150
        with log.open("a") as f:
            f.write(lines(100, 20))
        assert poll_until(lambda: s.snapshot().source.entries == 170)
        # rename rotation: the old file gets a last line after the rename, then a new file appears
        log.rename(tmp_path / "execution.log.1.tmp-old")
        with (tmp_path / "execution.log.1.tmp-old").open("a") as f:
            f.write(lines(120, 5))
        log.write_text(lines(125, 30))
        assert poll_until(lambda: s.snapshot().source.entries == 205)
        assert len(s.ring) == 205
        raws = [item.raw for item in s.ring_view()]
        assert len(set(raws)) == 205  # every line exactly once


def test_session_waits_for_a_missing_file(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    with MonitorSession([str(log)]) as s:
        assert s.wait_history(10)
        assert s.mode == "waiting"
        log.write_text(lines(0, 10))
        assert poll_until(lambda: s.snapshot().source.entries == 10)
        assert poll_until(lambda: s.mode == "following")


def test_batch_follow_prints_one_json_report_per_delay(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(lines(0, 100))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "execlog_tui", "-b", "-d", "0.2", "--json", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first["source"]["entries"] == 100
        with log.open("a") as f:
            f.write(lines(100, 40, "FAILURE"))
        deadline = time.monotonic() + 15
        report = first
        while report["source"]["entries"] < 140 and time.monotonic() < deadline:
            report = json.loads(proc.stdout.readline())
        assert report["source"]["entries"] == 140
        # Opened by the burst; the clock is the wall clock now, long after these 2026-01-01 entries,
        # so the inferred breaker has since gone HALF_OPEN.
        assert report["breakers"]["API"]["opened"] == 1
        assert report["breakers"]["API"]["state"] == "HALF_OPEN"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_batch_follow_stops_after_n_reports(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(lines(0, 10))
    out = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "-b", "-d", "0.1", "-n", "3", "--json", str(log)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    reports = [json.loads(x) for x in out.stdout.splitlines()]
    assert len(reports) == 3 and all(r["source"]["entries"] == 10 for r in reports)


def test_demo_writes_a_rotating_log_with_incidents(tmp_path: Path) -> None:
    with DemoService(str(tmp_path), backfill_s=250) as demo:
        with MonitorSession([str(demo.log_path)]) as s:
            assert s.wait_history(30)
            snap = s.snapshot()
        # rotated archives are compressed in the background
        assert poll_until(lambda: any(p.name.endswith(".gz") for p in tmp_path.iterdir()), 20)
    assert snap.source.entries > 5000
    assert snap.bootstrap_ms is not None
    assert snap.breakers["API"].opened >= 1  # the error burst opened the inferred breaker
    assert snap.breakers["CACHE"].opened >= 1  # the explicit cycle
    names = {a.name for a in snap.alerts}
    assert "breaker:API" in names and "response_time" in names
    assert len(snap.source.files) >= 3  # the live file and its archives were read


def test_the_demo_writes_the_critical_paths_and_a_hung_bootstrap_alerts_stuck(tmp_path: Path) -> None:
    """Seven minutes of history always hold the six-minutely hung restart (START, CORE, PARALLEL, then
    nothing from BOOTSTRAP for 50 s until a fresh START): the monitor fires stuck:bootstrap from it; the
    cache and memory paths come through the writer's lookup() and learning()."""
    from execlog_tui.core.entry import Entry
    from execlog_tui.core.parser import parse_line

    with DemoService(str(tmp_path), backfill_s=420) as demo:
        demo.wait_for_entries(demo.written + 100, timeout=10)  # a little of the live script too
    # Read once the demo has stopped: a set that rotates while it is discovered can lose an archive to
    # the compressor (not what this test is about), and the counts below would then be short.
    with MonitorSession([str(demo.log_path)]) as s:
        assert s.wait_history(60)
        snap = s.snapshot()
    live = [parse_line(x) for x in demo.log_path.read_text().splitlines()]
    assert all(isinstance(e, Entry) for e in live)
    stuck = [a for a in snap.alerts if a.name == "stuck:bootstrap"]
    assert stuck and stuck[0].condition == "bootstrap running > 30 seconds"
    assert stuck[0].resolved is None or 19_000 <= stuck[0].resolved - stuck[0].fired <= 20_000
    paths = snap.critical_paths
    for name in ("bootstrap", "cache_operations", "memory_learning"):
        assert paths[name].latest is not None, name
    # The whole set is in the 1d window (8 archives hold the seven minutes), every run written whole.
    stages = {r.checkpoint: r for r in paths["cache_operations"].stages["1d"]}
    counts = {name: r.entries for name, r in stages.items()}
    assert counts["LOOKUP"] > 10_000 and counts["LOOKUP"] == counts["COMPLETE"]  # none left running
    assert counts["FETCH"] > 1000 and counts["FETCH"] == counts["UPDATE"]
    hit_miss = stages["HIT_MISS"]
    assert hit_miss.hits and hit_miss.misses and counts["LOOKUP"] == hit_miss.hits + hit_miss.misses
    learning = {r.checkpoint: r.entries for r in paths["memory_learning"].stages["1d"]}
    assert learning["DETECT"] > 50 and learning["DETECT"] == learning["COMPLETE"]
    assert learning["PERSIST"] > 0


def test_alert_log_channel_writes_alerts_in_the_log_format_only_while_live(tmp_path: Path) -> None:
    from dataclasses import replace

    from execlog_tui.core.config import Config, MonitoringConfig
    from execlog_tui.core.parser import parse_line
    from execlog_tui.core.timefmt import format_ts

    log = tmp_path / "execution.log"
    log.write_text(lines(0, 5, "FAILURE"))  # history: opens the API breaker, but no alert-log lines
    alerts = tmp_path / "alerts" / "alerts.log"
    alerts.parent.mkdir()
    config = replace(Config(), monitoring=replace(MonitoringConfig(), alert_log=str(alerts)))
    with MonitorSession([str(log)], config) as s:
        assert s.wait_history(10)
        assert not alerts.exists()
        now = int(time.time() * 1000)  # live lines dated now: a line far in the future moves no clock (SPEC 3)
        with log.open("a") as f:
            f.write("".join(f"{format_ts(now + i)}|CACHE|GET|1|FAILURE|x\n" for i in range(3)))
        assert poll_until(lambda: alerts.exists() and "ALERT_FIRED" in alerts.read_text())
    written = [parse_line(x) for x in alerts.read_text().splitlines()]
    assert all(e.component == "PERF" for e in written)  # type: ignore[union-attr]
    assert any("alert=breaker:CACHE" in e.details for e in written)  # type: ignore[union-attr]


def test_history_hands_over_to_the_follower_by_identity_across_a_rotation(tmp_path: Path) -> None:
    """A rotation between the follower's start and the history read loses and doubles nothing."""
    from execlog_tui.core.engine import MetricsEngine
    from execlog_tui.pipeline import read_history
    from execlog_tui.sources.follower import LogFollower
    from execlog_tui.sources.logset import discover

    log = tmp_path / "execution.log"
    log.write_text(lines(0, 100))
    follower = LogFollower(log, start_at_end=True)
    try:
        assert follower.history_limit is not None
        with log.open("a") as f:  # written after the follower started: the follower's
            f.write(lines(100, 10))
        log.rename(tmp_path / "execution.log.1")
        log.write_text(lines(110, 15))
        engine = MetricsEngine()
        read_history(discover([str(log)]), engine, stop_at=[follower.history_limit])
        assert engine.entries == 100
        delivered: list[str] = []
        assert poll_until(lambda: bool(delivered.extend(follower.poll().lines)) or len(delivered) >= 25)
        assert [line.rsplit("i=", 1)[1] for line in delivered] == [str(i) for i in range(100, 125)]
    finally:
        follower.close()


def test_the_first_snapshot_after_the_history_is_as_of_the_wall_clock(tmp_path: Path) -> None:
    # SPEC 3: once the history is read, T = max(wall clock, newest timestamp). The first `-b -d`
    # report used to be as of the newest entry about half the time (a race with the follow loop's
    # first clock step), with alerts of an old incident still firing.
    log = tmp_path / "execution.log"
    log.write_text(lines(0, 50))
    wall = 1_900_000_000_000  # 2030-03-17: far after the log
    for _ in range(5):
        with MonitorSession([str(log)], ring_capacity=1000, wall_clock=lambda: wall) as s:
            assert s.wait_history(10)
            assert s.snapshot().as_of == wall
            assert s.snapshot(as_of_last_entry=True).windows["1m"].entries == 50  # the quiet-log view


def test_a_live_bootstrap_that_hangs_fires_stuck_on_the_wall_clock_and_the_alert_log(tmp_path: Path) -> None:
    """SPEC 10 while following: no entry comes after PARALLEL, the wall clock alone fires stuck:bootstrap
    (a 1-second timeout here), through the alert log like any alert; the next START resolves it."""
    from dataclasses import replace

    from execlog_tui.core.config import Config, CriticalPath, MonitoringConfig
    from execlog_tui.core.timefmt import format_ts

    log = tmp_path / "execution.log"
    log.write_text("")
    alerts = tmp_path / "alerts" / "alerts.log"
    alerts.parent.mkdir()
    config = replace(
        Config(),
        monitoring=replace(MonitoringConfig(), alert_log=str(alerts)),
        critical_paths=(CriticalPath.of("bootstrap", "BOOTSTRAP", ("START", "CORE", "PARALLEL", "COMPLETE"), 1000),),
    )
    with MonitorSession([str(log)], config) as s:
        assert s.wait_history(10)
        now = int(time.time() * 1000)
        with log.open("a") as f:
            for i, step in enumerate(("START", "CORE", "PARALLEL")):
                f.write(f"{format_ts(now + i)}|BOOTSTRAP|{step}|1|SUCCESS|x\n")

        def stuck() -> bool:
            path = s.snapshot().critical_paths["bootstrap"]
            return path.stuck and path.latest is not None and path.latest.stage == "PARALLEL"

        assert poll_until(stuck, 15)
        assert poll_until(lambda: alerts.exists() and "alert=stuck:bootstrap" in alerts.read_text())
        with log.open("a") as f:
            f.write(f"{format_ts(int(time.time() * 1000))}|BOOTSTRAP|START|0|INFO|again\n")
        assert poll_until(lambda: not s.snapshot().critical_paths["bootstrap"].stuck, 15)
        firing = [a for a in s.snapshot().alerts if a.name == "stuck:bootstrap"]
        assert len(firing) == 1 and firing[0].resolved is not None
        assert firing[0].condition == "bootstrap running > 1 second"
