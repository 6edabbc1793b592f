"""A real Prometheus scrapes two exporters as two instances, with the generated rules: its queries agree with
each exporter, and an error burst on one instance fires the error-rate and breaker alerts for it only, then
resolves them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from execlog_tui.writer import ExecutionLogger

from .helpers import Prometheus, key, poll, two_instances
from .test_cli_exporter import ENV, Running

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs prometheus (Debian: prometheus)"),
]


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[tuple[Prometheus, dict[str, Running], dict[str, ExecutionLogger]]]:
    with two_instances(tmp_path, burst_on_a=False) as got:  # the test writes its burst itself
        yield got


def test_prometheus_agrees_and_alerts_for_one_instance_only(
    fleet: tuple[Prometheus, dict[str, Running], dict[str, ExecutionLogger]],
) -> None:
    prom, exporters, writers = fleet
    inst = {name: r.base.removeprefix("http://") for name, r in exporters.items()}
    # Both instances scraped; the gauges Prometheus holds are the exporters' own.
    poll(lambda: prom.query("up"), lambda got: got == {inst["a"]: 1.0, inst["b"]: 1.0})
    for name, r in exporters.items():
        mine = r.scrape()
        want = mine[key("execlog_last_entry_timestamp_seconds")]
        poll(
            lambda: prom.query("execlog_last_entry_timestamp_seconds"),
            lambda got, i=inst[name], v=want: got.get(i) == v,  # type: ignore[misc]
        )
        assert prom.query("execlog_bootstrap_seconds")[inst[name]] == mine[key("execlog_bootstrap_seconds")]
    assert prom.firing() == set()
    # Every query of the generated Grafana dashboard is one this Prometheus answers.
    board = json.loads(
        subprocess.run(
            [sys.executable, "-m", "execlog_tui", "--grafana-dashboard"], capture_output=True, text=True, env=ENV
        ).stdout
    )
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    answered = {e: prom.api("query", query=e.replace("$instance", ".+"))["result"] for e in exprs}  # success
    for metric in ("execlog_requests_per_second", "execlog_bootstrap_seconds", "execlog_degraded"):
        assert all(len(r) == 2 for e, r in answered.items() if metric in e), metric  # both instances' gauges

    # An error burst on a: the breaker opens (3 errors in 10 s) and the 1m error rate passes 5 %.
    for _ in range(10):
        writers["a"].log("API", "CALL", 10, "FAILURE", "upstream down")
    want = {("ExeclogErrorRate", inst["a"], ""), ("ExeclogBreakerOpen", inst["a"], "API")}
    poll(prom.firing, lambda got: want <= got)
    assert {i for _n, i, _c in prom.firing()} == {inst["a"]}  # b stays quiet
    # Counters: what a read while following, as a's exporter counts it.
    entries = poll(
        lambda: prom.query('execlog_entries_total{status="FAILURE"}'), lambda got: got.get(inst["a"]) == 10.0
    )
    assert inst["b"] not in entries
    # The figure behind the alert, as Prometheus holds it, is a's own (no entry written meanwhile).
    ratio = exporters["a"].scrape()[key("execlog_error_ratio", window="1m")]
    assert ratio > 0.05
    poll(lambda: prom.query('execlog_error_ratio{window="1m"}'), lambda got: got.get(inst["a"]) == ratio)

    # Recovery: the breaker closes, and enough successes bring the 1m error rate under 5 %.
    writers["a"].log("API", "CIRCUIT_CLOSE", 0, "INFO", "recovered")
    for _ in range(400):
        writers["a"].log("API", "CALL", 10, "SUCCESS", "ok")
    poll(prom.firing, lambda got: got == set())
