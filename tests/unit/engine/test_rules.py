"""SPEC sections 3-7, rule by rule, at their edges."""

from __future__ import annotations

import math
import random

import pytest

from execlog_tui.core.config import Bands, Config, default_thresholds
from execlog_tui.core.windows import duration_bin, percentile

from .helpers import T, engine_with, line


# ---------------------------------------------------------------------------------------- bands
@pytest.mark.parametrize(
    ("figure", "value", "band"),
    [
        ("bootstrap", 249.9, "optimal"),
        ("bootstrap", 250, "acceptable"),
        ("bootstrap", 300, "acceptable"),
        ("bootstrap", 301, "warning"),
        ("bootstrap", 400, "warning"),
        ("bootstrap", 401, "error"),
        ("cache_hit_rate", 85, "acceptable"),
        ("cache_hit_rate", 85.1, "optimal"),
        ("cache_hit_rate", 70, "warning"),
        ("cache_hit_rate", 69.9, "error"),
        ("memory_usage", 49.9, "optimal"),
        ("memory_usage", 80, "acceptable"),
        ("memory_usage", 100, "warning"),
        ("memory_usage", 100.1, "error"),
        ("response_time", 50, "acceptable"),
        ("response_time", 200, "warning"),
        ("response_time", 200.5, "error"),
        ("response_time", 0, "optimal"),
    ],
)
def test_band_boundaries(figure: str, value: float, band: str) -> None:
    assert default_thresholds()[figure].classify(value) == band


def test_band_null_and_none_holds_means_error() -> None:
    gappy = Bands.of("< 10ms", "20-30ms", "40-50ms", "> 100ms")
    assert gappy.classify(None) is None
    assert gappy.classify(15) == "error"  # no band's condition holds


def test_bootstrap_band_reported_from_newest_complete() -> None:
    e = engine_with(
        [
            line("10:00:00", "BOOTSTRAP", "COMPLETE", 254, "SUCCESS"),
            line("11:00:00", "BOOTSTRAP", "COMPLETE", 401, "SUCCESS"),
        ]
    )
    snap = e.snapshot()
    assert (snap.bootstrap_ms, snap.bootstrap_band) == (401, "error")


# -------------------------------------------------------------------------------------- windows
def test_one_minute_window_edges() -> None:
    e = engine_with(
        [
            line("10:03:30.999"),
            line("10:03:31.000"),
            line("10:04:30.002"),
        ]
    )
    snap = e.snapshot()
    assert snap.as_of == T("10:04:30.002")
    assert snap.windows["1m"].entries == 2  # 10:03:30.999 is in the 61st bucket back
    assert snap.windows["5m"].entries == 3
    assert snap.windows["1m"].requests_per_second == pytest.approx(2 / 60)


def test_five_minute_and_hour_windows_edges() -> None:
    e = engine_with([line("09:04:59.999"), line("09:05:00.000"), line("09:59:30"), line("10:04:30")])
    snap = e.snapshot()
    # 1h as of 10:04:30 = minutes 09:05 .. 10:04
    assert snap.windows["1h"].entries == 3
    # 5m as of 10:04:30 = seconds 09:59:31 .. 10:04:30
    assert snap.windows["5m"].entries == 1
    assert snap.windows["1d"].entries == 4


def test_day_window_drops_entries_older_than_1440_minutes() -> None:
    e = engine_with([line("2025-09-08T10:04:59.000Z"), line("2025-09-08T10:05:00.000Z"), line("10:04:30")])
    assert e.snapshot().windows["1d"].entries == 2


def test_late_entry_lands_in_its_bucket_and_never_moves_the_clock_back() -> None:
    e = engine_with([line("10:00:10"), line("10:00:50"), line("10:00:20", status="FAILURE")])
    snap = e.snapshot()
    assert snap.as_of == T("10:00:50")
    assert snap.windows["1m"].entries == 3 and snap.windows["1m"].errors == 1
    # and a late entry older than 5 minutes still counts in the hour window
    e = engine_with([line("10:00:00"), line("10:10:00"), line("10:01:00", status="FAILURE")])
    snap = e.snapshot()
    assert snap.windows["5m"].entries == 1
    assert snap.windows["1h"].entries == 3 and snap.windows["1h"].errors == 1


def test_figures_definitions() -> None:
    e = engine_with(
        [
            line("10:00:00.000", "API", "CALL", 10, "SUCCESS"),
            line("10:00:00.100", "API", "CALL", 30, "TIMEOUT"),
            line("10:00:00.200", "API", "CALL", 99, "INFO"),  # a checkpoint, not a completion
            line("10:00:00.300", "BOOTSTRAP", "CORE", 500, "SUCCESS"),  # BOOTSTRAP is not a completion
            line("10:00:00.400", "API", "CALL", 20, "ERROR"),
            line("10:00:00.500", "API", "CALL", 7, "WEIRD"),  # unknown status: neither error nor completion
            line("10:00:00.600", "CACHE", "HIT", 0, "SUCCESS"),
            line("10:00:00.700", "CACHE", "MISS", 0, "INFO"),
            line("10:00:00.800", "CACHE", "LOOKUP", 0, "INFO"),
            line("10:00:00.900", "MEMORY", "GC", 0, "INFO", "rss_mb=47.2 user=u3"),
            line("10:00:01.000", "MEMORY", "GC", 0, "INFO", "heap mem_mb=12"),
        ]
    )
    w = e.snapshot().windows["1m"]
    assert w.entries == 11
    assert w.errors == 2 and w.error_rate == pytest.approx(200 / 11)
    # completions: 10 (SUCCESS), 30 (TIMEOUT), 20 (ERROR), 0 (CACHE HIT SUCCESS)
    assert w.avg_response_ms == pytest.approx(60 / 4)
    assert w.cache_hit_rate == 50.0
    assert w.memory_mb == 12 and w.memory_max_mb == 47.2
    assert w.bands["memory_usage"] == "optimal"


def test_empty_window_figures_are_null() -> None:
    e = engine_with([line("10:00:00", "CACHE", "HIT", 0, "SUCCESS")])
    snap = e.snapshot(as_of=T("10:02:00"))
    w = snap.windows["1m"]
    assert (w.entries, w.error_rate, w.avg_response_ms, w.cache_hit_rate, w.memory_mb) == (0, None, None, None, None)
    assert w.bands == {"response_time": None, "cache_hit_rate": None, "memory_usage": None, "error_rate": None}
    assert snap.windows["5m"].cache_hit_rate == 100.0


@pytest.mark.parametrize("seed", range(5))
def test_p95_within_two_percent_or_one_ms_of_nearest_rank(seed: int) -> None:
    rnd = random.Random(seed)
    values = [rnd.choice([rnd.uniform(0, 120), rnd.lognormvariate(4, 1.5)]) for _ in range(rnd.randint(1, 3000))]
    hist: dict[int, int] = {}
    for v in values:
        k = duration_bin(v)
        hist[k] = hist.get(k, 0) + 1
    exact = sorted(values)[math.ceil(0.95 * len(values)) - 1]
    got = percentile(hist, len(values))
    assert got is not None
    assert abs(got - exact) <= max(1.0, 0.02 * exact)


# ------------------------------------------------------------------------------------- breakers
def test_inferred_breaker_opens_at_third_error_within_ten_seconds() -> None:
    e = engine_with(
        [
            line("10:00:00.000", status="FAILURE"),
            line("10:00:05", status="FAILURE"),
            line("10:00:10.000", status="TIMEOUT"),
        ]
    )
    b = e.snapshot().breakers["API"]
    assert (b.state, b.since, b.opened, b.inferred) == ("OPEN", T("10:00:10"), 1, True)


def test_three_errors_more_than_ten_seconds_apart_do_not_open() -> None:
    e = engine_with(
        [
            line("10:00:00.000", status="FAILURE"),
            line("10:00:05", status="FAILURE"),
            line("10:00:10.001", status="FAILURE"),
        ]
    )
    assert e.snapshot().breakers["API"].state == "CLOSED"
    e.feed_lines([line("10:00:11", status="FAILURE")])  # 05, 10.001, 11 are within 10 s
    assert e.snapshot().breakers["API"].state == "OPEN"


def test_inferred_half_open_after_exactly_thirty_seconds_then_test_closes() -> None:
    burst = [line(f"10:00:0{i}", status="FAILURE") for i in range(3)]
    e = engine_with(burst)
    assert e.snapshot(as_of=T("10:00:31.999")).breakers["API"].state == "OPEN"
    b = e.snapshot(as_of=T("10:00:32.000")).breakers["API"]
    assert (b.state, b.since, b.inferred) == ("HALF_OPEN", T("10:00:32"), True)
    e.feed_lines([line("10:00:40", status="INFO"), line("10:00:41", status="SUCCESS")])
    b = e.snapshot().breakers["API"]
    assert (b.state, b.since, b.opened, b.inferred) == ("CLOSED", T("10:00:41"), 1, True)
    alert = [a for a in e.snapshot().alerts if a.name == "breaker:API"][0]
    assert (alert.fired, alert.resolved) == (T("10:00:02"), T("10:00:41"))


def test_failed_test_reopens_without_counting_a_new_opening() -> None:
    e = engine_with([line(f"10:00:0{i}", status="FAILURE") for i in range(3)])
    e.feed_lines([line("10:00:35", status="FAILURE")])
    b = e.snapshot().breakers["API"]
    assert (b.state, b.since, b.opened) == ("OPEN", T("10:00:35"), 1)
    assert e.snapshot(as_of=T("10:01:05")).breakers["API"].state == "HALF_OPEN"
    e.feed_lines([line("10:01:06", status="SUCCESS")])
    b = e.snapshot().breakers["API"]
    assert (b.state, b.opened) == ("CLOSED", 1)
    assert len([a for a in e.snapshot().alerts if a.name == "breaker:API"]) == 1


def test_explicit_breaker_follows_the_log_and_stops_inference() -> None:
    e = engine_with(
        [
            line("10:00:00", "CACHE", "CIRCUIT_OPEN", 0, "WARNING"),
            line("10:00:01", "CACHE", "CIRCUIT_OPEN", 0, "WARNING"),  # confirmation: since unchanged
        ]
    )
    b = e.snapshot().breakers["CACHE"]
    assert (b.state, b.since, b.opened, b.inferred) == ("OPEN", T("10:00:00"), 1, False)
    # no timer for an explicit breaker
    assert e.snapshot(as_of=T("10:05:00")).breakers["CACHE"].state == "OPEN"
    e.feed_lines(
        [line("10:05:01", "CACHE", "CIRCUIT_TEST", 0, "INFO"), line("10:05:02", "CACHE", "CIRCUIT_OPEN", 0, "WARNING")]
    )  # "remains open"
    b = e.snapshot().breakers["CACHE"]
    assert (b.state, b.since, b.opened) == ("OPEN", T("10:05:02"), 1)
    e.feed_lines(
        [line("10:06:00", "CACHE", "CIRCUIT_CLOSE", 0, "SUCCESS")]
        + [line(f"10:06:0{i + 1}", "CACHE", "GET", 1, "FAILURE") for i in range(5)]
    )
    assert e.snapshot().breakers["CACHE"].state == "CLOSED"  # errors no longer infer anything


def test_every_component_seen_has_a_closed_breaker() -> None:
    e = engine_with([line("10:00:00", "ROUTING", "PICK", 1, "SUCCESS"), line("10:00:01", "family", "x", 1, "info")])
    views = e.snapshot().breakers
    assert set(views) == {"ROUTING", "FAMILY"}
    assert views["FAMILY"].state == "CLOSED" and views["FAMILY"].since == T("10:00:01")


# --------------------------------------------------------------------------------------- alerts
def test_error_rate_alert_fires_and_resolves_at_whole_seconds() -> None:
    lines = [line(f"10:00:{s:02d}.500") for s in range(0, 30)] + [line("10:00:30.500", status="FAILURE")]
    e = engine_with(lines)
    snap = e.snapshot(as_of=T("10:01:40"))
    a = [x for x in snap.alerts if x.name == "error_rate"][0]
    # 1 error in 31 entries (3.2 %) does not hold; at 10:01:01 the window is 10:00:02 .. 10:01:01 = 29 entries
    # + error: 1/29 = 3.4 % ... it holds first when errors/entries > 5 %: at 10:01:11, whose window
    # 10:00:12 .. 10:01:11 holds 18 successes and the error (1 of 19 = 5.26 %).
    assert a.fired == T("10:01:11.000")
    assert a.value == pytest.approx(100 / 19)
    # the error's bucket (10:00:30) leaves the window at 10:01:30 (window 10:00:31 .. 10:01:30)
    assert a.resolved == T("10:01:30.000")


def test_alert_evaluated_as_of_the_whole_second_excludes_later_entries_of_that_second() -> None:
    e = engine_with([line("10:00:00.000"), line("10:00:00.500", status="FAILURE"), line("10:00:00.600")])
    # as of 10:00:00.000 only the first entry (0 %); the error at .500 is evaluated at 10:00:01 (1/3).
    a = [x for x in e.snapshot(as_of=T("10:00:01")).alerts if x.name == "error_rate"][0]
    assert a.fired == T("10:00:01") and a.value == pytest.approx(100 / 3)


def test_critical_alert_resolves_when_no_critical_left_in_the_minute() -> None:
    e = engine_with([line("10:00:05.250", "SECURITY", "AUTH", 1, "CRITICAL")])
    snap = e.snapshot(as_of=T("10:01:04.999"))
    a = [x for x in snap.alerts if x.name == "critical:SECURITY"][0]
    assert a.fired == T("10:00:05.250") and a.resolved is None
    a = [x for x in e.snapshot(as_of=T("10:01:05")).alerts if x.name == "critical:SECURITY"][0]
    assert a.resolved == T("10:01:05")


def test_custom_conditions_from_config() -> None:
    from execlog_tui.core.config import Condition, MonitoringConfig

    cfg = Config(monitoring=MonitoringConfig(conditions=(Condition.parse("memory_usage >= 80MB"),)))
    e = engine_with(
        [
            line("10:00:00", "MEMORY", "GC", 0, "INFO", "rss_mb=79"),
            line("10:00:05", "MEMORY", "GC", 0, "INFO", "rss_mb=80"),
        ],
        config=cfg,
    )
    alerts = e.snapshot(as_of=T("10:00:07")).alerts
    assert [(a.name, a.fired, a.value) for a in alerts] == [("memory_usage", T("10:00:05"), 80.0)]


# ------------------------------------------------------------------------------------- degraded
def test_degraded_by_hit_rate_and_by_explicit_entries() -> None:
    e = engine_with(
        [
            line("10:00:00", "CACHE", "MISS", 0, "INFO"),
            line("10:00:01", "CACHE", "HIT", 0, "SUCCESS"),
            line("10:00:02", "CACHE", "MISS", 0, "INFO"),
        ]
    )
    assert e.snapshot().degraded is True  # 33 % < 60 %
    e = engine_with([line("10:00:00", "SYSTEM", "MODE", 0, "WARNING", "Entering degraded mode: cache cold")])
    assert e.snapshot().degraded is True
    e.feed_lines([line("10:05:00", "SYSTEM", "MODE", 0, "INFO", "Leaving degraded mode")])
    assert e.snapshot().degraded is False


def test_parse_errors_are_counted_and_excluded() -> None:
    e = engine_with([line("10:00:00"), "garbage", "", "2025-02-30T10:00:00Z|A|B|1|SUCCESS|x", "   "])
    snap = e.snapshot()
    assert snap.source.entries == 1 and snap.source.parse_errors == 2
    assert snap.windows["1m"].entries == 1


def test_a_late_critical_does_not_shorten_the_critical_alert_and_alerts_stay_oldest_first() -> None:
    e = engine_with(
        [
            line("10:00:30.000", "API", "CALL", 5, "CRITICAL"),
            line("10:00:00.000", "API", "CALL", 5, "CRITICAL"),
            line("10:00:10.000", "DB", "CALL", 5, "CRITICAL"),
            line("10:00:31.500"),
            line("10:01:05.000"),
        ]
    )
    alerts = e.snapshot(as_of=T("10:01:40")).alerts
    api = [a for a in alerts if a.name == "critical:API"][0]
    assert api.resolved == T("10:01:30")  # the 10:00:30 CRITICAL is in the window until then
    assert [a.fired for a in alerts] == sorted(a.fired for a in alerts)
