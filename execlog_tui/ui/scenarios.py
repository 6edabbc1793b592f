"""Hand-made snapshots and lines: deterministic screens for tests, previews and the benchmark."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import parse_line
from execlog_tui.core.snapshot import (
    WINDOW_NAMES,
    AlertView,
    BreakerView,
    ComponentFigures,
    MetricsSnapshot,
    PathView,
    ReachedView,
    RunView,
    SourceView,
    StageFigures,
    WindowFigures,
)
from execlog_tui.core.timefmt import parse_timestamp
from execlog_tui.core.windows import WINDOWS_BY_NAME
from execlog_tui.ui.provider import StaticSession

SEED_SAMPLE = """\
2025-09-09T10:00:00.000Z|BOOTSTRAP|START|0|INFO|Bootstrap sequence initiated
2025-09-09T10:00:00.048Z|BOOTSTRAP|CORE|48|SUCCESS|Core identity loaded
2025-09-09T10:00:00.138Z|BOOTSTRAP|PARALLEL|90|SUCCESS|6 threads completed
2025-09-09T10:00:00.243Z|BOOTSTRAP|VALIDATE|105|SUCCESS|All checks passed
2025-09-09T10:00:00.254Z|BOOTSTRAP|COMPLETE|254|SUCCESS|Ready in 254ms
2025-09-09T10:01:00.000Z|CACHE|LOOKUP|1|INFO|Looking for template_greeting
2025-09-09T10:01:00.001Z|CACHE|HIT|0|SUCCESS|L1 cache hit
2025-09-09T10:01:00.002Z|TEMPLATE|RENDER|1|SUCCESS|Rendered in 1ms
2025-09-09T10:02:00.000Z|MEMORY|DETECT|5|INFO|Pattern: git_workflow
2025-09-09T10:02:00.005Z|MEMORY|MATCH|3|SUCCESS|Pattern matched 4 times
2025-09-09T10:02:00.008Z|MEMORY|LEARN|10|SUCCESS|Pattern learned
2025-09-09T10:02:00.018Z|MEMORY|PERSIST|5|SUCCESS|Saved to long-term
2025-09-09T10:03:00.000Z|CACHE|LOOKUP|2|INFO|Looking for user_pref
2025-09-09T10:03:00.002Z|CACHE|MISS|0|INFO|Cache miss all tiers
2025-09-09T10:03:00.003Z|CACHE|FETCH|15|SUCCESS|Fetched from source
2025-09-09T10:03:00.018Z|CACHE|UPDATE|2|SUCCESS|Updated L1 and L2
2025-09-09T10:04:00.000Z|CACHE|FAILURE|5|ERROR|Cache operation failed
2025-09-09T10:04:00.100Z|CACHE|FAILURE|4|ERROR|Cache operation failed
2025-09-09T10:04:00.200Z|CACHE|FAILURE|3|ERROR|Cache operation failed
2025-09-09T10:04:00.201Z|CACHE|CIRCUIT_OPEN|0|WARNING|Circuit breaker opened
2025-09-09T10:04:30.000Z|CACHE|CIRCUIT_TEST|2|INFO|Testing recovery
2025-09-09T10:04:30.002Z|CACHE|CIRCUIT_CLOSE|0|SUCCESS|Service restored
"""

# Details an attacker could write into a log: escape sequences, C1, OSC 8 links, OSC 52 clipboard
# writes, a title change, and Textual/Rich markup that would quit the app if it were ever parsed.
HOSTILE_DETAILS = (
    "title \x1b]0;PWNED-TITLE\x07 end",
    "colour \x1b[31;1mRED\x1b[0m end",
    "c1 \x9b31mCSI \x9d0;x\x9c end",
    "link \x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\ end",
    "clip \x1b]52;c;ZXZpbA==\x07 end",
    "markup [@click=app.quit]QUIT[/] [bold red]loud[/] [link=https://x]y[/link]",
)

T0 = parse_timestamp("2025-09-09T10:04:30.002Z") or 0


def parse_lines(text: str) -> list[Entry | ParseError]:
    out: list[Entry | ParseError] = []
    for line in text.splitlines():
        parsed = parse_line(line)
        if parsed is not None:
            out.append(parsed)
    return out


def seed_lines() -> list[Entry | ParseError]:
    lines = parse_lines(SEED_SAMPLE)
    lines.insert(8, ParseError("2025-09-09 10:01:30|CACHE|HIT|x|SUCCESS|bad line", "not a timestamp"))
    return lines


def hostile_lines() -> list[Entry | ParseError]:
    out: list[Entry | ParseError] = []
    for i, details in enumerate(HOSTILE_DETAILS):
        raw = f"2025-09-09T10:04:2{i}.000Z|API|CALL|12|SUCCESS|{details}"
        parsed = parse_line(raw)
        assert isinstance(parsed, Entry), raw
        out.append(parsed)
    out.append(ParseError("\x1b]0;BAD-TITLE\x07|garbage [@click=app.quit]", "expected 6 fields"))
    return out


def many_lines(count: int, start_ms: int = T0 - 3_600_000) -> list[Entry | ParseError]:
    """Synthetic lines for scrolling, filtering and the benchmark."""
    comps = ("API", "CACHE", "ROUTING", "TEMPLATE", "MEMORY", "SECURITY")
    stats = ("SUCCESS", "SUCCESS", "SUCCESS", "INFO", "WARNING", "FAILURE", "DEBUG", "TIMEOUT")
    out: list[Entry | ParseError] = []
    for i in range(count):
        ts = start_ms + i * 37
        comp, status = comps[i % len(comps)], stats[(i * 7) % len(stats)]
        details = f"request {i} user=u{i % 13} rss_mb={40 + i % 20}"
        raw = f"{ts}|{comp}|OP|{i % 300}|{status}|{details}"
        out.append(Entry(ts, comp, "OP", float(i % 300), status, details, raw))
    return out


def _wave(n: int, base: float, amp: float, phase: float = 0.0) -> tuple[float | None, ...]:
    return tuple(round(base + amp * math.sin(i / 6 + phase), 2) for i in range(n))


def _window(
    name: str,
    entries: int,
    errors: int,
    avg: float | None,
    p95: float | None,
    cache: float | None,
    mem: float | None,
    bands: dict[str, str | None],
) -> WindowFigures:
    seconds = WINDOWS_BY_NAME[name].seconds
    return WindowFigures(
        name=name,
        entries=entries,
        requests_per_second=entries / seconds,
        errors=errors,
        error_rate=(100 * errors / entries) if entries else None,
        avg_response_ms=avg,
        p95_response_ms=p95,
        cache_hit_rate=cache,
        memory_mb=mem,
        memory_max_mb=None if mem is None else mem + 3.5,
        bands=bands,
    )


# ---- critical paths (SPEC 10): the seed's three, with the seed sample's figures --------------------
BOOTSTRAP_CHECKPOINTS = ("START", "CORE", "PARALLEL", "VALIDATION", "COMPLETE")
CACHE_CHECKPOINTS = ("LOOKUP", "HIT_MISS", "FETCH", "UPDATE", "COMPLETE")
MEMORY_CHECKPOINTS = ("DETECT", "MATCH", "LEARN", "PERSIST", "COMPLETE")
BOOTSTRAP_STEPS = (0.0, 48.0, 90.0, 105.0, 254.0)  # the seed's bootstrap: complete in 254 ms
# How many runs of each path each window holds (a busy service restarts now and then).
RUNS_PER_WINDOW = {"1m": 1, "5m": 2, "1h": 9, "1d": 40}
STUCK_S = 42  # the restart that hangs after PARALLEL: running 42 s, stuck (timeout 30 s)


def _stage(checkpoint: str, entries: int, ms: float, errors: int = 0, spread: float = 1.4) -> StageFigures:
    """A stage row: `entries` entries of mean `ms`, p95 `spread` times that (none with no entries)."""
    if not entries:
        return StageFigures(checkpoint, 0, 0, None, None)
    return StageFigures(checkpoint, entries, errors, ms, ms * spread)


def _reached(checkpoints: tuple[str, ...], steps: tuple[float, ...], started: int) -> tuple[ReachedView, ...]:
    """The checkpoints reached, each at the run's start plus its own duration (the seed's timing)."""
    out, at = [], started
    for name, ms in zip(checkpoints, steps, strict=False):
        at = started + int(ms) if name == checkpoints[-1] else at + int(ms)
        out.append(ReachedView(name, at, ms))
    return tuple(out)


def bootstrap_path(state: str = "complete") -> PathView:
    """The bootstrap path as of T0: `complete` (254 ms, 30 s ago), `running` (12 s at PARALLEL, under
    its 30 s timeout) or `stuck` (42 s at PARALLEL: its stuck:bootstrap alert fires)."""
    cps = BOOTSTRAP_CHECKPOINTS
    if state == "complete":
        started = T0 - 30_254
        run = RunView("complete", started, started + 254, 254, "COMPLETE", _reached(cps, BOOTSTRAP_STEPS, started))
    else:
        elapsed = STUCK_S * 1000 if state == "stuck" else 12_000
        started = T0 - elapsed
        run = RunView("running", started, None, elapsed, "PARALLEL", _reached(cps[:3], BOOTSTRAP_STEPS[:3], started))
    stages: dict[str, tuple[StageFigures, ...]] = {}
    for window, runs in RUNS_PER_WINDOW.items():
        done = runs if state == "complete" else runs - 1  # the open run reached PARALLEL only
        stages[window] = tuple(
            _stage(c, runs if i < 3 else done, ms, spread=1.0 if runs == 1 else 1.3)
            for i, (c, ms) in enumerate(zip(cps, BOOTSTRAP_STEPS, strict=True))
        )
    return PathView("bootstrap", "BOOTSTRAP", cps, 30_000, stages, run, stuck=state == "stuck")


def cache_path() -> PathView:
    """Lookups: most hit, a fifth miss and fetch; the latest failed after UPDATE (the seed's 10:03
    lookup, ended by the CACHE FAILURE at 10:04:00.000)."""
    cps = CACHE_CHECKPOINTS
    stages: dict[str, tuple[StageFigures, ...]] = {}
    for window, scale in (("1m", 1), ("5m", 5), ("1h", 60), ("1d", 1440)):
        lookups, misses = 410 * scale, 82 * scale
        stages[window] = (
            _stage("LOOKUP", lookups, 1.2),
            replace(_stage("HIT_MISS", lookups, 0.1, spread=2.0), hits=lookups - misses, misses=misses),
            _stage("FETCH", misses, 14.8, errors=scale),
            _stage("UPDATE", misses - scale, 2.1),
            _stage("COMPLETE", misses - 2 * scale, 19.0),
        )
    started = T0 - 90_002
    reached = (
        ReachedView("LOOKUP", started, 2.0),
        ReachedView("HIT_MISS", started + 2, 0.0),
        ReachedView("FETCH", started + 3, 15.0),
        ReachedView("UPDATE", started + 18, 2.0),
    )
    run = RunView("failed", started, started + 60_000, 60_000, "UPDATE", reached)
    return PathView("cache_operations", "CACHE", cps, None, stages, run)


def memory_path() -> PathView:
    """Learning: the seed's run since 10:02:00.000, DETECT to PERSIST, no COMPLETE yet (no timeout)."""
    cps = MEMORY_CHECKPOINTS
    steps = (5.0, 3.0, 10.0, 5.0)
    stages = {
        w: tuple(_stage(c, n if c != "COMPLETE" else n - 1, ms) for c, ms in zip(cps, (*steps, 23.0), strict=True))
        for w, n in (("1m", 1), ("5m", 1), ("1h", 3), ("1d", 12))
    }
    stages["1m"] = tuple(replace(r, entries=0, avg_ms=None, p95_ms=None) for r in stages["1m"])
    started = T0 - 150_002
    run = RunView("running", started, None, 150_002, "PERSIST", _reached(cps[:4], steps, started))
    return PathView("memory_learning", "MEMORY", cps, None, stages, run)


def paths_for(bootstrap: str = "complete") -> dict[str, PathView]:
    paths = (bootstrap_path(bootstrap), cache_path(), memory_path())
    return {p.name: p for p in paths}


def base_snapshot() -> MetricsSnapshot:
    """A busy, healthy service as of T0: every panel has something to show."""
    bands_ok = {
        "response_time": "optimal",
        "cache_hit_rate": "acceptable",
        "memory_usage": "optimal",
        "error_rate": None,
    }
    windows = {
        "1m": _window("1m", 1260, 25, 42.5, 118.0, 82.4, 47.2, bands_ok),
        "5m": _window(
            "5m",
            6100,
            190,
            61.0,
            160.0,
            88.0,
            52.0,
            {**bands_ok, "response_time": "acceptable", "cache_hit_rate": "optimal", "memory_usage": "acceptable"},
        ),
        "1h": _window(
            "1h",
            70210,
            2700,
            105.0,
            340.0,
            75.0,
            83.0,
            {**bands_ok, "response_time": "warning", "cache_hit_rate": "warning", "memory_usage": "warning"},
        ),
        "1d": _window(
            "1d",
            1_500_000,
            90_000,
            220.0,
            900.0,
            65.0,
            120.0,
            {**bands_ok, "response_time": "error", "cache_hit_rate": "error", "memory_usage": "error"},
        ),
    }
    components = {
        "API": ComponentFigures(820_000, 41_000, 120.4, 2950.0),
        "BOOTSTRAP": ComponentFigures(5, 0, 99.4, 254.0),
        "CACHE": ComponentFigures(410_000, 3, 1.9, 15.0),
        "MEMORY": ComponentFigures(4, 0, 5.75, 10.0),
        "ROUTING": ComponentFigures(120_000, 12, 8.1, 77.0),
        "TEMPLATE": ComponentFigures(149_991, 2, 1.0, 31.0),
    }
    breakers = {
        "API": BreakerView("API", "CLOSED", T0 - 3_600_000, 0, True),
        "BOOTSTRAP": BreakerView("BOOTSTRAP", "CLOSED", T0 - 270_002, 0, True),
        "CACHE": BreakerView("CACHE", "CLOSED", T0, 1, False),
        "MEMORY": BreakerView("MEMORY", "CLOSED", T0 - 150_000, 0, True),
        "ROUTING": BreakerView("ROUTING", "CLOSED", T0 - 3_600_000, 2, True),
        "TEMPLATE": BreakerView("TEMPLATE", "CLOSED", T0 - 210_000, 0, True),
    }
    alerts = (
        AlertView("breaker:CACHE", "breaker CACHE open", None, T0 - 29_801, T0),
        AlertView("error_rate", "error_rate > 5%", 7.1, T0 - 1_200_000, T0 - 1_080_000),
    )
    series = {
        "entries": _wave(60, 21, 6),
        "errors": tuple(float(i % 7 == 0) for i in range(60)),
        "avg_response_ms": _wave(60, 42, 15, 1.0),
        "p95_response_ms": _wave(60, 118, 40, 3.0),  # a shape of its own: the p95 tile must not draw the average
        "cache_hit_rate": _wave(60, 82, 5, 2.0),
        "memory_mb": _wave(60, 47, 1.5, 0.5),
    }
    source = SourceView(files=("./execution.log",), entries=1_500_022, parse_errors=1, first=T0 - 86_000_000, last=T0)
    return MetricsSnapshot(
        as_of=T0,
        source=source,
        windows=windows,
        components=components,
        bootstrap_ms=254.0,
        bootstrap_band="acceptable",
        breakers=breakers,
        alerts=alerts,
        degraded=False,
        degraded_reason=None,
        series=series,
        critical_paths=paths_for("complete"),
    )


def paths_snapshot(bootstrap: str) -> MetricsSnapshot:
    """The base snapshot with the bootstrap path `complete`, `running` (12 s) or `stuck` (42 s, its
    alert firing)."""
    snap = base_snapshot()
    alerts = snap.alerts
    if bootstrap == "stuck":
        fired = T0 - (STUCK_S - 30) * 1000
        alerts = alerts + (AlertView("stuck:bootstrap", "bootstrap running > 30 seconds", 30.0, fired, None),)
    return replace(snap, critical_paths=paths_for(bootstrap), alerts=alerts)


def breaker_open_snapshot() -> MetricsSnapshot:
    snap = base_snapshot()
    breakers = dict(snap.breakers)
    breakers["CACHE"] = BreakerView("CACHE", "OPEN", T0 - 12_000, 2, False)
    breakers["ROUTING"] = BreakerView("ROUTING", "HALF_OPEN", T0 - 2_000, 3, True)
    alerts = snap.alerts + (AlertView("breaker:CACHE", "breaker CACHE open", None, T0 - 12_000, None),)
    return replace(snap, breakers=breakers, alerts=alerts)


def alerts_firing_snapshot() -> MetricsSnapshot:
    snap = breaker_open_snapshot()
    w = snap.windows["1m"]
    bands = {**w.bands, "response_time": "error", "cache_hit_rate": "error", "error_rate": "error"}
    one = replace(w, errors=130, error_rate=130 / 1260 * 100, avg_response_ms=231.0, cache_hit_rate=64.0, bands=bands)
    alerts = snap.alerts + (
        AlertView("error_rate", "error_rate > 5%", 10.3, T0 - 45_000, None),
        AlertView("response_time", "response_time > 200ms", 231.0, T0 - 30_000, None),
        AlertView("critical:API", "status CRITICAL", None, T0 - 5_000, None),
    )
    return replace(snap, windows={**snap.windows, "1m": one}, alerts=alerts)


def degraded_snapshot() -> MetricsSnapshot:
    snap = alerts_firing_snapshot()
    return replace(snap, degraded=True, degraded_reason="1m cache hit rate 54.0% < 60%")


def empty_snapshot(as_of: int | None = None) -> MetricsSnapshot:
    windows = {
        n: _window(
            n,
            0,
            0,
            None,
            None,
            None,
            None,
            {"response_time": None, "cache_hit_rate": None, "memory_usage": None, "error_rate": None},
        )
        for n in WINDOW_NAMES
    }
    return MetricsSnapshot(
        as_of=as_of,
        source=SourceView(),
        windows=windows,
        components={},
        bootstrap_ms=None,
        bootstrap_band=None,
        breakers={},
        alerts=(),
        degraded=False,
        degraded_reason=None,
        series={},
    )


def quiet_snapshot() -> MetricsSnapshot:
    """Following an old copy: the clock is 3 h past the newest entry, so every window is empty."""
    snap = empty_snapshot(T0 + 3 * 3_600_000 + 12 * 60_000)
    base = base_snapshot()
    return replace(
        snap,
        source=base.source,
        components=base.components,
        breakers=base.breakers,
        bootstrap_ms=254.0,
        bootstrap_band="acceptable",
        alerts=base.alerts,
    )


def session_for(
    snapshot: MetricsSnapshot, lines: list[Entry | ParseError] | None = None, **kwargs: Any
) -> StaticSession:
    return StaticSession(snapshot, seed_lines() if lines is None else lines, **kwargs)
