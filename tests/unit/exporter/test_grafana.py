"""--grafana-dashboard: a Grafana JSON model over the metrics, a row per figure, the instance a variable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .test_cli_exporter import ENV

METRICS = (
    "execlog_requests_per_second",
    "execlog_error_ratio",
    "execlog_response_seconds",
    "execlog_cache_hit_ratio",
    "execlog_memory_bytes",
    "execlog_bootstrap_seconds",
    "execlog_critical_path_running_seconds",
    "execlog_breaker_state",
    "execlog_breakers_not_closed",
    "execlog_alert_firing",
    "execlog_degraded",
    "execlog_entries_total",
    "execlog_operation_duration_seconds_bucket",
)


def dashboard(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "--grafana-dashboard", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def targets(doc: dict) -> list[str]:
    return [t["expr"] for p in doc["panels"] for t in p.get("targets", [])]


def test_the_dashboard_model() -> None:
    doc = dashboard()
    variables = {v["name"]: v for v in doc["templating"]["list"]}
    assert variables["instance"]["includeAll"] and variables["instance"]["multi"]
    assert variables["datasource"]["type"] == "datasource"
    rows = [p["title"] for p in doc["panels"] if p["type"] == "row"]
    assert rows == ["Requests", "Errors", "Response time", "Cache", "Memory", "Bootstrap and critical paths",
                    "Breakers, alerts, degraded mode"]  # fmt: skip
    exprs = targets(doc)
    for metric in METRICS:
        assert any(metric in e for e in exprs), metric
    assert all('instance=~"$instance"' in e for e in exprs)
    ids = [p["id"] for p in doc["panels"]]
    assert len(ids) == len(set(ids))
    # Panels never overlap on the 24-column grid.
    cells = set()
    for p in doc["panels"]:
        g = p["gridPos"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, p["title"]
                cells.add((x, y))
    units = {p["title"]: p["fieldConfig"]["defaults"]["unit"] for p in doc["panels"] if p["type"] != "row"}
    assert units["Error ratio (1m window)"] == "percentunit" and units["Memory (1m window)"] == "bytes"


def test_thresholds_are_the_configurations_band_edges(tmp_path: Path) -> None:
    def steps(doc: dict, title: str) -> list:
        panel = next(p for p in doc["panels"] if p["title"] == title)
        return [(s["color"], s["value"]) for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]

    doc = dashboard()
    assert steps(doc, "Response time (1m window)") == [("green", None), ("blue", 0.05), ("orange", 0.1), ("red", 0.2)]
    assert steps(doc, "Cache hit ratio (1m window)") == [("red", None), ("orange", 0.7), ("blue", 0.8), ("green", 0.85)]
    cfg = tmp_path / "execlog.yaml"
    cfg.write_text(
        'THRESHOLDS:\n  response_time:\n    optimal: "< 20ms"\n    acceptable: "20-40ms"\n'
        '    warning: "40-90ms"\n    error: "> 90ms"\n'
    )
    assert steps(dashboard("--config", str(cfg)), "Response time (1m window)") == [
        ("green", None), ("blue", 0.02), ("orange", 0.04), ("red", 0.09)
    ]  # fmt: skip
