"""--prometheus-rules: the configuration's conditions over the gauges, checked and unit-tested by promtool."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="needs promtool (Debian: prometheus)")

CUSTOM = """\
MONITORING:
  alerts:
    conditions:
      - error_rate > 2.5%
      - p95_response_time > 150ms
      - requests_per_second < 0.5
      - bootstrap >= 350ms
      - memory_usage > 64MB
CRITICAL_PATHS:
  deploy-run:
    - component: DEPLOY
      timeout: "45 seconds"
      checkpoints:
        - START: "begin"
        - DONE: "end"
  lookups:
    - component: CACHE
      checkpoints:
        - LOOKUP: "look"
        - HIT_MISS: "found"
"""


def rules(*args: str) -> tuple[str, dict]:
    out = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "--prometheus-rules", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout, yaml.safe_load(out.stdout)


def alerts_of(doc: dict) -> dict[str, dict]:
    return {r["alert"]: r for g in doc["groups"] for r in g["rules"] if "alert" in r}


def records_of(doc: dict) -> dict[str, str]:
    return {r["record"]: r["expr"] for g in doc["groups"] for r in g["rules"] if "record" in r}


def test_default_rules() -> None:
    _text, doc = rules()
    alerts = alerts_of(doc)
    assert alerts["ExeclogErrorRate"]["expr"] == 'execlog_error_ratio{window="1m"} > 0.05'
    assert alerts["ExeclogCacheHitRate"]["expr"] == 'execlog_cache_hit_ratio{window="1m"} < 0.7'
    assert alerts["ExeclogMemoryUsage"]["expr"] == 'execlog_memory_bytes{window="1m"} > 104857600'
    assert alerts["ExeclogResponseTime"]["expr"] == 'execlog_response_seconds{window="1m",stat="avg"} > 0.2'
    # severity from the band the firing values fall in (all four in `error` with the seed's bands)
    assert {alerts[n]["labels"]["severity"] for n in ("ExeclogCacheHitRate", "ExeclogResponseTime")} == {"critical"}
    assert alerts["ExeclogStuckBootstrap"]["expr"] == 'execlog_critical_path_running_seconds{path="bootstrap"} > 30'
    assert not [a for a in alerts if a.startswith("ExeclogStuck") and a != "ExeclogStuckBootstrap"]  # no timeout
    for name in ("ExeclogBreakerOpen", "ExeclogBreakersOpenOther", "ExeclogCritical", "ExeclogQuiet"):
        assert name in alerts
    for a in alerts.values():
        assert "{{ $labels.instance }}" in a["annotations"]["summary"]
        assert a["labels"]["severity"] in ("critical", "warning", "info")
    records = records_of(doc)
    assert records["component:execlog_entries:rate5m"] == "sum by (component) (rate(execlog_entries_total[5m]))"
    assert "histogram_quantile(0.95" in records["job:execlog_operation_duration_seconds:p95_5m"]
    assert "job:execlog_error_ratio:rate5m" in records and "job:execlog_entries:rate5m" in records


def test_rules_of_a_configuration(tmp_path: Path) -> None:
    cfg = tmp_path / "execlog.yaml"
    cfg.write_text(CUSTOM)
    text, doc = rules("--config", str(cfg))
    assert str(cfg) in text.splitlines()[0]
    alerts = alerts_of(doc)
    assert alerts["ExeclogErrorRate"]["expr"] == 'execlog_error_ratio{window="1m"} > 0.025'
    assert alerts["ExeclogP95ResponseTime"]["expr"] == 'execlog_response_seconds{window="1m",stat="p95"} > 0.15'
    assert alerts["ExeclogRequestsPerSecond"]["expr"] == 'execlog_requests_per_second{window="1m"} < 0.5'
    assert alerts["ExeclogBootstrap"]["expr"] == "execlog_bootstrap_seconds >= 0.35"
    assert alerts["ExeclogMemoryUsage"]["expr"] == 'execlog_memory_bytes{window="1m"} > 67108864'
    # Severity from the band of the values it fires on: just over 64 MB is `acceptable` (50-80MB), 350 ms
    # bootstrap `warning` (300-400ms); error rate has no bands and shows as `error` while firing.
    assert alerts["ExeclogMemoryUsage"]["labels"]["severity"] == "info"
    assert alerts["ExeclogBootstrap"]["labels"]["severity"] == "warning"
    assert alerts["ExeclogErrorRate"]["labels"]["severity"] == "critical"
    assert alerts["ExeclogP95ResponseTime"]["labels"]["severity"] == "warning"  # no bands
    assert alerts["ExeclogStuckDeployRun"]["expr"] == 'execlog_critical_path_running_seconds{path="deploy-run"} > 45'
    assert "ExeclogStuckBootstrap" not in alerts  # the configuration's paths replace the defaults
    assert "ExeclogStuckLookups" not in alerts


@needs_promtool
@pytest.mark.parametrize("custom", [False, True])
def test_promtool_checks_the_rules(custom: bool, tmp_path: Path) -> None:
    args: list[str] = []
    if custom:
        cfg = tmp_path / "execlog.yaml"
        cfg.write_text(CUSTOM)
        args = ["--config", str(cfg)]
    text, _doc = rules(*args)
    path = tmp_path / "execlog.rules.yml"
    path.write_text(text)
    check = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS" in check.stdout


UNIT_TESTS = """\
rule_files: [execlog.rules.yml]
evaluation_interval: 15s
tests:
  - interval: 15s
    input_series:
      - series: 'execlog_error_ratio{window="1m",instance="a",job="execlog"}'
        values: '0.01 0.05 0.1 0.1 0.1'
      - series: 'execlog_error_ratio{window="1m",instance="b",job="execlog"}'
        values: '0.05 0.05 0.05 0.05 0.05'
      - series: 'execlog_cache_hit_ratio{window="1m",instance="b",job="execlog"}'
        values: '0.7 0.7 0.69 0.69 0.69'
      - series: 'execlog_alert_firing{alert="breaker:CACHE",instance="b",job="execlog"}'
        values: '0 1 1 1 1'
      - series: 'execlog_alert_firing{alert="error_rate",instance="b",job="execlog"}'
        values: '0 0 0 0 0'
    alert_rule_test:
      - eval_time: 15s
        alertname: ExeclogErrorRate
        exp_alerts: []
      - eval_time: 30s
        alertname: ExeclogErrorRate
        exp_alerts:
          - exp_labels: {severity: critical, execlog_alert: error_rate, window: 1m, instance: a, job: execlog}
            exp_annotations:
              summary: 'a: error rate 10% (error_rate > 5%)'
              description: 'error_rate > 5% over the 1m window on a, as its dashboard''s error_rate alert.'
      - eval_time: 15s
        alertname: ExeclogCacheHitRate
        exp_alerts: []
      - eval_time: 30s
        alertname: ExeclogCacheHitRate
        exp_alerts:
          - exp_labels: {severity: critical, execlog_alert: cache_hit_rate, window: 1m, instance: b, job: execlog}
            exp_annotations:
              summary: 'b: cache hit rate 69% (cache_hit_rate < 70%)'
              description: 'cache_hit_rate < 70% over the 1m window on b, as its dashboard''s cache_hit_rate alert.'
      - eval_time: 30s
        alertname: ExeclogBreakerOpen
        exp_alerts:
          - exp_labels: {severity: critical, alert: 'breaker:CACHE', component: CACHE, instance: b, job: execlog}
            exp_annotations:
              summary: 'b: the CACHE circuit breaker opened'
              description: 'breaker:CACHE fires from OPEN until the breaker is CLOSED again.'
  - interval: 1m
    input_series:
      - series: 'execlog_entries_total{component="API",status="SUCCESS",instance="a",job="execlog"}'
        values: '0+60x10'
      - series: 'execlog_entries_total{component="API",status="SUCCESS",instance="b",job="execlog"}'
        values: '0+30x10'
      - series: 'execlog_entries_total{component="API",status="ERROR",instance="b",job="execlog"}'
        values: '0+30x10'
    promql_expr_test:
      - expr: instance:execlog_error_ratio:rate5m
        eval_time: 10m
        exp_samples:
          - labels: 'instance:execlog_error_ratio:rate5m{instance="a",job="execlog"}'
            value: 0
          - labels: 'instance:execlog_error_ratio:rate5m{instance="b",job="execlog"}'
            value: 0.5
      - expr: job:execlog_entries:rate5m
        eval_time: 10m
        exp_samples:
          - labels: 'job:execlog_entries:rate5m{job="execlog"}'
            value: 2
      - expr: job:execlog_error_ratio:rate5m
        eval_time: 10m
        exp_samples:
          - labels: 'job:execlog_error_ratio:rate5m{job="execlog"}'
            value: 0.25
"""


@needs_promtool
def test_promtool_unit_tests_of_the_rules(tmp_path: Path) -> None:
    """The rules do what the dashboard does: 5 % is not > 5 %, 70 % is not < 70 %; a breaker's alert names its
    component; the fleet's error ratio is 0, not nothing, on an instance that never logged an error."""
    text, _doc = rules()
    (tmp_path / "execlog.rules.yml").write_text(text)
    (tmp_path / "tests.yml").write_text(UNIT_TESTS)
    got = subprocess.run(["promtool", "test", "rules", "tests.yml"], capture_output=True, text=True, cwd=tmp_path)
    assert got.returncode == 0, got.stdout + got.stderr
