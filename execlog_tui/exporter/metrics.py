"""SPEC 11's metric families, built at scrape time from one snapshot and one copy of the counters.

The collector reads the engine under the session's lock when Prometheus scrapes (no per-line cost for the
gauges); what it reads is a `Scrape`, so the same families serve the HTTP endpoint, the textfile of a
one-shot report and the tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

from execlog_tui.core.breakers import CLOSED, HALF_OPEN, OPEN
from execlog_tui.core.config import BAND_NAMES
from execlog_tui.core.counters import CounterValues, first_components
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.snapshot import WINDOW_NAMES, MetricsSnapshot
from execlog_tui.core.windows import SHORTEST
from execlog_tui.session import MonitorSession

MB = float(1 << 20)  # SPEC 11: MB = 2^20 bytes, as the seed's writer counts
BREAKER_STATES = {CLOSED: "closed", OPEN: "open", HALF_OPEN: "half_open"}
# The banded figures of the 1m window (SPEC 5); bootstrap's band is the same in every window.
BANDED_FIGURES = ("response_time", "cache_hit_rate", "memory_usage")
PER_COMPONENT_ALERTS = ("breaker:", "critical:")  # alerts named after a component (SPEC 7)


@dataclass(frozen=True, slots=True)
class Scrape:
    """What one scrape reads, taken together under the lock."""

    snapshot: MetricsSnapshot
    labelled: frozenset[str]  # the components that keep their name in labels (SPEC 11: the first 100)
    counters: CounterValues | None  # None: not following (a one-shot report writes the gauges only)


def scrape_engine(engine: MetricsEngine) -> Scrape:
    """Read `engine` now (the caller holds the lock that guards it)."""
    return Scrape(engine.snapshot(), first_components(engine.components), engine.counter_values())


def _gauge(name: str, doc: str, labels: tuple[str, ...] = (), unit: str = "") -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels), unit=unit)


def gauge_families(scrape: Scrape) -> list[Metric]:
    """SPEC 11's gauges, as of the snapshot's T. A null figure has no sample (never NaN)."""
    snap = scrape.snapshot
    labelled = scrape.labelled
    rps = _gauge("execlog_requests_per_second", "Entries per second over the window.", ("window",))
    err = _gauge("execlog_error_ratio", "Errors / entries over the window (0-1).", ("window",), "ratio")
    resp = _gauge(
        "execlog_response_seconds", "Completed operations' mean and p95 duration.", ("window", "stat"), "seconds"
    )
    hit = _gauge("execlog_cache_hit_ratio", "CACHE HIT / (HIT + MISS) over the window (0-1).", ("window",), "ratio")
    mem = _gauge("execlog_memory_bytes", "The newest memory figure logged in the window.", ("window",), "bytes")
    mem_max = _gauge(
        "execlog_memory_max_bytes", "The largest memory figure logged in the window.", ("window",), "bytes"
    )

    def put(family: GaugeMetricFamily, labels: list[str], value: float | None, scale: float = 1.0) -> None:
        if value is not None:
            scaled = value * scale
            if math.isfinite(scaled):
                family.add_metric(labels, scaled)

    for name in WINDOW_NAMES:
        w = snap.windows[name]
        put(rps, [name], w.requests_per_second)
        put(err, [name], None if w.error_rate is None else w.error_rate / 100.0)
        put(resp, [name, "avg"], None if w.avg_response_ms is None else w.avg_response_ms / 1000.0)
        put(resp, [name, "p95"], None if w.p95_response_ms is None else w.p95_response_ms / 1000.0)
        put(hit, [name], None if w.cache_hit_rate is None else w.cache_hit_rate / 100.0)
        put(mem, [name], w.memory_mb, MB)
        put(mem_max, [name], w.memory_max_mb, MB)
    families: list[Metric] = [rps, err, resp, hit, mem, mem_max]

    boot = _gauge("execlog_bootstrap_seconds", "The newest BOOTSTRAP/COMPLETE duration.", unit="seconds")
    put(boot, [], None if snap.bootstrap_ms is None else snap.bootstrap_ms / 1000.0)
    families.append(boot)

    band = _gauge(
        "execlog_band", "The 1m window's threshold bands: 1 for the current band, 0 for the others.", ("figure", "band")
    )
    bands = dict(snap.windows[SHORTEST.name].bands)
    bands["bootstrap"] = snap.bootstrap_band
    for figure in ("bootstrap", *BANDED_FIGURES):
        current = bands.get(figure)
        if current is None:
            continue  # absent while the band is null
        for b in BAND_NAMES:
            band.add_metric([figure, b], 1.0 if b == current else 0.0)
    families.append(band)

    state = _gauge(
        "execlog_breaker_state",
        "Circuit breaker state: 1 for the current one, 0 for the others.",
        ("component", "state"),
    )
    inferred = _gauge("execlog_breaker_inferred", "1 when the breaker's state is inferred from errors.", ("component",))
    not_closed = _gauge(
        "execlog_breakers_not_closed", "Breakers not CLOSED among the components past the first 100.", ("component",)
    )
    others_open = 0
    for comp, br in snap.breakers.items():
        if comp not in labelled:
            others_open += br.state != CLOSED
            continue
        for s, label in BREAKER_STATES.items():
            state.add_metric([comp, label], 1.0 if br.state == s else 0.0)
        inferred.add_metric([comp], 1.0 if br.inferred else 0.0)
    not_closed.add_metric(["OTHER"], float(others_open))
    families += [state, inferred, not_closed]

    alert = _gauge("execlog_alert_firing", "1 while the alert fires, 0 once it has fired and resolved.", ("alert",))
    firing: dict[str, bool] = {}
    for a in snap.alerts:
        if a.name.startswith(PER_COMPONENT_ALERTS) and a.name.split(":", 1)[1] not in labelled:
            continue
        firing[a.name] = firing.get(a.name, False) or a.resolved is None
    for name, on in firing.items():
        alert.add_metric([name], 1.0 if on else 0.0)
    families.append(alert)

    families.append(
        GaugeMetricFamily("execlog_degraded", "1 while degraded mode holds.", 1.0 if snap.degraded else 0.0)
    )
    last = _gauge(
        "execlog_last_entry_timestamp_seconds",
        "The newest entry's time (not counting entries from the future).",
        unit="seconds",
    )
    put(last, [], None if snap.source.last is None else snap.source.last / 1000.0)
    families.append(last)

    running = _gauge(
        "execlog_critical_path_running_seconds", "How long the path's running run has been going.", ("path",), "seconds"
    )
    for name, path in snap.critical_paths.items():
        run = path.latest
        if run is not None and run.running:
            put(running, [name], run.elapsed_ms / 1000.0)
    families.append(running)
    return families


def counter_families(values: CounterValues) -> list[Metric]:
    """SPEC 11's counters and histogram of what was read since following started."""
    entries = CounterMetricFamily("execlog_entries", "Entries read while following.", labels=["component", "status"])
    for (comp, status), n in sorted(values.entries.items()):
        entries.add_metric([comp, status], float(n))
    parse = CounterMetricFamily("execlog_parse_errors", "Lines read while following that are parse errors.")
    parse.add_metric([], float(values.parse_errors))
    future = CounterMetricFamily(
        "execlog_future_entries", "Entries read while following dated too far ahead of the wall clock."
    )
    future.add_metric([], float(values.future))
    cache = CounterMetricFamily(
        "execlog_cache_lookups", "CACHE HIT and MISS entries read while following.", labels=["result"]
    )
    cache.add_metric(["hit"], float(values.cache_hits))
    cache.add_metric(["miss"], float(values.cache_misses))
    trans = CounterMetricFamily(
        "execlog_breaker_transitions", "Breaker state changes while following.", labels=["component", "to"]
    )
    for (comp, to), n in sorted(values.transitions.items()):
        trans.add_metric([comp, BREAKER_STATES.get(to, to.lower())], float(n))
    rot = CounterMetricFamily("execlog_rotations", "Rotations (and copytruncates) of the followed files.")
    rot.add_metric([], float(values.rotations))
    hist = HistogramMetricFamily(
        "execlog_operation_duration_seconds",
        "Completed operations' durations read while following.",
        labels=["component"],
        unit="seconds",
    )
    bounds = [floatToGoString(ms / 1000.0) for ms in values.buckets_ms] + ["+Inf"]
    for comp, h in sorted(values.durations.items()):
        hist.add_metric([comp], list(zip(bounds, (float(c) for c in h.cumulative), strict=True)), h.sum_s)
    return [entries, parse, future, cache, trans, rot, hist]


class ExeclogCollector:
    """A prometheus_client collector: every `collect()` (a scrape) calls `read` once."""

    def __init__(self, read: Callable[[], Scrape]) -> None:
        self.read = read

    def describe(self) -> list[Metric]:
        return []  # registering must not read the engine (the names are fixed by SPEC 11)

    def collect(self) -> Iterator[Metric]:
        scrape = self.read()
        yield from gauge_families(scrape)
        if scrape.counters is not None:
            yield from counter_families(scrape.counters)


def session_reader(session: MonitorSession) -> Callable[[], Scrape | None]:
    """What a scrape of a live session reads: None until its history is read (the gauges include it)."""

    def read() -> Scrape | None:
        if not session.history_done:
            return None
        with session.lock:
            return scrape_engine(session.engine)

    return read


def session_health(session: MonitorSession) -> Callable[[], str | None]:
    """`/-/healthy`: unhealthy once the session's worker stopped on an error."""
    return lambda: session.error
