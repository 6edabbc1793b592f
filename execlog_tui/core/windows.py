"""The windows (SPEC 3), their buckets of whole seconds and minutes, the buckets' totals, and the
duration histogram behind p95."""

from __future__ import annotations

import math
from dataclasses import dataclass

from execlog_tui.core.totals import merge_acts, merge_comps, merge_counts


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """One window of SPEC section 3: `buckets` whole buckets of `bucket_ms` each, aligned to UTC."""

    name: str
    bucket_ms: int
    buckets: int

    @property
    def bucket_s(self) -> int:
        return self.bucket_ms // 1000

    @property
    def seconds(self) -> int:
        """The window's length: `requests_per_second` divides by it (SPEC 4)."""
        return self.bucket_ms * self.buckets // 1000

    @property
    def ms(self) -> int:
        return self.bucket_ms * self.buckets

    def first_bucket(self, t: int) -> int:
        """The index (in buckets of `bucket_ms` since the epoch) of the window's oldest bucket as of t."""
        return t // self.bucket_ms - self.buckets + 1

    def start_ms(self, t: int) -> int:
        """The first instant of the window as of t: it holds the entries with start_ms(t) <= ts <= t."""
        return self.first_bucket(t) * self.bucket_ms

    def holds(self, t: int, ts: int) -> bool:
        """Whether an entry dated `ts` (fed by the time of t) is in the window as of t (SPEC 3)."""
        return self.start_ms(t) <= ts <= t


# The one definition of the windows, shortest first: every other module takes them from here.
WINDOWS: tuple[WindowSpec, ...] = (
    WindowSpec("1m", 1000, 60),
    WindowSpec("5m", 1000, 300),
    WindowSpec("1h", 60_000, 60),
    WindowSpec("1d", 60_000, 1440),
)
WINDOW_NAMES: tuple[str, ...] = tuple(w.name for w in WINDOWS)
WINDOWS_BY_NAME: dict[str, WindowSpec] = {w.name: w for w in WINDOWS}
SHORTEST: WindowSpec = WINDOWS[0]  # alerts, the degraded rule and the sparklines look at it
LONGEST: WindowSpec = WINDOWS[-1]  # per-component figures are over it (SPEC 4)
# How many second and minute buckets the longest windows of each size hold.
SECOND_BUCKETS: int = max(w.buckets for w in WINDOWS if w.bucket_ms == 1000)
MINUTE_BUCKETS: int = max(w.buckets for w in WINDOWS if w.bucket_ms == 60_000)

NO_TS = -(1 << 62)  # before any timestamp (the epoch ms of a year before 1970 is negative)
NO_SEC = NO_TS // 1000  # before any second (every negative epoch second is an ordinary one)

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


def nearest_rank(count: int, fraction: float = 0.95) -> int:
    """The 1-based rank, in ascending order of `count` values, of the nearest-rank percentile."""
    return max(1, math.ceil(fraction * count))


def percentile(hist: dict[int, int], count: int, fraction: float = 0.95) -> float | None:
    """Nearest-rank percentile of the durations counted in `hist`."""
    if count <= 0:
        return None
    rank = nearest_rank(count, fraction)
    seen = 0
    for index in sorted(hist):
        seen += hist[index]
        if seen >= rank:
            return bin_value(index)
    return bin_value(max(hist))


class ActTotals:
    """One (component, action) of a critical path's checkpoints in one bucket (SPEC 10): every entry,
    of any status. Its stage rows merge these (a checkpoint may match two actions: HIT and MISS)."""

    __slots__ = ("entries", "errors", "dur_sum", "dur_min", "dur_max", "hist")

    def __init__(self) -> None:
        self.entries = 0
        self.errors = 0
        self.dur_sum = 0.0
        # The extremes bound the histogram's p95 (one entry's p95 is its own duration, exactly).
        self.dur_min = math.inf
        self.dur_max = -math.inf
        self.hist: dict[int, int] = {}

    def p95(self) -> float | None:
        """Nearest rank over the histogram (within 2 % or 1 ms), never outside [min, max]."""
        p = percentile(self.hist, self.entries)
        return None if p is None else min(max(p, self.dur_min), self.dur_max)

    def add(self, failed: bool, dur: float) -> None:
        self.entries += 1
        if failed:
            self.errors += 1
        self.dur_sum += dur
        if dur < self.dur_min:
            self.dur_min = dur
        if dur > self.dur_max:
            self.dur_max = dur
        k = int(dur) if dur < _EXACT_BELOW else duration_bin(dur)
        self.hist[k] = self.hist.get(k, 0) + 1

    def merge(self, other: ActTotals) -> None:
        self.entries += other.entries
        self.errors += other.errors
        self.dur_sum += other.dur_sum
        if other.dur_min < self.dur_min:
            self.dur_min = other.dur_min
        if other.dur_max > self.dur_max:
            self.dur_max = other.dur_max
        if other.hist:
            merge_counts(self.hist, other.hist)


class Agg:
    """Totals of one bucket, or of several merged: everything SPEC section 4 needs to compute figures."""

    __slots__ = (
        "entries",
        "errors",
        "completed",
        "dur_sum",
        "hits",
        "misses",
        "hist",
        "mem_ts",
        "mem_last",
        "mem_max",
        "comps",
        "acts",
    )

    def __init__(self) -> None:
        self.entries = 0
        self.errors = 0
        self.completed = 0
        self.dur_sum = 0.0
        self.hits = 0
        self.misses = 0
        self.hist: dict[int, int] = {}
        # Timestamp of the newest memory report: the newest by timestamp wins, whatever the order in
        # which entries arrive (a late one does not replace it) or buckets are merged (SPEC 4).
        self.mem_ts = NO_TS
        self.mem_last: float | None = None
        self.mem_max: float | None = None
        # component -> [entries, errors, duration sum, duration max]
        self.comps: dict[str, list[float]] = {}
        # critical-path checkpoint actions (SPEC 10): act id (the engine's numbering) -> totals
        self.acts: dict[int, ActTotals] = {}

    def act(self, act_id: int) -> ActTotals:
        a = self.acts.get(act_id)
        if a is None:
            a = self.acts[act_id] = ActTotals()
        return a

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
        if other.hist:
            merge_counts(self.hist, other.hist)
        if other.mem_last is not None:
            if other.mem_ts >= self.mem_ts:
                self.mem_ts = other.mem_ts
                self.mem_last = other.mem_last
            if other.mem_max is not None and (self.mem_max is None or other.mem_max > self.mem_max):
                self.mem_max = other.mem_max
        if other.acts:
            merge_acts(self.acts, other.acts, ActTotals)
        if with_components and other.comps:
            merge_comps(self.comps, other.comps)

    def subtract_counts(self, other: Agg) -> None:
        """Remove a bucket that left a running total (memory and histogram are not kept in those)."""
        self.entries -= other.entries
        self.errors -= other.errors
        self.completed -= other.completed
        self.dur_sum -= other.dur_sum
        self.hits -= other.hits
        self.misses -= other.misses


class BucketSeries(dict[int, Agg]):
    """The buckets of one size (whole seconds or whole minutes) keyed by their index, owning their
    eviction: a bucket older than `keep` before the newest one can no longer be in any window, and
    such buckets are dropped in one sweep once `slack` of them have piled up (memory stays bounded
    whatever the log's length; a sweep per bucket would cost O(keep) each time)."""

    def __init__(self, keep: int, slack: int) -> None:
        super().__init__()
        self.keep = keep
        self.slack = slack

    def open(self, key: int) -> Agg:
        """A new, empty bucket for `key` (the newest), evicting what has left every window."""
        b = self[key] = Agg()
        if len(self) > self.keep + self.slack:
            floor = key - self.keep
            for old in [k for k in self if k < floor]:
                del self[old]
        return b

    def total(self, first: int, end: int, with_components: bool = True) -> Agg:
        """The buckets [first, end) merged into one."""
        agg = Agg()
        if len(self) < end - first:
            for key in sorted(self):
                if first <= key < end:
                    agg.merge(self[key], with_components=with_components)
        else:
            for key in range(first, end):
                b = self.get(key)
                if b is not None and b.entries:
                    agg.merge(b, with_components=with_components)
        return agg


def window_start(spec: WindowSpec, t: int) -> int:
    """The first millisecond of the window as of t: the start of its oldest bucket (SPEC 3)."""
    return (t // spec.bucket_ms - spec.buckets + 1) * spec.bucket_ms


def covered_ms(spec: WindowSpec, first: int | None, t: int | None) -> int | None:
    """How much of the window as of t holds data: from the first entry read (`first`) to t, or the
    window's whole length once the data starts at or before the window does. None with no data.

    A window's figures divide by its whole length (SPEC 4: a 1d window after 7 minutes of data reads
    a small requests/s); this says how much of that length the data covers, for the screen and the
    text report to show beside the window (`1d · 7m of data`)."""
    if first is None or t is None:
        return None
    if first <= window_start(spec, t):
        return spec.ms
    return max(0, min(spec.ms, t - first))


def span_text(ms: int) -> str:
    """A coarse length of time for labels: 45s, 7m, 2h 05m, 3d 04h (whole units, rounded down)."""
    s = max(ms, 0) // 1000
    if s < 60:
        return f"{s}s"
    m = s // 60
    if m < 60:
        return f"{m}m"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h {m:02d}m" if m else f"{h}h"
    d, h = divmod(h, 24)
    return f"{d}d {h:02d}h" if h else f"{d}d"


def coverage_note(spec: WindowSpec, first: int | None, t: int | None) -> str | None:
    """`7m of data` when the data covers less than the window as of t, else None (the whole window,
    or no data at all: then every figure is empty and says so itself)."""
    covered = covered_ms(spec, first, t)
    if covered is None or covered >= spec.ms:
        return None
    return f"{span_text(covered)} of data"
