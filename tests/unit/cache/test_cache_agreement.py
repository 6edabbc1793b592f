"""SPEC 12: every figure is the same with a cold cache, a warm one, no cache and workers, for any
configuration: feed plans on random rotated sets, compared with reading the archives."""

from __future__ import annotations

import dataclasses
import gzip
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execlog_tui.cache.plans import Plans
from execlog_tui.cache.store import CacheStore
from execlog_tui.core.config import BreakerRules, Config, MonitoringConfig
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.pipeline import read_history
from execlog_tui.sources.logset import discover
from tests.unit.replay.test_replay_property import logs

pytestmark = pytest.mark.skipif(not Plans.usable(), reason="the C scanner is not built")

WALL = 1_757_500_000_000  # after every generated line: none is from the future

CONFIGS = {
    "default": Config(),
    # Other breaker rules and a small component cap: runs planned under the defaults meet other timers,
    # other HALF_OPEN breakers and folded components.
    "other": dataclasses.replace(
        Config(),
        breaker=BreakerRules(failures=2, window_s=30.0, half_open_after_s=7.0),
        monitoring=dataclasses.replace(MonitoringConfig(), max_components=12),
    ),
}


def write_rotated(d: Path, lines: list[str], cuts: list[int]) -> None:
    """Archives .N.gz ... .1.gz (oldest first in the lines) and the live file with the rest."""
    bounds = sorted({min(c, len(lines)) for c in cuts})
    pieces, start = [], 0
    for b in bounds:
        if b > start:
            pieces.append(lines[start:b])
        start = max(start, b)
    live = lines[start:]
    for age, piece in enumerate(reversed(pieces), start=1):
        with gzip.open(d / f"execution.log.{age}.gz", "wt") as f:
            f.write("".join(x + "\n" for x in piece))
    (d / "execution.log").write_text("".join(x + "\n" for x in live))


def report(d: Path, config: Config, plans: Plans | None) -> dict:
    engine = MetricsEngine(config, wall_ms=WALL)
    read_history(discover([str(d)]), engine, plans=plans)
    return snapshot_to_json(engine.snapshot())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=logs(),
    cuts=st.lists(st.integers(0, 400), min_size=1, max_size=4),
    planned_under=st.sampled_from(sorted(CONFIGS)),
    read_under=st.sampled_from(sorted(CONFIGS)),
)
def test_cold_warm_and_no_cache_agree(lines: list[str], cuts: list[int], planned_under: str, read_under: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "logs"
        d.mkdir()
        write_rotated(d, lines, cuts)
        config = CONFIGS[read_under]
        reference = report(d, config, None)
        store = CacheStore(Path(tmp) / "cache")
        # Cold, in this process (recording while reading), under one configuration ...
        cold = report(d, CONFIGS[planned_under], Plans(CONFIGS[planned_under], 64 * 1024, store, 1))
        if planned_under == read_under:
            assert cold == reference
        # ... then warm under the other (the plans hold nothing of thresholds or breaker rules).
        archives = len(list(d.glob("*.gz")))
        plans = Plans(config, 64 * 1024, store, 1)
        assert report(d, config, plans) == reference
        if planned_under == read_under and archives:
            assert plans.stats.state_hit  # the engine's state after the archives: none was read
        # Without the kept states: every archive's plan, applied under this configuration.
        shutil.rmtree(Path(tmp) / "cache" / "state", ignore_errors=True)
        shutil.rmtree(Path(tmp) / "cache" / "live", ignore_errors=True)
        plans = Plans(config, 64 * 1024, store, 1)
        assert report(d, config, plans) == reference
        assert plans.stats.hits == archives and plans.stats.built == 0 and not plans.stats.state_hit


def test_workers_build_the_same_plans(tmp_path: Path) -> None:
    """Two worker processes, cold then warm, on a set whose archives hold breaker cycles, late lines,
    parse errors and fractional durations: the same report as reading, and the plans kept."""
    import random

    rng = random.Random(7)
    t = 1_757_412_000_000
    lines = []
    for i in range(20_000):
        t += rng.choice((0, 1, 5, 20, 200))
        comp = rng.choice(("API", "DB", "CACHE", "AUTH"))
        ts = f"{t // 1000}"
        from execlog_tui.core.timefmt import format_ts

        ts = format_ts(t)
        r = rng.random()
        if r < 0.01:
            lines.append(f"{ts}|{comp}|CALL|5|FAILURE|boom")
        elif r < 0.012:
            lines.append("garbage")
        elif r < 0.015:
            lines.append(f"{format_ts(t - 5000)}|{comp}|CALL|3|SUCCESS|late")
        elif r < 0.02:
            lines.append(f"{ts}|{comp}|CALL|2.5|SUCCESS|f")
        elif r < 0.03:
            lines.append(f"{ts}|MEMORY|USAGE|0|INFO|rss_mb={rng.randint(40, 120)}")
        else:
            lines.append(f"{ts}|{comp}|CALL|{rng.randint(0, 300)}|SUCCESS|ok i={i}")
    d = tmp_path / "logs"
    d.mkdir()
    write_rotated(d, lines, [4000, 9000, 15000])
    reference = report(d, Config(), None)
    store = CacheStore(tmp_path / "cache")
    cold = Plans(Config(), 64 * 1024, store, 2)
    assert report(d, Config(), cold) == reference
    assert cold.stats.built == 3 and cold.stats.hits == 0
    warm = Plans(Config(), 64 * 1024, store, 2)
    assert report(d, Config(), warm) == reference
    assert warm.stats.state_hit and warm.stats.hits == 0
    shutil.rmtree(tmp_path / "cache" / "state")
    shutil.rmtree(tmp_path / "cache" / "live")
    warm = Plans(Config(), 64 * 1024, store, 2)
    assert report(d, Config(), warm) == reference
    assert warm.stats.hits == 3 and not warm.stats.state_hit
    # Without a store the workers still read the archives side by side.
    assert report(d, Config(), Plans(Config(), 64 * 1024, None, 2)) == reference
    # Plans made under the defaults, read under other breaker rules and a small component cap: some
    # runs meet timers, HALF_OPEN breakers or folded components they were not planned for and are fed
    # from their raw lines; the report is still the one reading gives.
    other = CONFIGS["other"]
    replanned = Plans(other, 64 * 1024, store, 2)
    assert report(d, other, replanned) == report(d, other, None)
    assert replanned.stats.hits == 3 and replanned.stats.fed_raw > 0
    assert not replanned.stats.state_hit  # a kept state is for the configuration it was made with
