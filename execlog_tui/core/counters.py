"""SPEC 11's counters of what was read while following: counted per entry fed, for the exporter to expose.

The engine holds a `Counters` only once a session starts following (`MetricsEngine.start_counting`); until
then its hooks cost one `is None` test. Entries are counted as the engine sees them (after the component
cap of SPEC 4), labelled as SPEC 11 says: the first `LABELLED_COMPONENTS` tracked components by name, the
rest and OTHER as OTHER; statuses as shown, other tokens as OTHER. Parse errors and entries from the future
are the engine's own totals less what they were when counting started (no hook on their paths).

A fast-path run (`MetricsEngine.add_run`) holds no statuses and no per-component durations, so it cannot
be counted exactly: a counting engine has the fast path hand every line to the per-line path instead
(`MetricsEngine.next_timer`).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from execlog_tui.core.components import OTHER, ComponentCap
from execlog_tui.core.config import Config
from execlog_tui.core.entry import LEVELS, STATUS_CODES, cache_result, is_completed

LABELLED_COMPONENTS = 100  # SPEC 11: component labels for the first 100 tracked components only
STATUS_LABELS = STATUS_CODES | LEVELS
# SPEC 11: the histogram's fixed buckets (seconds), besides the configured thresholds' edges.
FIXED_BUCKETS_S = (0.005, 0.01, 0.025, 0.5, 1.0, 2.5, 5.0, 10.0)
BUCKET_THRESHOLDS = ("response_time", "bootstrap")  # whose band edges are buckets too
_MS_UNITS = (None, "ms")


def duration_buckets_ms(config: Config) -> tuple[float, ...]:
    """The upper bounds (ms, ascending, +Inf not included) of `execlog_operation_duration_seconds`:
    the edges of the response-time and bootstrap bands, and SPEC 11's fixed buckets."""
    edges = {s * 1000.0 for s in FIXED_BUCKETS_S}
    for name in BUCKET_THRESHOLDS:
        bands = config.thresholds.get(name)
        if bands is None:
            continue
        for rule in (bands.optimal, bands.acceptable, bands.warning, bands.error):
            if rule.unit in _MS_UNITS:
                edges.add(rule.low)
                edges.add(rule.high)
    return tuple(sorted(e for e in edges if e > 0))


def first_components(cap: ComponentCap, limit: int = LABELLED_COMPONENTS) -> frozenset[str]:
    """The components that keep their own name in labels: the first `limit` the cap tracked (SPEC 11)."""
    return frozenset(cap.order[:limit])


@dataclass(frozen=True, slots=True)
class HistogramValues:
    """One component's durations: cumulative counts per bucket (the last one +Inf), count and sum (s)."""

    cumulative: tuple[int, ...]
    count: int
    sum_s: float


@dataclass(frozen=True, slots=True)
class CounterValues:
    """The counters at one moment (a copy: the engine goes on counting)."""

    entries: dict[tuple[str, str], int]  # (component label, status label) -> entries
    parse_errors: int
    future: int
    cache_hits: int
    cache_misses: int
    transitions: dict[tuple[str, str], int]  # (component label, new state) -> transitions
    rotations: int
    buckets_ms: tuple[float, ...]  # the histogram's upper bounds, +Inf not included
    durations: dict[str, HistogramValues]  # component label -> its histogram


class _Cell:
    """The counting of one (component, status) as fed: its entries, and its label's histogram when such
    entries are completed operations (None otherwise); what each entry needs is decided once per cell."""

    __slots__ = ("key", "count", "hist", "cache")

    def __init__(self, key: tuple[str, str], hist: list[float] | None, cache: bool) -> None:
        self.key = key  # (component label, status label)
        self.count = 0
        self.hist = hist
        self.cache = cache  # a CACHE entry: HIT and MISS count as lookups


class Counters:
    """Counts what the engine is fed from its creation on (SPEC 11)."""

    __slots__ = (
        "_cap",
        "_labels",
        "_cells",
        "_parse_errors_base",
        "_future_base",
        "cache_hits",
        "cache_misses",
        "transitions",
        "rotations",
        "buckets_ms",
        "_hist",
    )

    def __init__(self, config: Config, cap: ComponentCap, parse_errors: int, future: int) -> None:
        self._cap = cap
        self._labels: dict[str, str] = {}  # component -> label, filled as components are counted
        # (component, status label) -> its cell: at most the cap's components times the statuses
        self._cells: dict[tuple[str, str], _Cell] = {}
        self._parse_errors_base = parse_errors
        self._future_base = future
        self.cache_hits = 0
        self.cache_misses = 0
        self.transitions: dict[tuple[str, str], int] = {}
        self.rotations = 0  # the session counts them (follower events)
        self.buckets_ms = duration_buckets_ms(config)
        # component label -> [count per bucket (not cumulative, the last +Inf), ..., duration sum (ms)]
        self._hist: dict[str, list[float]] = {}

    def label(self, component: str) -> str:
        """The component's label (the cap's component: tracked, or OTHER)."""
        got = self._labels.get(component)
        if got is None:
            got = component if component != OTHER and component in self._cap.order[:LABELLED_COMPONENTS] else OTHER
            self._labels[component] = got
        return got

    def entry(self, component: str, action: str, duration_ms: float, status: str) -> None:
        """One entry fed (late ones included; never a parse error or an entry from the future)."""
        if status not in STATUS_LABELS:
            status = OTHER  # any other token: bounded cells whatever the input
        cell = self._cells.get((component, status))
        if cell is None:
            cell = self._cell(component, status)
        cell.count += 1
        h = cell.hist
        if h is not None:
            h[bisect_left(self.buckets_ms, duration_ms)] += 1  # the first bound >= the duration (le)
            h[-1] += duration_ms
        if cell.cache:
            result = cache_result(component, action)
            if result is not None:
                if result == "HIT":
                    self.cache_hits += 1
                else:
                    self.cache_misses += 1

    def _cell(self, component: str, status: str) -> _Cell:
        comp = self.label(component)
        hist = None
        if is_completed(component, status):  # OTHER stands for any other token: never completed
            hist = self._hist.get(comp)
            if hist is None:
                hist = self._hist[comp] = [0.0] * (len(self.buckets_ms) + 2)
        cell = self._cells[(component, status)] = _Cell(
            (comp, status), hist, cache_result(component, "HIT") is not None
        )
        return cell

    @property
    def entries(self) -> dict[tuple[str, str], int]:
        """(component label, status label) -> entries."""
        out: dict[tuple[str, str], int] = {}
        for cell in self._cells.values():
            if cell.count:
                out[cell.key] = out.get(cell.key, 0) + cell.count
        return out

    def transition(self, component: str, state: str) -> None:
        """A breaker entered `state` (CLOSED, OPEN, HALF_OPEN)."""
        key = (self.label(component), state)
        self.transitions[key] = self.transitions.get(key, 0) + 1

    def values(self, parse_errors: int, future: int) -> CounterValues:
        """A copy, given the engine's totals of parse errors and future entries now."""
        durations = {}
        for comp, h in self._hist.items():
            cumulative = []
            seen = 0
            for n in h[:-1]:
                seen += int(n)
                cumulative.append(seen)
            durations[comp] = HistogramValues(tuple(cumulative), seen, h[-1] / 1000.0)
        return CounterValues(
            entries=self.entries,
            parse_errors=parse_errors - self._parse_errors_base,
            future=future - self._future_base,
            cache_hits=self.cache_hits,
            cache_misses=self.cache_misses,
            transitions=dict(self.transitions),
            rotations=self.rotations,
            buckets_ms=self.buckets_ms,
            durations=durations,
        )
