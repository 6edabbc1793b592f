"""The seed's sample entries, with the figures worked out by hand."""

from __future__ import annotations

from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.snapshot import snapshot_to_json

from .helpers import T


def test_seed_sample_figures_worked_by_hand(seed: list[str]) -> None:
    e = MetricsEngine()
    e.feed_lines(seed)
    snap = e.snapshot()
    j = snapshot_to_json(snap)
    assert j["as_of"] == "2025-09-09T10:04:30.002Z"
    assert j["source"]["entries"] == 22 and j["source"]["parse_errors"] == 0
    # Bootstrap COMPLETE 254 ms: 250-300 is acceptable.
    assert j["bootstrap"] == {"ms": 254.0, "band": "acceptable"}
    # CACHE breaker: inferred OPEN at the third FAILURE (.200), explicit from .201 (since stays .200),
    # HALF_OPEN at the CIRCUIT_TEST, CLOSED from 10:04:30.002; opened once.
    assert j["breakers"]["CACHE"] == {
        "state": "CLOSED",
        "since": "2025-09-09T10:04:30.002Z",
        "opened": 1,
        "inferred": False,
    }
    # 1d cache hit rate: one HIT and one MISS (LOOKUP/FETCH/UPDATE are not lookups' outcomes) = 50 %.
    assert j["windows"]["1d"]["cache_hit_rate"] == 50.0
    assert j["windows"]["1d"]["bands"]["cache_hit_rate"] == "error"
    # 1m as of 10:04:30.002 holds 10:03:31.000 .. 10:04:30.002: the four 10:04:00 entries and two at 10:04:30.
    w1 = j["windows"]["1m"]
    assert (w1["entries"], w1["errors"], w1["error_rate"]) == (6, 3, 50.0)
    # Completed operations in 1m: 3 FAILURE (5, 4, 3 ms), CIRCUIT_CLOSE SUCCESS 0 ms (WARNING/INFO are not).
    assert w1["avg_response_ms"] == 3.0
    assert w1["p95_response_ms"] == 5.0
    assert w1["requests_per_second"] == 0.1
    # Error-rate alert: fired at 10:04:00 (1 entry, 1 error = 100 %), still firing.
    alerts = {a["name"]: a for a in j["alerts"]}
    assert alerts["error_rate"]["fired"] == "2025-09-09T10:04:00.000Z"
    assert alerts["error_rate"]["value"] == 100.0 and alerts["error_rate"]["resolved"] is None
    assert w1["bands"]["error_rate"] == "error"
    # Breaker alert: from the inferred opening to the close.
    assert alerts["breaker:CACHE"]["fired"] == "2025-09-09T10:04:00.200Z"
    assert alerts["breaker:CACHE"]["resolved"] == "2025-09-09T10:04:30.002Z"
    # Cache hit rate alert: the MISS at 10:03:00.002 is in the 1m window from 10:03:01 to 10:03:59.
    assert alerts["cache_hit_rate"]["fired"] == "2025-09-09T10:03:01.000Z"
    assert alerts["cache_hit_rate"]["resolved"] == "2025-09-09T10:04:00.000Z"
    assert [a["name"] for a in j["alerts"]] == ["cache_hit_rate", "error_rate", "breaker:CACHE"]
    assert j["degraded"] is False


def test_seed_breaker_history_step_by_step(seed: list[str]) -> None:
    e = MetricsEngine()
    seen = []
    for line in seed:
        e.feed_lines([line])
        b = e.snapshot().breakers.get("CACHE")
        if b is not None:
            seen.append((line[11:23], b.state, b.since, b.inferred))
    assert ("10:04:00.200", "OPEN", T("10:04:00.200"), True) in seen
    assert ("10:04:00.201", "OPEN", T("10:04:00.200"), False) in seen
    assert ("10:04:30.000", "HALF_OPEN", T("10:04:30.000"), False) in seen
    assert seen[-1] == ("10:04:30.002", "CLOSED", T("10:04:30.002"), False)


def test_error_rate_resolves_when_the_burst_leaves_the_window(seed: list[str]) -> None:
    e = MetricsEngine()
    e.feed_lines(seed)
    snap = e.snapshot(as_of=T("10:05:00.000"))
    alert = [a for a in snap.alerts if a.name == "error_rate"][0]
    assert alert.resolved == T("10:05:00.000")
    assert snap.windows["1m"].entries == 2 and snap.windows["1m"].error_rate == 0.0
