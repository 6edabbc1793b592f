"""Buckets of whole seconds and minutes, their totals, and the duration histogram behind p95."""

from __future__ import annotations

import math

# Durations below 100 ms get a bin per millisecond (exact within 1 ms); above, bins grow by 2 %
# (exact within 2 %): p95 from a histogram, per SPEC section 4, with no samples kept.
_EXACT_BELOW = 100
_LOG_STEP = math.log(1.02)


def duration_bin(ms: float) -> int:
    if ms < _EXACT_BELOW:
        return int(ms)
    return _EXACT_BELOW + int(math.log(ms / _EXACT_BELOW) / _LOG_STEP)


def bin_value(index: int) -> float:
    """A value inside the bin, within 1 ms (small bins) or 2 % (large bins) of every value in it."""
    if index < _EXACT_BELOW:
        return float(index)
    low = _EXACT_BELOW * math.exp((index - _EXACT_BELOW) * _LOG_STEP)
    return low * math.sqrt(1.02)


def percentile(hist: dict[int, int], count: int, fraction: float = 0.95) -> float | None:
    """Nearest-rank percentile of the durations counted in `hist`."""
    if count <= 0:
        return None
    rank = max(1, math.ceil(fraction * count))
    seen = 0
    for index in sorted(hist):
        seen += hist[index]
        if seen >= rank:
            return bin_value(index)
    return bin_value(max(hist))


class Agg:
    """Totals of one bucket, or of several merged: everything SPEC section 4 needs to compute figures."""

    __slots__ = (
        "entries", "errors", "completed", "dur_sum", "hits", "misses",
        "hist", "mem_ts", "mem_last", "mem_max", "comps",
    )

    def __init__(self) -> None:
        self.entries = 0
        self.errors = 0
        self.completed = 0
        self.dur_sum = 0.0
        self.hits = 0
        self.misses = 0
        self.hist: dict[int, int] = {}
        self.mem_ts = -1  # timestamp of the newest memory report, for merging buckets in any order
        self.mem_last: float | None = None
        self.mem_max: float | None = None
        # component -> [entries, errors, duration sum, duration max]
        self.comps: dict[str, list[float]] = {}

    def add_memory(self, ts: int, value: float) -> None:
        if ts >= self.mem_ts:
            self.mem_ts = ts
            self.mem_last = value
        if self.mem_max is None or value > self.mem_max:
            self.mem_max = value

    def merge(self, other: Agg, with_components: bool = True) -> None:
        self.entries += other.entries
        self.errors += other.errors
        self.completed += other.completed
        self.dur_sum += other.dur_sum
        self.hits += other.hits
        self.misses += other.misses
        hist = self.hist
        for k, v in other.hist.items():
            hist[k] = hist.get(k, 0) + v
        if other.mem_last is not None:
            if other.mem_ts >= self.mem_ts:
                self.mem_ts = other.mem_ts
                self.mem_last = other.mem_last
            if self.mem_max is None or other.mem_max > self.mem_max:  # type: ignore[operator]
                self.mem_max = other.mem_max
        if with_components:
            comps = self.comps
            for name, c in other.comps.items():
                mine = comps.get(name)
                if mine is None:
                    comps[name] = list(c)
                else:
                    mine[0] += c[0]
                    mine[1] += c[1]
                    mine[2] += c[2]
                    if c[3] > mine[3]:
                        mine[3] = c[3]

    def subtract_counts(self, other: Agg) -> None:
        """Remove a bucket that left a running total (memory and histogram are not kept in those)."""
        self.entries -= other.entries
        self.errors -= other.errors
        self.completed -= other.completed
        self.dur_sum -= other.dur_sum
        self.hits -= other.hits
        self.misses -= other.misses
