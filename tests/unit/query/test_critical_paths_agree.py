"""The critical_paths report agrees with the engine's stages (what `-b --json` prints under critical_paths).

Random logs: the replay property test's generator (bursts, late lines, parse errors, fractional durations,
CACHE hits and misses, BOOTSTRAP/COMPLETE ...) with checkpoint entries of the configured paths mixed in (any
status, either case, VALIDATE for VALIDATION), in a real rotated set (a gzip archive and the live file). Every
generated log spans less than a day, so the 1d window as of the newest entry holds all of it: its stages are
the report over the whole set. Counts are equal; the mean agrees to float rounding; the engine's p95 comes
from a histogram (SPEC 10: within 2 % or 1 ms of the exact nearest rank the SQL computes).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execlog_tui.core.config import Config, CriticalPath
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.core.timefmt import format_ts
from execlog_tui.pipeline import read_history
from execlog_tui.query import run_query
from execlog_tui.sources.logset import discover
from tests.unit.replay.test_replay_property import T0, logs, write_set

from .conftest import SEED

DEFAULT = Config()
# A path on the generator's busiest line (API/CALL), so its checkpoint falls inside the engine's dense runs.
CUSTOM = Config(
    critical_paths=(
        CriticalPath.of("api", "API", ("CALL", "VALIDATION", "DONE")),
        CriticalPath.of("cache_operations", "CACHE", ("LOOKUP", "HIT_MISS", "COMPLETE")),
        CriticalPath.of("bootstrap", "BOOTSTRAP", ("START", "COMPLETE"), 1_000),
    )
)
STATUSES = ("SUCCESS", "INFO", "WARNING", "DEBUG", "FAILURE", "TIMEOUT", "ERROR", "CRITICAL", "RETRY")


@st.composite
def with_checkpoints(draw: st.DrawFn, config: Config) -> list[str]:
    lines = draw(logs())
    actions = [(p.component, a) for p in config.critical_paths for c in p.checkpoints for a in c.actions]
    t = T0 + draw(st.integers(0, 120_000))
    for _ in range(draw(st.integers(1, 60))):
        t += draw(st.integers(0, 2_500))
        component, action = draw(st.sampled_from(actions))
        if draw(st.booleans()):
            component, action = component.lower(), action.lower()  # read in upper case
        dur = draw(st.integers(0, 600))
        text = f"{dur}.5" if draw(st.booleans()) else str(dur)
        at = t - draw(st.integers(1, 90_000)) if draw(st.integers(0, 9)) == 0 else t  # now and then late
        line = f"{format_ts(at)}|{component}|{action}|{text}|{draw(st.sampled_from(STATUSES))}|cp"
        lines.insert(draw(st.integers(0, len(lines))), line)
    return lines


def engine_stages(paths: list[str], config: Config) -> dict:
    """`-b --json`'s critical_paths: the engine fed the whole set, as of its newest entry (cli.run_batch)."""
    engine = MetricsEngine(config)
    read_history(discover(paths), engine)
    return snapshot_to_json(engine.snapshot())["critical_paths"]


def report(paths: list[str], config: Config | None) -> dict[tuple[str, str], dict]:
    res = run_query(paths, "critical_paths", config=config)
    return {(r[0], r[1]): dict(zip(res.columns, r, strict=True)) for r in res.rows}


def assert_agree(engine: dict, sql: dict[tuple[str, str], dict], config: Config) -> None:
    assert list(engine) == [p.name for p in config.critical_paths]
    assert list(sql) == [(p.name, c.name) for p in config.critical_paths for c in p.checkpoints]
    for name, path in engine.items():
        for stage in path["stages"]["1d"]:
            row = sql[(name, stage["checkpoint"])]
            assert (stage["entries"], stage["errors"]) == (row["entries"], row["errors"]), (name, stage, row)
            assert (stage.get("hits"), stage.get("misses")) == (row["hits"], row["misses"]), (name, stage, row)
            if row["entries"] == 0:
                assert stage["avg_ms"] is None and stage["p95_ms"] is None
                continue
            assert math.isclose(stage["avg_ms"], row["avg_ms"], rel_tol=1e-9, abs_tol=1e-9), (name, stage, row)
            exact = row["p95_ms"]
            assert abs(stage["p95_ms"] - exact) <= max(0.02 * exact, 1.0), (name, stage, row)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), cut=st.integers(0, 400), custom=st.booleans())
def test_generated_logs_engine_stages_equal_the_report(data: st.DataObject, cut: int, custom: bool) -> None:
    config = CUSTOM if custom else DEFAULT
    lines = data.draw(with_checkpoints(config))
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_set(d, lines, cut)
        engine = engine_stages([str(d)], config)
        assert_agree(engine, report([str(d)], config), config)


def test_batch_json_on_the_seed_sample_equals_the_report() -> None:
    # The real `-b --json` (a process, as users run it) against `--query critical_paths --format json`.
    def run(*args: str) -> object:
        done = subprocess.run(
            [sys.executable, "-m", "execlog_tui", *args, str(SEED)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0 and done.stderr == "", done.stderr
        return json.loads(done.stdout)

    engine = run("-b", "--json")["critical_paths"]  # type: ignore[index]
    rows = run("--query", "critical_paths", "--format", "json")
    assert_agree(engine, {(r["path"], r["checkpoint"]): r for r in rows}, DEFAULT)  # type: ignore[union-attr]
    assert engine["cache_operations"]["stages"]["1d"][1] == {  # type: ignore[index]
        "checkpoint": "HIT_MISS",
        "entries": 2,
        "errors": 0,
        "avg_ms": 0.0,
        "p95_ms": 0.0,
        "hits": 1,
        "misses": 1,
    }
