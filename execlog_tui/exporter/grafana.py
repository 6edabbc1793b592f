"""`execlog-top --grafana-dashboard`: a Grafana dashboard (JSON model) over SPEC 11's metrics.

One row per figure, the instance (and the Prometheus data source) as variables; the banded figures carry the
configuration's band edges as thresholds, in base units.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from execlog_tui.core.config import Bands, Config
from execlog_tui.core.grammar import ERROR_STATUSES
from execlog_tui.exporter.metrics import MB

SCHEMA_VERSION = 39
UID = "execlog-top"
SEL = 'instance=~"$instance"'
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Grafana's threshold colours, best band first (a band is also named in the panel's description).
BAND_COLOURS = ("green", "blue", "orange", "red")


def _thresholds(bands: Bands | None, to_base: Callable[[float], float], rising: bool) -> dict[str, Any] | None:
    """Grafana steps from a band table: the edges between consecutive bands, in base units. `rising`: the
    bands worsen as the value grows (response time, memory, bootstrap); else they improve (hit rate)."""
    if bands is None:
        return None
    rules = (bands.optimal, bands.acceptable, bands.warning, bands.error)
    colours = list(BAND_COLOURS if rising else reversed(BAND_COLOURS))
    edges = sorted({r.high if r.op == "-" else r.low for r in rules[:3]} if rising else {r.low for r in rules[:3]})
    steps: list[dict[str, Any]] = [{"color": colours[0], "value": None}]
    for colour, edge in zip(colours[1:], edges, strict=False):
        steps.append({"color": colour, "value": to_base(edge)})
    return {"mode": "absolute", "steps": steps}


class _Layout:
    def __init__(self) -> None:
        self.panels: list[dict[str, Any]] = []
        self.y = 0
        self.ids = 0

    def _id(self) -> int:
        self.ids += 1
        return self.ids

    def row(self, title: str) -> None:
        self.panels.append(
            {"type": "row", "id": self._id(), "title": title, "collapsed": False, "gridPos": _pos(0, self.y, 24, 1)}
        )
        self.y += 1

    def timeseries(
        self,
        title: str,
        targets: list[tuple[str, str]],
        unit: str,
        description: str,
        thresholds: dict[str, Any] | None = None,
        width: int = 24,
        x: int = 0,
    ) -> None:
        defaults: dict[str, Any] = {"unit": unit}
        if thresholds is not None:
            defaults["thresholds"] = thresholds
            defaults["custom"] = {"thresholdsStyle": {"mode": "line+area"}}
        self.panels.append(
            {
                "type": "timeseries",
                "id": self._id(),
                "title": title,
                "description": description,
                "datasource": DATASOURCE,
                "gridPos": _pos(x, self.y, width, 8),
                "fieldConfig": {"defaults": defaults, "overrides": []},
                "targets": [
                    {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend, "datasource": DATASOURCE}
                    for i, (expr, legend) in enumerate(targets)
                ],
            }
        )
        if x + width >= 24:
            self.y += 8


def _ms(v: float) -> float:
    return v / 1000


def _percent(v: float) -> float:
    return v / 100  # as the exporter divides: 70 % is 0.7


def _mb(v: float) -> float:
    return v * MB


def _pos(x: int, y: int, w: int, h: int) -> dict[str, int]:
    return {"x": x, "y": y, "w": w, "h": h}


def dashboard(config: Config) -> dict[str, Any]:
    th = config.thresholds
    errors = "|".join(sorted(ERROR_STATUSES))
    lay = _Layout()
    lay.row("Requests")
    lay.timeseries(
        "Requests/s (1m window)",
        [(f'execlog_requests_per_second{{{SEL},window="1m"}}', "{{instance}}")],
        "reqps",
        "Entries per second over the 1m window, per instance.",
        width=12,
    )
    lay.timeseries(
        "Entries read/s by component",
        [(f"sum by (component) (rate(execlog_entries_total{{{SEL}}}[5m]))", "{{component}}")],
        "reqps",
        "The counters of what was read while following, over the selected instances.",
        width=12,
        x=12,
    )
    lay.row("Errors")
    lay.timeseries(
        "Error ratio (1m window)",
        [(f'execlog_error_ratio{{{SEL},window="1m"}}', "{{instance}}")],
        "percentunit",
        "Errors (FAILURE, TIMEOUT, ERROR, CRITICAL) / entries. No bands: shown as error while its alert fires.",
        width=12,
    )
    lay.timeseries(
        "Errors read/s by component",
        [(f'sum by (component) (rate(execlog_entries_total{{{SEL},status=~"{errors}"}}[5m]))', "{{component}}")],
        "reqps",
        "Error entries read while following.",
        width=12,
        x=12,
    )
    lay.row("Response time")
    lay.timeseries(
        "Response time (1m window)",
        [
            (f'execlog_response_seconds{{{SEL},window="1m",stat="avg"}}', "avg {{instance}}"),
            (f'execlog_response_seconds{{{SEL},window="1m",stat="p95"}}', "p95 {{instance}}"),
        ],
        "s",
        "Completed operations' mean (banded) and p95.",
        _thresholds(th.get("response_time"), _ms, rising=True),
        width=12,
    )
    lay.timeseries(
        "p95 by component (histogram, 5m)",
        [
            (
                f"histogram_quantile(0.95, sum by (component, le) "
                f"(rate(execlog_operation_duration_seconds_bucket{{{SEL}}}[5m])))",
                "{{component}}",
            )
        ],
        "s",
        "From the histogram of completed operations read while following.",
        width=12,
        x=12,
    )
    lay.row("Cache")
    lay.timeseries(
        "Cache hit ratio (1m window)",
        [(f'execlog_cache_hit_ratio{{{SEL},window="1m"}}', "{{instance}}")],
        "percentunit",
        "CACHE HIT / (HIT + MISS).",
        _thresholds(th.get("cache_hit_rate"), _percent, rising=False),
    )
    lay.row("Memory")
    lay.timeseries(
        "Memory (1m window)",
        [
            (f'execlog_memory_bytes{{{SEL},window="1m"}}', "newest {{instance}}"),
            (f'execlog_memory_max_bytes{{{SEL},window="1m"}}', "max {{instance}}"),
        ],
        "bytes",
        "The memory figures the log reports (rss_mb, memory_mb, mem_mb).",
        _thresholds(th.get("memory_usage"), _mb, rising=True),
    )
    lay.row("Bootstrap and critical paths")
    lay.timeseries(
        "Bootstrap",
        [(f"execlog_bootstrap_seconds{{{SEL}}}", "{{instance}}")],
        "s",
        "The newest BOOTSTRAP/COMPLETE duration.",
        _thresholds(th.get("bootstrap"), _ms, rising=True),
        width=12,
    )
    lay.timeseries(
        "Running critical paths",
        [(f"execlog_critical_path_running_seconds{{{SEL}}}", "{{path}} {{instance}}")],
        "s",
        "How long each path's running run has been going (absent unless running).",
        width=12,
        x=12,
    )
    lay.row("Breakers, alerts, degraded mode")
    lay.timeseries(
        "Breakers not closed",
        [
            (f'execlog_breaker_state{{{SEL},state!="closed"}} == 1', "{{component}} {{state}} {{instance}}"),
            (f'execlog_breakers_not_closed{{{SEL},component="OTHER"}} > 0', "OTHER {{instance}}"),
        ],
        "short",
        "Each breaker that is open or half open; components past the first 100 as OTHER.",
        width=8,
    )
    lay.timeseries(
        "Firing alerts",
        [(f"execlog_alert_firing{{{SEL}}} == 1", "{{alert}} {{instance}}")],
        "short",
        "The engine's alerts (conditions, breaker:, critical:, stuck:) while they fire.",
        width=8,
        x=8,
    )
    lay.timeseries(
        "Degraded mode",
        [(f"execlog_degraded{{{SEL}}}", "{{instance}}")],
        "short",
        "1 while degraded mode holds.",
        width=8,
        x=16,
    )
    return {
        "uid": UID,
        "title": "execlog-top",
        "tags": ["execlog-top"],
        "timezone": "utc",
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": True,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {
            "list": [
                {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus"},
                {
                    "name": "instance",
                    "label": "instance",
                    "type": "query",
                    "datasource": DATASOURCE,
                    "query": {"query": "label_values(execlog_degraded, instance)", "refId": "instance"},
                    "definition": "label_values(execlog_degraded, instance)",
                    "refresh": 2,
                    "multi": True,
                    "includeAll": True,
                    "current": {"text": "All", "value": "$__all"},
                },
            ]
        },
        "panels": lay.panels,
    }


def dashboard_json(config: Config) -> str:
    return json.dumps(dashboard(config), indent=2) + "\n"
