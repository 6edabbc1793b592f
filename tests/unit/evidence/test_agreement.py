"""Every figure's evidence is exactly what the figure counted: on random logs (late entries, bucket
edges, a rotated set, `--at`), the evidence's rows give back the figure of the same report."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from execlog_tui.core.config import Config
from execlog_tui.core.entry import memory_figure
from execlog_tui.core.snapshot import MetricsSnapshot
from execlog_tui.core.windows import WINDOW_NAMES, duration_bin
from execlog_tui.evidence import EvidenceResult, collect_batch
from execlog_tui.sources.logset import discover
from tests.unit.cli.helpers import run
from tests.unit.evidence.gen import random_log, write_set

BIG = 10**9


def _evidence(path: Path, figure: str, window: str | None, at: int | None) -> tuple[EvidenceResult, MetricsSnapshot]:
    result, snap = collect_batch(discover([str(path)]), Config(), figure, window, at, limit=BIG)
    assert not result.truncated
    return result, snap


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _mean(rows: list) -> float | None:
    return sum(r.duration_ms for r in rows) / len(rows) if rows else None


def check_all(path: Path, at: int | None) -> None:
    for window in WINDOW_NAMES:
        req, snap = _evidence(path, "requests", window, at)
        w = snap.windows[window]
        assert req.total == w.entries, window
        assert req.as_of == snap.as_of
        lines = [(r.file, r.line) for r in req.rows]
        assert len(set(lines)) == len(lines)
        assert all(Path(r.file).exists() and r.line >= 1 for r in req.rows)
        err, _ = _evidence(path, "error_rate", window, at)
        assert err.total == w.errors, window
        rt, _ = _evidence(path, "response_time", window, at)
        assert _close(_mean(rt.rows), w.avg_response_ms), window
        p95, _ = _evidence(path, "p95", window, at)
        marked = [r for r in p95.rows if r.mark == "p95"]
        if w.p95_response_ms is None:
            assert p95.total == 0 and not marked
        else:
            assert len(marked) == 1
            assert duration_bin(marked[0].duration_ms) == duration_bin(w.p95_response_ms), window
        cache, _ = _evidence(path, "cache_hit_rate", window, at)
        hits = sum(r.mark == "HIT" for r in cache.rows)
        assert cache.total == hits + sum(r.mark == "MISS" for r in cache.rows)
        assert _close(100.0 * hits / cache.total if cache.total else None, w.cache_hit_rate), window
        mem, _ = _evidence(path, "memory", window, at)
        newest = [r for r in mem.rows if r.mark and "newest" in r.mark]
        largest = [r for r in mem.rows if r.mark and "max" in r.mark]
        values = [memory_figure(r.raw.split("|", 5)[5]) for r in mem.rows]
        assert (max(values) if values else None) == w.memory_max_mb
        assert (memory_figure(newest[0].raw.split("|", 5)[5]) if newest else None) == w.memory_mb, window
        assert len(newest) == len(largest) == (1 if mem.total else 0)
    _, snap = _evidence(path, "requests", None, at)
    for name, comp in snap.components.items():
        ev, _ = _evidence(path, f"component:{name}", None, at)
        assert ev.window == "1d"
        assert ev.total == comp.entries, name
        assert _close(_mean(ev.rows), comp.avg_ms)
        assert max(r.duration_ms for r in ev.rows) == comp.max_ms
    for name, br in snap.breakers.items():
        ev, _ = _evidence(path, f"breaker:{name}", None, at)
        assert sum(r.mark == "CLOSED->OPEN" for r in ev.rows) == br.opened, name
        assert all(r.mark for r in ev.rows)
    boot, _ = _evidence(path, "bootstrap", None, at)
    marked = [r for r in boot.rows if r.mark == "bootstrap_ms"]
    assert (marked[-1].duration_ms if marked else None) == snap.bootstrap_ms
    for alert in {a.name: a for a in snap.alerts}.values():
        latest = max((a for a in snap.alerts if a.name == alert.name), key=lambda a: a.fired)
        ev, _ = _evidence(path, f"alert:{alert.name}", None, at)
        assert ev.as_of == latest.fired
        assert all(r.ts is not None and r.ts <= latest.fired for r in ev.rows)
        if alert.name.startswith(("breaker:", "critical:")):
            assert sum(r.mark == "fired" for r in ev.rows) == 1, alert.name
            continue
        if alert.name.startswith("stuck:"):
            # The run from its start, which matches the path's first checkpoint, to the second it fired.
            first = ev.rows[0]
            assert first.ts is not None and latest.value is not None
            assert first.mark == "START" and _close((latest.fired - first.ts) / 1000, latest.value)
            continue
        counted = [r for r in ev.rows if r.mark]
        if alert.name == "error_rate":
            assert _close(100.0 * len(counted) / ev.total, latest.value)
        elif alert.name == "response_time":
            assert _close(_mean(counted), latest.value)
        elif alert.name == "cache_hit_rate":
            hits = sum(r.mark == "HIT" for r in counted)
            assert _close(100.0 * hits / len(counted), latest.value)
        elif alert.name == "memory_usage":
            newest = max(enumerate(counted), key=lambda ir: (ir[1].ts, ir[0]))[1]
            assert memory_figure(newest.raw.split("|", 5)[5]) == latest.value


# Each example reads its set some fifty times (one report per figure and window): few examples, and no
# shrinking (a failure names its seed, which gen.random_log turns back into the log).
@settings(
    max_examples=20,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 120),
    split=st.floats(0, 1),
    gz=st.booleans(),
    at_pick=st.one_of(st.none(), st.floats(0, 1)),
)
def test_every_figure_agrees_with_its_evidence(
    tmp_path_factory: pytest.TempPathFactory, seed: int, n: int, split: float, gz: bool, at_pick: float | None
) -> None:
    rnd = random.Random(seed)
    lines = random_log(rnd, n)
    path = write_set(tmp_path_factory.mktemp("set"), lines, int(split * len(lines)), gz)
    at = None
    if at_pick is not None:
        stamps = [int(x) for x in (_ts(line) for line in lines) if x is not None]
        if stamps:
            at = min(stamps) + int(at_pick * (max(stamps) - min(stamps)))
    check_all(path, at)


def _ts(line: str) -> int | None:
    from execlog_tui.core.parser import line_timestamp

    return line_timestamp(line)


def test_the_cli_twin_counts_what_the_cli_report_counts(tmp_path: Path) -> None:
    """`-b --evidence --json` totals against `-b --json`'s figures, through the command itself."""
    rnd = random.Random(11)
    path = write_set(tmp_path / "set", random_log(rnd, 400), 250, gz=True)
    report = json.loads(run("-b", "--json", str(path)).stdout)
    for window in WINDOW_NAMES:
        for figure, key in (("requests", "entries"), ("error_rate", "errors")):
            out = run("-b", "--json", "--evidence", figure, "--window", window, "--limit", "100000", str(path))
            assert out.returncode == 0, out.stderr
            doc = json.loads(out.stdout)
            assert doc["total"] == report["windows"][window][key], (figure, window)
            assert len(doc["entries"]) == doc["total"]
            assert doc["as_of"] == report["as_of"]
    for name, comp in report["components"].items():
        doc = json.loads(run("-b", "--json", "--evidence", f"component:{name}", "--limit", "100000", str(path)).stdout)
        assert doc["total"] == comp["entries"], name
