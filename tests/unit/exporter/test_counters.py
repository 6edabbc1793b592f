"""SPEC 11's counters, counted by the engine once it starts counting, against a count by hand."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter

import pytest

from execlog_tui.core import fastpath
from execlog_tui.core.config import Bands, Config
from execlog_tui.core.counters import duration_buckets_ms
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.entry import Entry
from execlog_tui.core.parser import parse_line
from execlog_tui.core.snapshot import snapshot_to_json

from ..fastpath.helpers import BASE, gen_lines

KNOWN_STATUSES = {"SUCCESS", "FAILURE", "DEGRADED", "TIMEOUT", "RETRY", "SKIPPED"}
KNOWN_STATUSES |= {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
COMPLETED = {"SUCCESS", "FAILURE", "DEGRADED", "TIMEOUT", "RETRY", "SKIPPED", "ERROR", "CRITICAL"}
DEFAULT_BUCKETS = (5, 10, 25, 50, 100, 200, 250, 300, 400, 500, 1000, 2500, 5000, 10000)


def iso(ms: int) -> str:
    from execlog_tui.core.timefmt import format_ts

    return format_ts(ms) or ""


def by_hand(lines: list[str], wall_ms: int, buckets: tuple[float, ...]) -> dict:
    """SPEC 11 read literally: every entry (not a parse error, not from the future), status as shown or
    OTHER; cache HIT/MISS; completed operations' durations in `le` buckets. (Fewer than 100 components.)"""
    entries: Counter[tuple[str, str]] = Counter()
    hits = misses = parse_errors = future = 0
    hist: dict[str, list[int]] = {}
    limit = wall_ms + 5 * 60_000
    for line in lines:
        item = parse_line(line)
        if item is None:
            continue
        if not isinstance(item, Entry):
            parse_errors += 1
            continue
        if item.ts > limit:
            future += 1
            continue
        comp = "OTHER" if item.component == "OTHER" else item.component
        entries[(comp, item.status if item.status in KNOWN_STATUSES else "OTHER")] += 1
        if comp == "CACHE" and item.action == "HIT":
            hits += 1
        if comp == "CACHE" and item.action == "MISS":
            misses += 1
        if item.status in COMPLETED and comp != "BOOTSTRAP":
            h = hist.setdefault(comp, [0] * (len(buckets) + 1))
            h[bisect_left(buckets, item.duration_ms)] += 1
    return {
        "entries": dict(entries),
        "hits": hits,
        "misses": misses,
        "parse_errors": parse_errors,
        "future": future,
        "hist": {c: tuple(sum(h[: i + 1]) for i in range(len(h))) for c, h in hist.items()},
    }


def counted(engine: MetricsEngine) -> dict:
    v = engine.counter_values()
    assert v is not None
    return {
        "entries": v.entries,
        "hits": v.cache_hits,
        "misses": v.cache_misses,
        "parse_errors": v.parse_errors,
        "future": v.future,
        "hist": {c: h.cumulative for c, h in v.durations.items()},
    }


def test_default_buckets_are_the_thresholds_edges_and_the_fixed_ones() -> None:
    assert duration_buckets_ms(Config()) == DEFAULT_BUCKETS
    th = dict(Config().thresholds)
    th["response_time"] = Bands.of("< 20ms", "20-75.5ms", "75.5-90ms", "> 90ms")
    assert duration_buckets_ms(Config(thresholds=th)) == (
        5, 10, 20, 25, 75.5, 90, 250, 300, 400, 500, 1000, 2500, 5000, 10000
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(4))
def test_counters_count_what_is_fed_after_they_start(seed: int) -> None:
    lines = gen_lines(seed, 3000)
    history, followed = lines[:1000], lines[1000:]
    wall = BASE + 3_600_000
    engine = MetricsEngine(wall_ms=wall)
    engine.feed_lines(history)
    engine.start_counting()
    zero = counted(engine)
    assert zero == {"entries": {}, "hits": 0, "misses": 0, "parse_errors": 0, "future": 0, "hist": {}}
    engine.feed_lines(followed)
    assert counted(engine) == by_hand(followed, wall, DEFAULT_BUCKETS)


@pytest.mark.skipif(not fastpath.available(), reason="C scanner not built")
@pytest.mark.parametrize("seed", range(3))
def test_a_counting_engine_on_the_fast_path_counts_every_line(seed: int) -> None:
    """The fast path hands a counting engine every line (a run has no statuses): the same counters and
    the same figures as the per-line path."""
    lines = [f"{iso(BASE + 7 * i)}|ROUTING|DECIDE|{i % 300}|SUCCESS|ok" for i in range(1, 4000)]
    lines += gen_lines(seed, 2000)
    wall = BASE + 3_600_000
    slow, fast = MetricsEngine(wall_ms=wall), MetricsEngine(wall_ms=wall)
    slow.start_counting()
    fast.start_counting()
    slow.feed_lines(lines)
    fastpath.FastFeeder(fast).feed_block(("\n".join(lines) + "\n").encode())
    assert counted(fast) == counted(slow) == by_hand(lines, wall, DEFAULT_BUCKETS)
    assert snapshot_to_json(fast.snapshot()) == snapshot_to_json(slow.snapshot())


def test_a_duration_on_an_edge_is_in_that_bucket() -> None:
    engine = MetricsEngine(wall_ms=BASE)
    engine.start_counting()
    engine.feed_lines([f"{iso(BASE + i)}|API|CALL|{d}|SUCCESS|" for i, d in enumerate((5, 5.001, 10000, 10001))])
    v = engine.counter_values()
    assert v is not None
    h = v.durations["API"]
    assert h.cumulative[0] == 1  # le=0.005: 5 ms only
    assert h.cumulative[1] == 2  # le=0.01
    assert h.cumulative[-2] == 3  # le=10
    assert h.cumulative[-1] == h.count == 4  # +Inf
    assert h.sum_s == pytest.approx((5 + 5.001 + 10000 + 10001) / 1000)


def test_breaker_transitions_late_entries_and_statuses() -> None:
    engine = MetricsEngine(wall_ms=BASE + 120_000)
    engine.feed_lines([f"{iso(BASE)}|API|CALL|1|SUCCESS|"])
    engine.start_counting()
    engine.feed_lines(
        [
            f"{iso(BASE + 1000)}|API|CALL|1|FAILURE|",
            f"{iso(BASE + 2000)}|API|CALL|1|FAILURE|",
            f"{iso(BASE + 3000)}|API|CALL|1|FAILURE|",  # opens
            f"{iso(BASE + 500)}|API|CALL|1|WEIRD|",  # late: counted, status OTHER
            f"{iso(BASE + 34000)}|API|CALL|1|SUCCESS|",  # HALF_OPEN at 33 s, this closes it
            f"{iso(BASE + 35000)}|OTHER|CALL|1|info|",
            f"{iso(BASE + 36000)}|SEC|CIRCUIT_OPEN|0|WARNING|",
            "not a line",
            f"{iso(BASE + 3_600_000)}|API|CALL|1|SUCCESS|",  # from the future
        ]
    )
    v = engine.counter_values()
    assert v is not None
    assert v.transitions == {("API", "OPEN"): 1, ("API", "HALF_OPEN"): 1, ("API", "CLOSED"): 1, ("SEC", "OPEN"): 1}
    assert v.entries == {
        ("API", "FAILURE"): 3,
        ("API", "OTHER"): 1,
        ("API", "SUCCESS"): 1,
        ("OTHER", "INFO"): 1,
        ("SEC", "WARNING"): 1,
    }
    assert (v.parse_errors, v.future) == (1, 1)


def test_components_past_the_first_100_are_other() -> None:
    engine = MetricsEngine(wall_ms=BASE)
    engine.feed_lines([f"{iso(BASE + i)}|C{i:03d}|CALL|1|SUCCESS|" for i in range(95)])
    engine.start_counting()
    engine.feed_lines([f"{iso(BASE + 100 + i)}|C{i:03d}|CALL|1|SUCCESS|" for i in range(0, 120, 10)])
    engine.feed_lines([f"{iso(BASE + 300)}|API|CALL|1|SUCCESS|"])  # known, but received 111th
    v = engine.counter_values()
    assert v is not None
    # C000..C094 came first (history), C100 and C110 are the 96th and 97th: tracked; API after them too.
    assert v.entries == {
        **{(f"C{i:03d}", "SUCCESS"): 1 for i in range(0, 95, 10)},
        ("C100", "SUCCESS"): 1,
        ("C110", "SUCCESS"): 1,
        ("API", "SUCCESS"): 1,
    }
    engine.feed_lines([f"{iso(BASE + 400 + i)}|D{i:03d}|CALL|1|SUCCESS|" for i in range(5)])
    v = engine.counter_values()
    assert v is not None
    assert v.entries[("D000", "SUCCESS")] == 1  # the 99th and 100th tracked
    assert v.entries[("D001", "SUCCESS")] == 1
    assert v.entries[("OTHER", "SUCCESS")] == 3  # D002..D004: tracked by the engine, OTHER in labels
    assert ("D002", "SUCCESS") not in v.entries
