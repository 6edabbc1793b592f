"""SPEC 10: critical paths, every rule with figures worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from execlog_tui.core.config import Config, CriticalPath
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.snapshot import snapshot_to_json
from tests.unit.engine.helpers import T, line

SEED = (Path(__file__).parents[3] / "sample_logs" / "seed_sample.log").read_text().splitlines()
WALL = T("2025-09-10T00:00:00.000Z")


def feed(lines: list[str], config: Config | None = None) -> MetricsEngine:
    e = MetricsEngine(config, wall_ms=WALL)
    e.feed_lines(lines)
    return e


def boot(at: str, action: str, dur: float = 1, status: str = "SUCCESS") -> str:
    return line(at, "BOOTSTRAP", action, dur, status)


def cache(at: str, action: str, dur: float = 1, status: str = "SUCCESS") -> str:
    return line(at, "CACHE", action, dur, status)


def stuck_alerts(e: MetricsEngine, as_of: int | None = None) -> list[tuple[str, float | None, int, int | None]]:
    snap = e.snapshot(as_of)
    return [(a.condition, a.value, a.fired, a.resolved) for a in snap.alerts if a.name.startswith("stuck:")]


def test_seed_sample_paths() -> None:
    snap = feed(SEED).snapshot()
    paths = snap.critical_paths
    assert list(paths) == ["bootstrap", "cache_operations", "memory_learning"]

    b = paths["bootstrap"]
    assert b.timeout_ms == 30_000
    rows = b.stages["1h"]
    assert [(r.checkpoint, r.entries, r.errors, r.avg_ms) for r in rows] == [
        ("START", 1, 0, 0.0),
        ("CORE", 1, 0, 48.0),
        ("PARALLEL", 1, 0, 90.0),
        ("VALIDATION", 1, 0, 105.0),  # the sample's VALIDATE, under the configured name
        ("COMPLETE", 1, 0, 254.0),
    ]
    assert rows[2].p95_ms == 90.0  # exact below 100 ms
    assert rows[4].p95_ms == 254.0  # one entry: its own duration (the histogram's bin is bounded by min/max)
    assert b.stages["1m"][0].entries == 0 and b.stages["1m"][0].avg_ms is None  # 10:00 is > 1m before T
    latest = b.latest
    assert latest is not None
    assert (latest.state, latest.started, latest.ended, latest.elapsed_ms, latest.stage) == (
        "complete",
        T("10:00:00.000"),
        T("10:00:00.254"),
        254,
        "COMPLETE",
    )
    assert [(r.checkpoint, r.duration_ms) for r in latest.reached] == [
        ("START", 0.0),
        ("CORE", 48.0),
        ("PARALLEL", 90.0),
        ("VALIDATION", 105.0),
        ("COMPLETE", 254.0),
    ]

    c = paths["cache_operations"]
    assert c.timeout_ms is None
    hm = c.stages["1h"][1]
    assert (hm.checkpoint, hm.entries, hm.hits, hm.misses) == ("HIT_MISS", 2, 1, 1)
    assert c.stages["1h"][0].hits is None  # only the HIT_MISS row has hits and misses
    # The 10:03 lookup failed at UPDATE, ended by the CACHE FAILURE at 10:04:00.000.
    run = c.latest
    assert run is not None
    assert (run.state, run.started, run.ended, run.stage, run.elapsed_ms) == (
        "failed",
        T("10:03:00.000"),
        T("10:04:00.000"),
        "UPDATE",
        60_000,
    )
    assert [r.checkpoint for r in run.reached] == ["LOOKUP", "HIT_MISS", "FETCH", "UPDATE"]

    m = paths["memory_learning"]
    run = m.latest
    assert run is not None
    assert (run.state, run.started, run.ended, run.stage) == ("running", T("10:02:00.000"), None, "PERSIST")
    assert run.elapsed_ms == snap.as_of - T("10:02:00.000")  # T - started while running
    assert not any(a.name.startswith("stuck:") for a in snap.alerts)  # no timeout for the others

    j = snapshot_to_json(snap)["critical_paths"]
    assert j["bootstrap"]["timeout_s"] == 30 and j["cache_operations"]["timeout_s"] is None
    assert j["bootstrap"]["stages"]["1m"][0] == {
        "checkpoint": "START",
        "entries": 0,
        "errors": 0,
        "avg_ms": None,
        "p95_ms": None,
    }
    assert j["memory_learning"]["latest"]["ended"] is None
    assert j["cache_operations"]["latest"]["reached"][0] == {
        "checkpoint": "LOOKUP",
        "at": "2025-09-09T10:03:00.000Z",
        "duration_ms": 2.0,
    }


def test_restart_hangs_after_parallel_then_a_new_start_supersedes_it() -> None:
    lines = [
        boot("10:00:00.500", "START", 0),
        boot("10:00:00.548", "CORE", 48),
        boot("10:00:00.638", "PARALLEL", 90),
        line("10:00:20.000"),  # other components go on
        line("10:00:30.999"),
        line("10:00:31.200"),
    ]
    e = feed(lines)
    # 30.5 s after the start at 10:00:31.000, the first whole second at which it exceeds 30 s.
    assert stuck_alerts(e) == [("bootstrap running > 30 seconds", 30.5, T("10:00:31.000"), None)]
    snap = e.snapshot()
    assert snap.critical_paths["bootstrap"].stuck
    run = snap.critical_paths["bootstrap"].latest
    assert run is not None and (run.state, run.stage) == ("running", "PARALLEL")
    e.feed_lines([boot("10:01:10.000", "START", 0)])
    assert stuck_alerts(e) == [("bootstrap running > 30 seconds", 30.5, T("10:00:31.000"), T("10:01:10.000"))]
    snap = e.snapshot()
    run = snap.critical_paths["bootstrap"].latest
    assert run is not None and (run.state, run.started, run.stage) == ("running", T("10:01:10.000"), "START")
    assert not snap.critical_paths["bootstrap"].stuck


def test_stuck_fires_on_the_clock_alone_and_not_before() -> None:
    e = feed([boot("10:00:00.000", "START", 0), boot("10:00:00.040", "CORE", 40)])
    assert stuck_alerts(e, T("10:00:30.999")) == []
    assert stuck_alerts(e, T("10:00:31.000")) == [("bootstrap running > 30 seconds", 31.0, T("10:00:31.000"), None)]


def test_stuck_is_not_skipped_over_by_an_idle_log() -> None:
    # Nothing is logged for an hour: the idle seconds (an empty 1m window) are skipped, but not the one
    # the alert fires at. A 2-minute timeout: the start has left the 1m window when it falls due.
    config = Config(critical_paths=(CriticalPath.of("bootstrap", "BOOTSTRAP", ("START", "COMPLETE"), 120_000),))
    e = feed([boot("10:00:00.250", "START", 0), line("11:00:00.000")], config)
    assert stuck_alerts(e) == [("bootstrap running > 2 minutes", 120.75, T("10:02:01.000"), None)]


def test_complete_in_time_never_fires() -> None:
    e = feed([boot("10:00:00.000", "START", 0), boot("10:00:29.000", "COMPLETE", 29_000), line("10:05:00.000")])
    assert stuck_alerts(e) == []


def test_an_error_mid_run_fails_it_at_its_stage_and_resolves_stuck() -> None:
    lines = [
        boot("10:00:00.000", "START", 0),
        boot("10:00:00.100", "CORE", 100),
        line("10:00:40.000"),
        boot("10:00:45.000", "PARALLEL", 5, "FAILURE"),  # matches a checkpoint, but an error: failed
        boot("10:00:46.000", "VALIDATE", 5),  # the run has ended: ignored
    ]
    e = feed(lines)
    snap = e.snapshot()
    run = snap.critical_paths["bootstrap"].latest
    assert run is not None
    assert (run.state, run.stage, run.ended, run.elapsed_ms) == ("failed", "CORE", T("10:00:45.000"), 45_000)
    assert stuck_alerts(e) == [("bootstrap running > 30 seconds", 31.0, T("10:00:31.000"), T("10:00:45.000"))]
    stages = snap.critical_paths["bootstrap"].stages["5m"]
    assert (stages[2].entries, stages[2].errors) == (1, 1)  # stage rows count every status


def test_interleaved_lookups_supersede_and_skipped_checkpoints() -> None:
    lines = [
        cache("10:00:00.000", "LOOKUP"),
        cache("10:00:00.001", "LOOKUP"),  # supersedes the first
        cache("10:00:00.002", "HIT", 0),
        cache("10:00:00.003", "HIT", 0),  # repeated: ignored
        cache("10:00:00.004", "LOOKUP", 7),  # a third lookup supersedes the second
        cache("10:00:00.005", "UPDATE", 2),  # HIT_MISS and FETCH skipped
        cache("10:00:00.006", "FETCH", 3),  # earlier than UPDATE: ignored
        cache("10:00:00.009", "COMPLETE", 5),
    ]
    snap = feed(lines).snapshot()
    c = snap.critical_paths["cache_operations"]
    run = c.latest
    assert run is not None
    assert (run.state, run.started, run.ended, run.elapsed_ms) == (
        "complete",
        T("10:00:00.004"),
        T("10:00:00.009"),
        5,
    )
    assert [(r.checkpoint, r.duration_ms) for r in run.reached] == [
        ("LOOKUP", 7.0),
        ("UPDATE", 2.0),
        ("COMPLETE", 5.0),
    ]
    rows = {r.checkpoint: r for r in c.stages["1m"]}
    assert rows["LOOKUP"].entries == 3 and rows["LOOKUP"].avg_ms == pytest.approx(3.0)
    assert (rows["HIT_MISS"].entries, rows["HIT_MISS"].hits, rows["HIT_MISS"].misses) == (2, 2, 0)
    assert rows["FETCH"].entries == 1  # counted in its stage though ignored by the run


def test_hit_path_stays_running_until_the_next_lookup() -> None:
    snap = feed([cache("10:00:00.000", "LOOKUP"), cache("10:00:00.001", "HIT", 0)]).snapshot()
    run = snap.critical_paths["cache_operations"].latest
    assert run is not None and (run.state, run.stage) == ("running", "HIT_MISS")


def test_late_and_future_entries_never_touch_a_run() -> None:
    lines = [
        cache("10:00:10.000", "LOOKUP"),
        cache("10:00:05.000", "LOOKUP"),  # late: no new run
        cache("10:00:04.000", "FAILURE", 1, "ERROR"),  # late: does not fail it
        cache("2025-09-11T00:00:00.000Z", "LOOKUP"),  # from the future (wall clock 2025-09-10)
        cache("10:00:11.000", "HIT", 0),
    ]
    snap = feed(lines).snapshot()
    run = snap.critical_paths["cache_operations"].latest
    assert run is not None and (run.state, run.started, run.stage) == ("running", T("10:00:10.000"), "HIT_MISS")
    assert snap.critical_paths["cache_operations"].stages["1m"][0].entries == 2  # the late one is in the figures


def test_configured_path_with_timeout_and_one_checkpoint() -> None:
    config = Config(
        critical_paths=(
            CriticalPath.of("deploy", "api", ("BEGIN", "VALIDATION", "END"), 2_000),
            CriticalPath.of("ping", "API", ("PING",)),
        )
    )
    lines = [
        line("10:00:00.000", "API", "BEGIN"),
        line("10:00:00.500", "API", "validate"),
        line("10:00:00.900", "API", "PING"),
        line("10:00:05.000", "API", "CALL"),
    ]
    e = feed(lines, config)
    snap = e.snapshot()
    assert stuck_alerts(e) == [("deploy running > 2 seconds", 3.0, T("10:00:03.000"), None)]
    deploy = snap.critical_paths["deploy"]
    assert deploy.component == "API" and deploy.latest is not None and deploy.latest.stage == "VALIDATION"
    ping = snap.critical_paths["ping"].latest
    assert ping is not None and (ping.state, ping.elapsed_ms) == ("complete", 0)  # the first is the last
    assert "bootstrap" not in snap.critical_paths  # a configuration's paths replace the defaults


def test_no_paths_configured() -> None:
    snap = feed(SEED, Config(critical_paths=())).snapshot()
    assert snap.critical_paths == {}
    assert snapshot_to_json(snap)["critical_paths"] == {}


def test_stage_p95_is_nearest_rank_within_two_percent_and_never_past_the_extremes() -> None:
    durations = [float(d) for d in range(100, 2100, 20)]  # 100 entries: the 95th is 1980
    lines = [cache(f"10:00:{i // 10:02d}.{i % 10:03d}", "FETCH", d) for i, d in enumerate(durations)]
    row = feed(lines).snapshot().critical_paths["cache_operations"].stages["1m"][2]
    assert row.checkpoint == "FETCH" and row.entries == 100
    assert row.p95_ms is not None and abs(row.p95_ms - 1980) <= 1980 * 0.02
    single = feed([cache("10:00:00.000", "FETCH", 2083)]).snapshot()
    assert single.critical_paths["cache_operations"].stages["1m"][2].p95_ms == 2083.0
