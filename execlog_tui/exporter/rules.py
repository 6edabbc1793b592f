"""`execlog-top --prometheus-rules`: a Prometheus rules file from the configuration (SPEC 11).

Alerting rules: one per configured condition over the 1m window's gauges (so a host's alerts in
Prometheus are its dashboard's), breaker:*, critical:* (the engine's own alerts, through
`execlog_alert_firing`), stuck:* for the paths with a timeout, degraded mode and a quiet log. Recording
rules aggregate the counters and the histogram over instances. Severity comes from the band the
condition's firing values fall in.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from execlog_tui.core.config import Condition, Config
from execlog_tui.core.critical_paths import stuck_alert_name, timeout_text
from execlog_tui.core.grammar import ERROR_STATUSES
from execlog_tui.exporter.metrics import MB

QUIET_AFTER_S = 300  # the 5m window: a log that wrote nothing in it is quiet
GROUP_ALERTS = "execlog-top"
GROUP_FLEET = "execlog-top-fleet"
SEVERITY_OF_BAND = {"error": "critical", "warning": "warning", "acceptable": "info", "optimal": "info"}


@dataclass(frozen=True, slots=True)
class Gauge:
    """How a condition's figure reads as a gauge: its selector, the configuration's unit to the base
    unit (times `multiply`, divided by `divide`: the exporter's own arithmetic, so 70 % is 0.7, not
    0.7000000000000001), and how the summary prints the value."""

    selector: str
    multiply: float
    divide: float
    shown: str  # a Go template pipeline on $value

    def threshold(self, value: float) -> float:
        return value * self.multiply / self.divide


GAUGE_OF: dict[str, Gauge] = {
    "error_rate": Gauge('execlog_error_ratio{window="1m"}', 1.0, 100.0, "humanizePercentage"),
    "cache_hit_rate": Gauge('execlog_cache_hit_ratio{window="1m"}', 1.0, 100.0, "humanizePercentage"),
    "memory_usage": Gauge('execlog_memory_bytes{window="1m"}', MB, 1.0, "humanize1024"),
    "response_time": Gauge('execlog_response_seconds{window="1m",stat="avg"}', 1.0, 1000.0, "humanizeDuration"),
    "p95_response_time": Gauge('execlog_response_seconds{window="1m",stat="p95"}', 1.0, 1000.0, "humanizeDuration"),
    "bootstrap": Gauge("execlog_bootstrap_seconds", 1.0, 1000.0, "humanizeDuration"),
    "requests_per_second": Gauge('execlog_requests_per_second{window="1m"}', 1.0, 1.0, 'printf "%.2f/s"'),
}
# The band table (THRESHOLDS) of each condition's figure, where it has one (SPEC 5).
BANDS_OF = {
    "cache_hit_rate": "cache_hit_rate",
    "memory_usage": "memory_usage",
    "response_time": "response_time",
    "bootstrap": "bootstrap",
}


def _camel(name: str) -> str:
    """An alert name's part (Prometheus: [a-zA-Z_][a-zA-Z0-9_]*): `cache_operations` -> CacheOperations."""
    words = re.split(r"[^0-9A-Za-z]+", name)
    return "".join(w[:1].upper() + w[1:] for w in words if w)


def _string(value: str) -> str:
    """A PromQL string literal (a path's name comes from the configuration: quotes are escaped)."""
    return json.dumps(value)


def _number(value: float) -> str:
    """A threshold in PromQL: the shortest text that reads back as the same float."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def severity(config: Config, cond: Condition) -> str:
    """From the band of the values the condition fires on (the value just inside its region): `error`
    is critical, `warning` a warning. Error rate has no bands and is shown as `error` while its alert
    fires (SPEC 5): critical. Figures without bands: warning."""
    if cond.name == "error_rate":
        return "critical"
    table = BANDS_OF.get(cond.name)
    bands = config.thresholds.get(table) if table is not None else None
    if bands is None:
        return "warning"
    probe = cond.value
    if cond.op == ">":
        probe = math.nextafter(probe, math.inf)
    elif cond.op == "<":
        probe = math.nextafter(probe, -math.inf)
    band = bands.classify(probe)
    return SEVERITY_OF_BAND.get(band or "", "warning")


def condition_rule(config: Config, cond: Condition, name: str) -> dict[str, Any]:
    gauge = GAUGE_OF[cond.name]
    threshold = gauge.threshold(cond.value)
    return {
        "alert": name,
        "expr": f"{gauge.selector} {cond.op} {_number(threshold)}",
        "labels": {"severity": severity(config, cond), "execlog_alert": cond.name},
        "annotations": {
            "summary": f"{{{{ $labels.instance }}}}: {cond.name.replace('_', ' ')} {{{{ $value | {gauge.shown} }}}}"
            f" ({cond.text})",
            "description": f"{cond.text} over the 1m window on {{{{ $labels.instance }}}}, as its dashboard's "
            f"{cond.name} alert.",
        },
    }


def alerting_rules(config: Config) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    names: dict[str, int] = {}
    for cond in config.monitoring.conditions:
        base = f"Execlog{_camel(cond.name)}"
        names[base] = names.get(base, 0) + 1
        name = base if names[base] == 1 else f"{base}{names[base]}"
        rules.append(condition_rule(config, cond, name))
    rules.append(
        {
            "alert": "ExeclogBreakerOpen",
            "expr": 'label_replace(execlog_alert_firing{alert=~"breaker:.+"} == 1, '
            '"component", "$1", "alert", "breaker:(.+)")',
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": "{{ $labels.instance }}: the {{ $labels.component }} circuit breaker opened",
                "description": "breaker:{{ $labels.component }} fires from OPEN until the breaker is CLOSED again.",
            },
        }
    )
    rules.append(
        {
            "alert": "ExeclogBreakersOpenOther",
            "expr": 'execlog_breakers_not_closed{component="OTHER"} > 0',
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": "{{ $labels.instance }}: {{ $value }} breaker(s) not CLOSED past the first 100 components",
                "description": "Components past the first 100 have no labels of their own: see the host's dashboard.",
            },
        }
    )
    rules.append(
        {
            "alert": "ExeclogCritical",
            "expr": 'label_replace(execlog_alert_firing{alert=~"critical:.+"} == 1, '
            '"component", "$1", "alert", "critical:(.+)")',
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": "{{ $labels.instance }}: {{ $labels.component }} logged CRITICAL",
                "description": "critical:{{ $labels.component }} fires at a CRITICAL entry and resolves once the 1m "
                "window holds none of that component.",
            },
        }
    )
    for path in config.critical_paths:
        if path.timeout_ms is None:
            continue
        rules.append(
            {
                "alert": f"ExeclogStuck{_camel(path.name)}",
                "expr": f"execlog_critical_path_running_seconds{{path={_string(path.name)}}} > "
                f"{_number(path.timeout_ms / 1000)}",
                "labels": {"severity": "warning", "execlog_alert": stuck_alert_name(path.name)},
                "annotations": {
                    "summary": f"{{{{ $labels.instance }}}}: a {path.name} run has been running for "
                    f"{{{{ $value | humanizeDuration }}}} (> {timeout_text(path.timeout_ms)})",
                    "description": f"{stuck_alert_name(path.name)}: its run reached no last checkpoint in time.",
                },
            }
        )
    rules.append(
        {
            "alert": "ExeclogDegraded",
            "expr": "execlog_degraded == 1",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "{{ $labels.instance }}: degraded mode",
                "description": "The 1m cache hit rate is below the degraded trigger, or the log says it entered "
                "degraded mode.",
            },
        }
    )
    rules.append(
        {
            "alert": "ExeclogQuiet",
            "expr": f"time() - execlog_last_entry_timestamp_seconds > {QUIET_AFTER_S}",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "{{ $labels.instance }}: no entry for {{ $value | humanizeDuration }}",
                "description": "The log wrote nothing in the last 5 minutes: the service or its logging may have "
                "stopped (an exporter that cannot be scraped is `up == 0`).",
            },
        }
    )
    return rules


def recording_rules() -> list[dict[str, Any]]:
    errors = "|".join(sorted(ERROR_STATUSES))
    entries = "rate(execlog_entries_total[5m])"
    failed = f'rate(execlog_entries_total{{status=~"{errors}"}}[5m])'
    buckets = "rate(execlog_operation_duration_seconds_bucket[5m])"
    lookups = "rate(execlog_cache_lookups_total[5m])"
    hits = 'rate(execlog_cache_lookups_total{result="hit"}[5m])'
    out: list[dict[str, Any]] = []
    for level, by in (("instance", "job, instance"), ("job", "job")):
        out += [
            {"record": f"{level}:execlog_entries:rate5m", "expr": f"sum by ({by}) ({entries})"},
            # No error series at all (none since start) reads as 0, not as nothing.
            {
                "record": f"{level}:execlog_error_ratio:rate5m",
                "expr": f"(sum by ({by}) ({failed}) or sum by ({by}) ({entries}) * 0) / sum by ({by}) ({entries})",
            },
            {
                "record": f"{level}:execlog_operation_duration_seconds:p95_5m",
                "expr": f"histogram_quantile(0.95, sum by ({by}, le) ({buckets}))",
            },
            {
                "record": f"{level}:execlog_cache_hit_ratio:rate5m",
                "expr": f"sum by ({by}) ({hits}) / sum by ({by}) ({lookups})",
            },
        ]
    out += [
        {"record": "component:execlog_entries:rate5m", "expr": f"sum by (component) ({entries})"},
        {
            "record": "component:execlog_operation_duration_seconds:p95_5m",
            "expr": f"histogram_quantile(0.95, sum by (component, le) ({buckets}))",
        },
    ]
    return out


def rules_document(config: Config) -> dict[str, Any]:
    return {
        "groups": [
            {"name": GROUP_ALERTS, "rules": alerting_rules(config)},
            {"name": GROUP_FLEET, "rules": recording_rules()},
        ]
    }


def rules_yaml(config: Config) -> str:
    source = config.source or "the defaults"
    head = (
        f"# Prometheus rules generated by execlog-top --prometheus-rules from {source}.\n"
        "# Check with: promtool check rules FILE\n"
    )
    return head + yaml.safe_dump(rules_document(config), sort_keys=False, width=1000, allow_unicode=True)
