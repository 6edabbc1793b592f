"""SPEC 11's gauges: each one's value is the `-b --json` report's figure in base units, parsed back."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from execlog_tui.core.engine import MetricsEngine
from execlog_tui.exporter.metrics import scrape_engine
from execlog_tui.exporter.server import render
from execlog_tui.pipeline import read_history
from execlog_tui.sources.logset import discover

from .helpers import gauges_from_json, gauges_only, key, samples

ROOT = Path(__file__).resolve().parents[3]
SETS = [ROOT / "sample_logs" / "seed_sample.log", ROOT / "sample_logs" / "rotated"]
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def batch_json(path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "-b", "--json", str(path)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def exposition(path: Path, accept: str | None = None) -> tuple[str, str]:
    engine = MetricsEngine()
    read_history(discover([str(path)]), engine)
    body, content_type = render(scrape_engine(engine), accept)
    return body.decode(), content_type


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_each_gauge_is_the_batch_reports_figure(path: Path) -> None:
    expected = gauges_from_json(batch_json(path))
    text, content_type = exposition(path)
    assert content_type.startswith("text/plain; version=0.0.4")
    got = samples(text)
    assert gauges_only(got) == expected
    assert got == expected  # a report that does not follow has no counters (SPEC 11)


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_openmetrics_by_the_accept_header(path: Path) -> None:
    expected = gauges_from_json(batch_json(path))
    text, content_type = exposition(path, OPENMETRICS)
    assert content_type.startswith("application/openmetrics-text")
    assert text.endswith("# EOF\n")
    assert samples(text, openmetrics=True) == expected
    assert "# UNIT execlog_response_seconds seconds" in text


def test_null_figures_have_no_sample() -> None:
    """The seed's 1m window has no cache lookup and no memory figure: absent, never NaN; so is their band."""
    text, _ = exposition(SETS[0])
    got = samples(text)
    assert key("execlog_cache_hit_ratio", window="1m") not in got
    assert key("execlog_cache_hit_ratio", window="5m") in got
    assert not [k for k in got if k[0] in ("execlog_memory_bytes", "execlog_memory_max_bytes")]
    assert not [k for k in got if k[0] == "execlog_band" and ("figure", "cache_hit_rate") in k[1]]
    assert not [k for k in got if k[0] == "execlog_band" and ("figure", "memory_usage") in k[1]]
    assert all(math.isfinite(v) for v in got.values())
    assert "NaN" not in text
    # The seed's memory_learning run is still running at its last entry: it has a sample; the others not.
    running = {dict(k[1])["path"]: v for k, v in got.items() if k[0] == "execlog_critical_path_running_seconds"}
    assert list(running) == ["memory_learning"]


def test_empty_set_gauges(tmp_path: Path) -> None:
    """Before any entry: rates 0, breakers none, every null figure absent."""
    (tmp_path / "execution.log").write_text("")
    text, _ = exposition(tmp_path / "execution.log")
    got = samples(text)
    assert got[key("execlog_requests_per_second", window="1m")] == 0.0
    assert key("execlog_last_entry_timestamp_seconds") not in got
    assert key("execlog_bootstrap_seconds") not in got
    assert got[key("execlog_degraded")] == 0.0
    assert got[key("execlog_breakers_not_closed", component="OTHER")] == 0.0


def _cap_log(path: Path) -> None:
    """120 components past the known ones, each with three errors in 10 s (their breakers open), and a
    CRITICAL of the 110th: only the first 100 tracked have breaker gauges and alert labels."""
    lines = []
    for i in range(120):
        for k in range(3):
            lines.append(f"2025-09-09T10:00:{k:02d}.{i:03d}Z|C{i:03d}|CALL|5|FAILURE|boom")
    lines.append("2025-09-09T10:00:05.000Z|C110|CALL|5|CRITICAL|down")
    lines.append("2025-09-09T10:00:05.001Z|C005|CALL|5|CRITICAL|down")
    lines.sort()
    path.write_text("\n".join(lines) + "\n")


def test_the_first_100_components_and_other(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    _cap_log(log)
    doc = batch_json(log)
    assert len(doc["breakers"]) == 120  # the engine tracks them all (its cap is 1,000)
    text, _ = exposition(log)
    got = samples(text)
    comps = {dict(k[1])["component"] for k in got if k[0] == "execlog_breaker_state"}
    assert comps == {f"C{i:03d}" for i in range(100)}  # in the order received: C000's lines come first
    assert got[key("execlog_breaker_state", component="C042", state="open")] == 1.0
    # The 20 past the first 100 have open breakers: counted under OTHER, no breaker gauge, no alert label.
    assert got[key("execlog_breakers_not_closed", component="OTHER")] == 20.0
    alerts = {dict(k[1])["alert"] for k in got if k[0] == "execlog_alert_firing"}
    assert "breaker:C099" in alerts and "breaker:C100" not in alerts
    assert "critical:C005" in alerts and "critical:C110" not in alerts
    assert {a for a in alerts if not a.startswith(("breaker:", "critical:"))} == {"error_rate"}

    # Everything else is the report's figure.
    def past_100(k: tuple) -> bool:
        labels = dict(k[1])
        comp = labels.get("component") or labels.get("alert", "").partition(":")[2]
        return comp.startswith("C") and int(comp[1:]) >= 100

    expected = {k: v for k, v in gauges_from_json(doc).items() if not past_100(k)}
    expected[key("execlog_breakers_not_closed", component="OTHER")] = 20.0
    assert got == expected
