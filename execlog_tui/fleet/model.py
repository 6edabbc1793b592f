"""One row per instance, from instant queries on SPEC 11's gauges and Prometheus's alerts.

The bands are the instances' own (`execlog_band`, worked out by each host's engine with its configuration);
error rate is `error` while its alert fires (SPEC 5). No band rule here: the hosts' engines have the one."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from execlog_tui.core.config import BAND_NAMES
from execlog_tui.core.snapshot import WINDOW_NAMES
from execlog_tui.fleet.client import PrometheusClient, Sample

FIGURES = (
    "execlog_requests_per_second",
    "execlog_error_ratio",
    "execlog_response_seconds",
    "execlog_cache_hit_ratio",
    "execlog_memory_bytes",
    "execlog_memory_max_bytes",
    "execlog_bootstrap_seconds",
    "execlog_degraded",
    "execlog_last_entry_timestamp_seconds",
    "execlog_breakers_not_closed",
    "execlog_critical_path_running_seconds",
)
QUERIES = {
    "figures": '{__name__=~"' + "|".join(FIGURES) + '"}',
    "bands": "execlog_band == 1",
    "breakers": 'execlog_breaker_state{state!="closed"} == 1',
    "inferred": "execlog_breaker_inferred == 1",
    "alerts": "execlog_alert_firing == 1",
    # The instances that exported in the last hour, up or not (a host whose exporter stopped is `up == 0`).
    "up": "up and on(job, instance) last_over_time(execlog_degraded[1h])",
}
RANK = {name: i for i, name in enumerate(BAND_NAMES)}  # optimal 0 … error 3


@dataclass(frozen=True, slots=True)
class Window:
    requests_per_second: float | None = None
    error_ratio: float | None = None
    avg_s: float | None = None
    p95_s: float | None = None
    cache_hit_ratio: float | None = None
    memory_bytes: float | None = None
    memory_max_bytes: float | None = None


@dataclass(frozen=True, slots=True)
class Breaker:
    component: str
    state: str  # open or half_open
    inferred: bool


@dataclass(frozen=True, slots=True)
class Alert:
    """A firing (or pending) alert: `name` is the engine's (error_rate, breaker:API) where the rule says it."""

    name: str
    state: str  # firing or pending
    engine: bool  # the host's engine fires it (execlog_alert_firing)
    prometheus: str | None  # the alerting rule's name, when Prometheus has it
    severity: str | None = None
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class Instance:
    instance: str
    job: str
    up: bool | None  # None: no `up` series (not scraped by this Prometheus any more)
    windows: dict[str, Window]
    bands: dict[str, str]  # figure -> band (1m window; bootstrap)
    bootstrap_s: float | None
    degraded: bool | None
    last_entry_s: float | None
    breakers: tuple[Breaker, ...]
    others_not_closed: int
    alerts: tuple[Alert, ...]
    running_paths: dict[str, float]

    @property
    def key(self) -> tuple[str, str]:
        return self.job, self.instance

    @property
    def error_rate_band(self) -> str | None:
        return "error" if any(a.name == "error_rate" and a.state == "firing" for a in self.alerts) else None

    @property
    def band(self) -> str | None:
        """The worst of the instance's bands (error rate's included), None when it has none."""
        bands = [*self.bands.values(), self.error_rate_band]
        known = [b for b in bands if b in RANK]
        return max(known, key=RANK.__getitem__) if known else None

    @property
    def open_breakers(self) -> int:
        return len(self.breakers) + self.others_not_closed

    @property
    def firing(self) -> int:
        return sum(a.state == "firing" for a in self.alerts)

    def sort_key(self) -> tuple[Any, ...]:
        """Worst first: a host that is down, then by band, degraded, alerts and breakers, then by name."""
        band = self.band
        return (
            self.up is not False,
            -(RANK[band] if band is not None else -1),
            not self.degraded,
            -self.firing,
            -self.open_breakers,
            self.instance,
            self.job,
        )


@dataclass(frozen=True, slots=True)
class Fleet:
    url: str
    at: float  # epoch seconds the queries were evaluated at
    instances: tuple[Instance, ...] = field(default_factory=tuple)


def _window(samples: list[Sample]) -> Window:
    got: dict[str, float] = {}
    for s in samples:
        name = s.labels["__name__"].removeprefix("execlog_")
        if name == "response_seconds":
            name = {"avg": "avg_s", "p95": "p95_s"}.get(s.labels.get("stat", ""), "")
        got[name] = s.value
    return Window(
        got.get("requests_per_second"),
        got.get("error_ratio"),
        got.get("avg_s"),
        got.get("p95_s"),
        got.get("cache_hit_ratio"),
        got.get("memory_bytes"),
        got.get("memory_max_bytes"),
    )


def read_fleet(client: PrometheusClient, at: float | None = None) -> Fleet:
    """Every instance's figures as Prometheus holds them at `at` (now by default), worst first."""
    at = time.time() if at is None else at
    got = {name: client.query(expr, at) for name, expr in QUERIES.items()}
    prom_alerts = client.alerts()
    return build_fleet(client.url, at, got, prom_alerts)


def build_fleet(url: str, at: float, got: dict[str, list[Sample]], prom_alerts: list[dict[str, Any]]) -> Fleet:
    def key(labels: dict[str, str]) -> tuple[str, str]:
        return labels.get("job", ""), labels.get("instance", "")

    keys: dict[tuple[str, str], None] = {}
    per: dict[tuple[str, str], dict[str, list[Sample]]] = {}
    for name, samples in got.items():
        for s in samples:
            k = key(s.labels)
            keys[k] = None
            per.setdefault(k, {}).setdefault(name, []).append(s)
    alerts_of: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for a in prom_alerts:
        labels = a.get("labels") or {}
        if isinstance(labels, dict) and "instance" in labels:
            alerts_of.setdefault(key({str(k): str(v) for k, v in labels.items()}), []).append(a)
    rows = []
    for k in keys:
        mine = per.get(k, {})
        figures = mine.get("figures", [])
        if not figures and "up" not in mine:
            continue  # only a band or a breaker of a series that went stale: not an execlog instance now
        by_window: dict[str, list[Sample]] = {w: [] for w in WINDOW_NAMES}
        scalars: dict[str, float] = {}
        running: dict[str, float] = {}
        for s in figures:
            name = s.labels.get("__name__", "")
            if "window" in s.labels:
                if s.labels["window"] in by_window:
                    by_window[s.labels["window"]].append(s)
            elif name == "execlog_critical_path_running_seconds":
                running[s.labels.get("path", "")] = s.value
            elif name == "execlog_breakers_not_closed":
                scalars[name] = scalars.get(name, 0.0) + s.value
            else:
                scalars[name] = s.value
        bands = {s.labels.get("figure", ""): s.labels.get("band", "") for s in mine.get("bands", [])}
        inferred = {s.labels.get("component", "") for s in mine.get("inferred", [])}
        breakers = tuple(
            sorted(
                (
                    Breaker(
                        s.labels.get("component", ""), s.labels.get("state", ""), s.labels.get("component") in inferred
                    )
                    for s in mine.get("breakers", [])
                ),
                key=lambda b: (b.state != "open", b.component),
            )
        )
        alerts: dict[str, Alert] = {
            s.labels.get("alert", ""): Alert(s.labels.get("alert", ""), "firing", True, None)
            for s in mine.get("alerts", [])
            if s.labels.get("alert")
        }
        for a in alerts_of.get(k, []):
            labels = {str(x): str(y) for x, y in (a.get("labels") or {}).items()}
            rule = labels.get("alertname", "")
            name = labels.get("execlog_alert") or labels.get("alert") or rule
            state = "firing" if a.get("state") == "firing" else "pending"
            notes = a.get("annotations") or {}
            summary = str(notes.get("summary")) if isinstance(notes, dict) and notes.get("summary") else None
            was = alerts.get(name)
            if was is not None and was.prometheus is not None and was.state == "firing":
                continue
            engine = was is not None and was.engine
            alerts[name] = Alert(name, "firing" if engine else state, engine, rule, labels.get("severity"), summary)
        ups = mine.get("up", [])
        deg = scalars.get("execlog_degraded")
        rows.append(
            Instance(
                instance=k[1],
                job=k[0],
                up=(ups[0].value == 1.0) if ups else None,
                windows={w: _window(v) for w, v in by_window.items()},
                bands=bands,
                bootstrap_s=scalars.get("execlog_bootstrap_seconds"),
                degraded=None if deg is None else deg == 1.0,
                last_entry_s=scalars.get("execlog_last_entry_timestamp_seconds"),
                breakers=breakers,
                others_not_closed=int(scalars.get("execlog_breakers_not_closed", 0.0)),
                alerts=tuple(sorted(alerts.values(), key=lambda a: (a.state != "firing", a.name))),
                running_paths=running,
            )
        )
    return Fleet(url, at, tuple(sorted(rows, key=Instance.sort_key)))
