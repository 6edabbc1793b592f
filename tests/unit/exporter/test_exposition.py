"""The exporter's own exposition renderer against prometheus_client's encoders: the same bytes, the same
content type, for every Accept header the negotiation knows, and parsed alike by both parsers."""

from __future__ import annotations

import math

import pytest
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
    StateSetMetricFamily,
)
from prometheus_client.registry import CollectorRegistry

from execlog_tui.core.config import Config
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.timefmt import format_ts
from execlog_tui.exporter.exposition import render_families
from execlog_tui.exporter.metrics import ExeclogCollector, Scrape, scrape_engine
from execlog_tui.exporter.server import render, write_textfile

from .helpers import samples

BASE = 1_757_412_000_000  # 2025-09-09T10:00:00Z
ACCEPTS = [
    None,
    "",
    "*/*",
    "text/plain",
    "text/plain;version=0.0.4",
    "text/plain;version=1.0.0",
    "text/plain;version=1.0.0;escaping=underscores",
    "text/plain;version=1.0.0;escaping=allow-utf-8",
    "text/plain;version=1.0.0;escaping=dots",
    "text/plain;version=1.0.0;escaping=values",
    "application/openmetrics-text",
    "application/openmetrics-text; version=1.0.0",
    "application/openmetrics-text;version=0.0.1",
    "application/openmetrics-text;version=2.0.0",
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8",
    "application/openmetrics-text;version=1.0.0;escaping=dots",
    "application/openmetrics-text;version=1.0.0;escaping=values",
    # what Prometheus sends (its default scrape protocols, in its order of preference)
    "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,"
    "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,text/plain;version=0.0.4;q=0.2",
]


def reference(collector: object, accept: str | None) -> tuple[bytes, str]:
    """What prometheus_client's own negotiation and encoder write for the collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)  # type: ignore[arg-type]
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


def busy_scrape() -> Scrape:
    """A day of 130 components (30 past the first 100), names that need escaping in a label value,
    breakers open, alerts fired and resolved, cache, memory, a bootstrap, fractional durations, and
    counters of what followed."""
    engine = MetricsEngine(Config(), wall_ms=BASE + 86_400_000)
    names = ['Q"UOTE', "BACK\\SLASH", "ÜNÏ", "CACHE"] + [f"C{i:03d}" for i in range(126)]

    def line(ts: int, comp: str, action: str, dur: str, status: str, details: str = "x") -> str:
        return f"{format_ts(ts)}|{comp}|{action}|{dur}|{status}|{details}"

    lines = [line(BASE, "BOOTSTRAP", "COMPLETE", "467", "SUCCESS")]
    for i in range(6000):
        ts = BASE + 1000 + i * 14_000
        comp = names[i % len(names)]
        action = ("HIT", "MISS", "LOOKUP")[i % 3] if comp == "CACHE" else "CALL"
        status = ("SUCCESS", "INFO", "FAILURE", "DEGRADED", "WEIRD", "CRITICAL")[i % 6 if i % 7 == 0 else 0]
        lines.append(line(ts, comp, action, f"{i % 700}.{i % 10}" if i % 5 == 0 else str(i % 3000), status))
        if i % 500 == 0:
            lines.append(line(ts + 1, "MEMORY", "USAGE", "0", "INFO", f"rss_mb={60 + i % 40}"))
    for k in range(3):
        lines.append(line(BASE + 86_000_000 + k, "C007", "CALL", "5", "FAILURE", "boom"))
        lines.append(line(BASE + 86_000_010 + k, "C120", "CALL", "5", "FAILURE", "boom"))
    lines.append(line(BASE + 86_000_100, "C050", "CIRCUIT_OPEN", "0", "WARNING"))
    half = len(lines) // 2
    engine.feed_lines(lines[:half])
    engine.start_counting()
    engine.feed_lines(lines[half:])
    engine.feed_lines(["not a line", "2025-09-09T10:00:00Z|TORN|3"])
    return scrape_engine(engine)


@pytest.fixture(scope="module")
def scrape() -> Scrape:
    return busy_scrape()


@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_same_bytes_and_content_type_as_prometheus_client(scrape: Scrape, accept: str | None) -> None:
    got = render(scrape, accept)
    want = reference(ExeclogCollector(lambda: scrape), accept)
    assert got[1] == want[1]
    assert got[0] == want[0]


def test_the_scrape_holds_what_the_comparison_is_about(scrape: Scrape) -> None:
    text = render(scrape)[0].decode()
    assert 'component="Q\\"UOTE"' in text and 'component="BACK\\\\SLASH"' in text and "ÜNÏ" in text
    assert 'component="OTHER"' in text and 'status="OTHER"' in text
    assert "execlog_operation_duration_seconds_bucket" in text and 'le="+Inf"' in text
    assert 'execlog_breaker_state{component="C050",state="open"} 1.0' in text
    assert text.count("\n") > 2000


def test_both_formats_parse_to_the_same_samples(scrape: Scrape) -> None:
    text = samples(render(scrape)[0].decode())
    om = samples(render(scrape, "application/openmetrics-text; version=1.0.0")[0].decode(), openmetrics=True)
    # OpenMetrics names a counter's family without `_total`; the samples are the same.
    assert text == om


def _odd_families() -> list[Metric]:
    g = GaugeMetricFamily("odd_values", 'doc with \\ and "quotes"\nand a newline', labels=["k"], unit="seconds")
    for i, v in enumerate([0.0, -0.0, 0, 1, 1.0, True, -1.5, 1e7, 123456789.0, 1e-9, math.inf, -math.inf, math.nan]):
        g.add_metric([f"v{i}"], v)
    g.add_metric(['a"b\\c\nd'], 2.0)
    c = CounterMetricFamily("odd_counter", "a counter", labels=["z", "a"], created=12.5)
    c.add_metric(["1", "2"], 3.0, created=12.5)
    h = HistogramMetricFamily("odd_hist", "a histogram", labels=["k"])
    h.add_metric(["x"], [("0.005", 1.0), ("1e+06", 2.0), ("+Inf", 3.0)], 0.25)
    info = InfoMetricFamily("odd", "an info", value={"version": "1.2"})
    state = StateSetMetricFamily("odd_state", "a state set", value={"on": True, "off": False})
    return [g, c, h, info, state]


@pytest.mark.parametrize("accept", ACCEPTS)
def test_any_family_prometheus_client_makes(accept: str | None) -> None:
    """The renderer is prometheus_client's encoder for any family, not only for what the collector
    yields today: signed zeros, equal values of other types, specials, escapes, created samples."""

    class Odd:
        def collect(self) -> list[Metric]:
            return _odd_families()

    def registry() -> CollectorRegistry:
        reg = CollectorRegistry(auto_describe=False)
        reg.register(Odd())  # type: ignore[arg-type]
        return reg

    assert render_families(_odd_families, accept, registry) == reference(Odd(), accept)


def test_a_sample_with_a_timestamp_is_left_to_prometheus_client() -> None:
    def families() -> list[Metric]:
        g = GaugeMetricFamily("stamped", "has a timestamp", labels=["k"])
        g.add_metric(["a"], 1.0, timestamp=1_757_412_000.5)
        return [g]

    class Stamped:
        def collect(self) -> list[Metric]:
            return families()

    def registry() -> CollectorRegistry:
        reg = CollectorRegistry(auto_describe=False)
        reg.register(Stamped())  # type: ignore[arg-type]
        return reg

    for accept in (None, "application/openmetrics-text; version=1.0.0"):
        got = render_families(families, accept, registry)
        assert got == reference(Stamped(), accept)
        assert b"1757412000" in got[0]


def test_the_textfile_is_the_text_exposition(scrape: Scrape, tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "execlog.prom"
    write_textfile(str(path), scrape)
    assert path.read_bytes() == reference(ExeclogCollector(lambda: scrape), None)[0]
