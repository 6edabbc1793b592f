"""SPEC 4: at most MONITORING.max_components distinct components are tracked, the rest fold into OTHER."""

from __future__ import annotations

from pathlib import Path

import pytest

from execlog_tui.core.breakers import BreakerTracker
from execlog_tui.core.components import ComponentCap
from execlog_tui.core.config import BreakerRules
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.timefmt import format_ts

from ..cli.helpers import PATHS, batch_json

BASE = 1_757_412_000_000  # 2025-09-09T10:00:00Z


def _write(path: Path, n: int, action: str = "CALL", status: str = "SUCCESS", step_ms: int = 7) -> Path:
    with path.open("w") as f:
        for i in range(n):
            f.write(f"{format_ts(BASE + i * step_ms)}|C{i}|{action}|{i % 50 + 1}|{status}|ok\n")
        # The known components and a literal OTHER, after the cap is full.
        t = format_ts(BASE + n * step_ms)
        f.write(f"{t}|CACHE|HIT|3|SUCCESS|known\n{t}|other|CALL|4|CRITICAL|literal\n")
    return path


@pytest.mark.parametrize("env", PATHS)
def test_1001_components_fold_into_other_with_a_warning(tmp_path: Path, env: dict[str, str] | None) -> None:
    log = _write(tmp_path / "execution.log", 1_005)
    _out, d = batch_json(str(log), env=env)
    comps = d["components"]
    assert "C999" in comps and "C1000" not in comps and "C1004" not in comps
    assert "CACHE" in comps  # a known component is always tracked
    assert comps["OTHER"]["entries"] == 6  # C1000..C1004 and the literal OTHER
    assert comps["OTHER"]["errors"] == 1
    assert len(comps) == 1_000 + 2  # the first 1,000, CACHE, OTHER
    assert "OTHER" not in d["breakers"] and "C1000" not in d["breakers"]
    assert not any(a["name"] == "critical:OTHER" for a in d["alerts"])  # no alerts of its own
    warnings = [w["message"] for w in d["source"]["warnings"]]
    assert any("5 components beyond the first 1,000 folded into OTHER" in w for w in warnings), warnings


@pytest.mark.parametrize("env", PATHS)
def test_breakers_beyond_the_cap_do_not_exist(tmp_path: Path, env: dict[str, str] | None) -> None:
    log = _write(tmp_path / "execution.log", 3_000, action="CIRCUIT_OPEN", status="FAILURE")
    _out, d = batch_json(str(log), env=env)
    assert len(d["breakers"]) == 1_001  # C0..C999 and CACHE
    assert d["breakers"]["C999"]["state"] == "OPEN"
    assert any("2,000 components beyond" in w["message"] for w in d["source"]["warnings"])


def test_the_cap_is_configurable(tmp_path: Path) -> None:
    log = _write(tmp_path / "execution.log", 20)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("MONITORING:\n  max_components: 5\n")
    _out, d = batch_json("--config", str(cfg), str(log))
    assert sorted(c for c in d["components"] if c[1:].isdigit()) == ["C0", "C1", "C2", "C3", "C4"]
    assert d["components"]["OTHER"]["entries"] == 16


def test_cap_counts_distinct_folded_names_only() -> None:
    cap = ComponentCap(2, ("API",))
    assert [cap.fold(c) for c in ("A", "API", "B", "C", "C", "OTHER", "D")] == [
        "A",
        "API",
        "B",
        "OTHER",
        "OTHER",
        "OTHER",
        "OTHER",
    ]
    assert cap.folded == 2 and cap.order == ["A", "API", "B"]


def test_engine_memory_is_bounded_by_the_cap() -> None:
    """100,000 distinct components through the per-line path: the per-component state stays at the cap."""
    e = MetricsEngine()
    e.feed_lines([f"{format_ts(BASE + i)}|Z{i}|CALL|5|FAILURE|x" for i in range(100_000)])
    assert len(e.breakers.breakers) == 1_000
    assert len(e.components.tracked) == 1_000
    snap = e.snapshot()
    assert len(snap.components) == 1_001 and snap.components["OTHER"].entries == 99_000


def test_breakers_keep_their_half_open_set_as_they_change() -> None:
    """The fast path watches the inferred HALF_OPEN breakers: the tracker keeps that set as states
    change (a heap of timers, a set), so reading it costs what changed, not every breaker (the bench
    bench_hostile.py times 100k breakers)."""
    t = BreakerTracker(BreakerRules())
    for i in range(2_000):
        for k in range(3):
            t.observe(f"B{i}", "CALL", i * 10 + k, True, True)
    assert t.next_timer() == 30_002
    t.tick(30_002 + 9_990)  # B0..B999 are due by then
    assert t.half_open_inferred == {f"B{i}" for i in range(1_000)}
    assert t.next_timer() == 30_002 + 10_000
    t.observe("B3", "CALL", 40_000, False, True)  # the test passes: CLOSED
    t.observe("B4", "CIRCUIT_CLOSE", 40_000, False, True)  # explicit from now on
    assert "B3" not in t.half_open_inferred and "B4" not in t.half_open_inferred
    assert len(t.half_open_inferred) == 998
    t.tick(10**9)
    assert len(t.half_open_inferred) == 1_998 and t.next_timer() is None
