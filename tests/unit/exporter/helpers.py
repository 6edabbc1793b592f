"""Shared by the exporter tests: SPEC 11's gauges worked out from SPEC 9's JSON, and parsed expositions."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

Key = tuple[str, frozenset[tuple[str, str]]]
MB = 1024 * 1024
STATES = {"CLOSED": "closed", "OPEN": "open", "HALF_OPEN": "half_open"}
BANDS = ("optimal", "acceptable", "warning", "error")
GAUGES = {
    "execlog_requests_per_second",
    "execlog_error_ratio",
    "execlog_response_seconds",
    "execlog_cache_hit_ratio",
    "execlog_memory_bytes",
    "execlog_memory_max_bytes",
    "execlog_bootstrap_seconds",
    "execlog_band",
    "execlog_breaker_state",
    "execlog_breaker_inferred",
    "execlog_breakers_not_closed",
    "execlog_alert_firing",
    "execlog_degraded",
    "execlog_last_entry_timestamp_seconds",
    "execlog_critical_path_running_seconds",
}


def key(name: str, **labels: str) -> Key:
    return name, frozenset(labels.items())


def epoch_s(text: str) -> float:
    """SPEC 9's timestamp (ISO 8601, milliseconds, Z) as epoch seconds, through integer milliseconds."""
    dt = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    ms = (dt - datetime(1970, 1, 1)).days * 86_400_000 + dt.hour * 3_600_000 + dt.minute * 60_000
    ms += dt.second * 1000 + dt.microsecond // 1000
    return ms / 1000


def gauges_from_json(doc: dict[str, Any]) -> dict[Key, float]:
    """What SPEC 11 says the gauges are, for the report `doc` (every component among the first 100)."""
    out: dict[Key, float] = {}

    def put(k: Key, value: float | None) -> None:
        if value is not None:
            out[k] = float(value)

    for w, f in doc["windows"].items():
        put(key("execlog_requests_per_second", window=w), f["requests_per_second"])
        put(key("execlog_error_ratio", window=w), None if f["error_rate"] is None else f["error_rate"] / 100)
        avg, p95 = f["avg_response_ms"], f["p95_response_ms"]
        put(key("execlog_response_seconds", window=w, stat="avg"), None if avg is None else avg / 1000)
        put(key("execlog_response_seconds", window=w, stat="p95"), None if p95 is None else p95 / 1000)
        hit = f["cache_hit_rate"]
        put(key("execlog_cache_hit_ratio", window=w), None if hit is None else hit / 100)
        put(key("execlog_memory_bytes", window=w), None if f["memory_mb"] is None else f["memory_mb"] * MB)
        put(key("execlog_memory_max_bytes", window=w), None if f["memory_max_mb"] is None else f["memory_max_mb"] * MB)
    ms = doc["bootstrap"]["ms"]
    put(key("execlog_bootstrap_seconds"), None if ms is None else ms / 1000)
    bands = {k: v for k, v in doc["windows"]["1m"]["bands"].items() if k != "error_rate"}
    bands["bootstrap"] = doc["bootstrap"]["band"]
    for figure, band in bands.items():
        if band is not None:
            for b in BANDS:
                out[key("execlog_band", figure=figure, band=b)] = 1.0 if b == band else 0.0
    for comp, br in doc["breakers"].items():
        for state, label in STATES.items():
            out[key("execlog_breaker_state", component=comp, state=label)] = 1.0 if br["state"] == state else 0.0
        out[key("execlog_breaker_inferred", component=comp)] = 1.0 if br["inferred"] else 0.0
    out[key("execlog_breakers_not_closed", component="OTHER")] = 0.0
    firing: dict[str, float] = {}
    for a in doc["alerts"]:
        firing[a["name"]] = max(firing.get(a["name"], 0.0), 1.0 if a["resolved"] is None else 0.0)
    for name, v in firing.items():
        out[key("execlog_alert_firing", alert=name)] = v
    out[key("execlog_degraded")] = 1.0 if doc["degraded"] else 0.0
    last = doc["source"]["last"]
    put(key("execlog_last_entry_timestamp_seconds"), None if last is None else epoch_s(last))
    for name, p in doc["critical_paths"].items():
        latest = p["latest"]
        if latest is not None and latest["state"] == "running":
            out[key("execlog_critical_path_running_seconds", path=name)] = latest["elapsed_ms"] / 1000
    return out


def samples(text: str, openmetrics: bool = False) -> dict[Key, float]:
    """Every sample of an exposition, parsed back with prometheus_client's own parser."""
    parse = parse_openmetrics if openmetrics else parse_text
    out: dict[Key, float] = {}
    for family in parse(text):
        for s in family.samples:
            k = (s.name, frozenset(s.labels.items()))
            assert k not in out, f"duplicate sample {k}"
            assert s.timestamp is None, "SPEC 11: no sample timestamps"
            out[k] = s.value
    return out


def gauges_only(parsed: dict[Key, float]) -> dict[Key, float]:
    return {k: v for k, v in parsed.items() if k[0] in GAUGES}


# ------------------------------------------------------------------ a real Prometheus on 127.0.0.1
def poll(fetch: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        try:
            got = fetch()
            if ok(got):
                return got
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out; last {got!r}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Prometheus:
    def __init__(self, tmp: Path, targets: list[str], rules: Path) -> None:
        self.port = _free_port()
        config = tmp / "prometheus.yml"
        config.write_text(
            json.dumps(
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "rule_files": [str(rules)],
                    "scrape_configs": [{"job_name": "execlog", "static_configs": [{"targets": targets}]}],
                }
            )
        )
        self.log = (tmp / "prometheus.err").open("w")
        self.proc = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def api(self, path: str, **params: str) -> Any:
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=5) as r:
            doc = json.load(r)
        assert doc["status"] == "success", doc
        return doc["data"]

    def query(self, expr: str) -> dict[str, float]:
        """instance -> value."""
        return {r["metric"].get("instance", ""): float(r["value"][1]) for r in self.api("query", query=expr)["result"]}

    def firing(self) -> set[tuple[str, str, str]]:
        """(alertname, instance, component) of the firing alerts."""
        return {
            (a["labels"]["alertname"], a["labels"].get("instance", ""), a["labels"].get("component", ""))
            for a in self.api("alerts")["alerts"]
            if a["state"] == "firing"
        }

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@contextlib.contextmanager
def two_instances(tmp: Path, burst_on_a: bool = True) -> Iterator[tuple[Prometheus, dict[str, Any], dict[str, Any]]]:
    """Prometheus (with the generated rules) scraping two exporters, `a` and `b`, on two generated logs;
    with `burst_on_a`, an error burst on `a` (its API breaker opens, its 1m error rate passes 5 %)."""
    import sys

    from execlog_tui.writer import ExecutionLogger

    from .test_cli_exporter import ENV, Running

    rules = tmp / "execlog.rules.yml"
    rules.write_text(
        subprocess.run(
            [sys.executable, "-m", "execlog_tui", "--prometheus-rules"],
            capture_output=True,
            text=True,
            check=True,
            env=ENV,
        ).stdout
    )
    writers: dict[str, Any] = {}
    exporters: dict[str, Any] = {}
    prom = None
    try:
        for name in ("a", "b"):
            d = tmp / name
            d.mkdir()
            w = writers[name] = ExecutionLogger(d / "execution.log", compress=False, multiprocess=False)
            w.log("BOOTSTRAP", "COMPLETE", 254, "INFO", "ready")
            for _ in range(50):
                w.log("API", "CALL", 10, "SUCCESS", "ok")
            if name == "a" and burst_on_a:
                for _ in range(10):
                    w.log("API", "CALL", 10, "FAILURE", "upstream down")
            exporters[name] = Running(["--exporter", "127.0.0.1:0", str(d)])
        prom = Prometheus(tmp, [r.base.removeprefix("http://") for r in exporters.values()], rules)
        yield prom, exporters, writers
    finally:
        if prom is not None:
            prom.stop()
        for r in exporters.values():
            r.stop()
        for w in writers.values():
            w.close()
