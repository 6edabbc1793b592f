"""The metrics engine: entries in clock order to windows, breakers, alerts and snapshots (SPEC 3-7)."""

from __future__ import annotations

import math
import pickle
import time
from collections.abc import Iterable, Sequence
from typing import Any

from execlog_tui.core.alerts import AlertHook, AlertTracker
from execlog_tui.core.breakers import BreakerTracker
from execlog_tui.core.components import OTHER, ComponentCap
from execlog_tui.core.config import Config
from execlog_tui.core.counters import Counters, CounterValues
from execlog_tui.core.critical_paths import PathTracker
from execlog_tui.core.entry import (
    BOOTSTRAP_COMPLETE,
    CACHE,
    CACHE_HIT,
    CACHE_MISS,
    ERROR_STATUSES,
    KNOWN_COMPONENTS,
    Entry,
    ParseError,
    is_completed,
    memory_figure,
)
from execlog_tui.core.parser import fast_match, parse_line
from execlog_tui.core.snapshot import (
    ComponentFigures,
    MetricsSnapshot,
    SourceView,
    SourceWarningView,
    WindowFigures,
)
from execlog_tui.core.timefmt import _epoch_seconds, timestamp_from_match
from execlog_tui.core.totals import Flat, add_acts, add_comps, add_pairs, unpack
from execlog_tui.core.windows import (
    LONGEST,
    MINUTE_BUCKETS,
    NO_SEC,
    NO_TS,
    SECOND_BUCKETS,
    SHORTEST,
    WINDOWS,
    ActTotals,
    Agg,
    BucketSeries,
    WindowSpec,
    duration_bin,
    percentile,
)

_DEGRADED_ON = "Entering degraded mode"
_DEGRADED_OFF = ("Leaving degraded mode", "Exiting degraded mode")
_FAR_FUTURE = 1 << 62
# Duration sums of buckets below this are added and taken away exactly (integers far from 2**53 even
# summed over a window's 60 buckets).
_EXACT_SUM = float(1 << 46)
_FRACTION_MS: dict[str, int] = {}  # fraction text -> milliseconds, filled lazily (at most a few thousand keys)


def _fraction_ms(fraction: str) -> int:
    ms = _FRACTION_MS.get(fraction)
    if ms is None:
        ms = int((fraction + "00")[:3])
        if len(_FRACTION_MS) < 20_000:
            _FRACTION_MS[fraction] = ms
    return ms


def future_limit(config: Config, wall_ms: int) -> int:
    """The newest timestamp that is not from the future at wall clock `wall_ms` (SPEC 3)."""
    return wall_ms + config.log.max_future_ms


class MetricsEngine:
    """Feed it entries in the order they were read; ask it for a snapshot as of its clock.

    The clock T is log time: it moves forward to each entry's timestamp and never back (SPEC 3).
    `advance(t)` moves it on without an entry (the wall clock while following, a replay clock).

    An entry dated more than `max_future` ahead of the wall clock (SPEC 3) moves no clock and counts
    only in `entries` and `future`. The wall clock is the engine's creation time unless the caller
    says otherwise with `set_wall_clock` (a session: its start for history and replay, each arrival
    while following).
    """

    def __init__(
        self,
        config: Config | None = None,
        alert_hook: AlertHook | None = None,
        wall_ms: int | None = None,
        *,
        figures: bool = True,
    ) -> None:
        self.config = config or Config()
        # False: an engine that only plans (core/feedplan.py: a worker recording an archive's plan):
        # the clock, breakers, components and current second move as ever, but no whole second is
        # evaluated, no second reaches the minute buckets and a run's totals are not added, so its
        # figures and alerts mean nothing.
        self.figures = figures
        self.t: int | None = None
        self.future = 0  # entries left out as dated too far ahead of the wall clock (SPEC 3)
        self._future_files: dict[str, int] = {}  # file -> how many of them
        self.feeding_file: str | None = None  # the file the lines being fed come from (for `future`)
        self.future_limit = 0
        self.set_wall_clock(int(time.time() * 1000) if wall_ms is None else wall_ms)
        self._next_eval = _FAR_FUTURE  # the next whole second (ms) whose alert evaluation is pending
        self._next_timer = _FAR_FUTURE
        self._cur_sec = NO_SEC  # the newest bucket's second (a date before 1970 has a negative one)
        self._cur: Agg = Agg()
        self._secs = BucketSeries(SECOND_BUCKETS, 100)
        self._mins = BucketSeries(MINUTE_BUCKETS, 60)
        self._late_version = 0
        # Complete minutes of the minute windows, one entry per window length (1h and 1d: a single entry
        # was replaced by the other window at every snapshot, recomputing a day of minutes each time).
        self._minute_cache: dict[int, tuple[int, int, int, Agg]] = {}
        self._window_entries = 0  # entries in the 1m window at the last evaluation
        self._win: list[Any] | None = None  # the running sum of `_window_sum`
        self.breakers = BreakerTracker(self.config.breaker, self._on_breaker)
        # SPEC 4: every entry's component goes through this cap (the fast path registers only what it tracks).
        self._cur_fractional = False  # the newest bucket holds a non-integer duration sum
        self.alerts = AlertTracker(self.config.monitoring.conditions, alert_hook)
        # SPEC 10: the configured critical paths' stage totals (act ids) and runs.
        self.paths = PathTracker(self.config.critical_paths, self.alerts)
        self._path_components = self.paths.components
        self._act_ids = self.paths.act_ids
        self.components = ComponentCap(
            self.config.monitoring.max_components,
            (*KNOWN_COMPONENTS, *self.config.log.components, *self._path_components),
        )
        self._needs_memory = any(c.figure == "memory_mb" for c in self.config.monitoring.conditions)
        self._needs_p95 = any(c.figure == "p95_response_ms" for c in self.config.monitoring.conditions)
        self.bootstrap_ms: float | None = None
        self._bootstrap_ts = NO_TS  # the timestamp of the BOOTSTRAP/COMPLETE behind bootstrap_ms
        self.degraded_explicit = False
        self.stopped = False  # an entry after `until` was met: nothing more is fed (feed_lines)
        self.entries = 0
        self.parse_errors = 0
        self.first: int | None = None
        self.last: int | None = None
        self.files: list[str] = []
        self.warnings: list[SourceWarningView] = []
        # SPEC 11's counters of what is fed while following: None (no cost but this test) until
        # `start_counting`.
        self.counters: Counters | None = None

    # ----------------------------------------------------------------------------------- clock
    def set_wall_clock(self, wall_ms: int) -> None:
        """The wall clock the future rule compares with (SPEC 3): entries after wall + max_future
        are left out. Applied when entries are fed, never kept in derived data."""
        self.future_limit = future_limit(self.config, wall_ms)

    def is_future(self, ts: int) -> bool:
        """Whether an entry at `ts` is dated too far ahead of the wall clock to move any clock."""
        return ts > self.future_limit

    def _note_future(self) -> None:
        self.entries += 1
        self.future += 1
        name = self.feeding_file or ""
        self._future_files[name] = self._future_files.get(name, 0) + 1

    def advance(self, t: int) -> None:
        """Move the clock forward to t (never back), evaluating every whole second on the way."""
        if self.t is None:
            return  # before the first entry there is nothing to evaluate
        if t > self.t:
            self._advance(t)
            self.t = t

    def _advance(self, t: int, inclusive: bool = False) -> None:
        """Work due before t (or at t, `inclusive`): whole-second evaluations and breaker timers
        (timers due at t always), in time order."""
        eval_before = t + 1 if inclusive else t
        while True:
            ev = self._next_eval if self._next_eval < eval_before else _FAR_FUTURE
            tm = self._next_timer if self._next_timer <= t else _FAR_FUTURE
            if ev == _FAR_FUTURE and tm == _FAR_FUTURE:
                return
            if tm <= ev:
                self.breakers.tick(tm)
                self._next_timer = self.breakers.next_timer() or _FAR_FUTURE
                continue
            if self.figures:
                self._evaluate(ev)
            nxt = ev + 1000
            if not self._window_entries and not self.alerts.critical_last_sec:
                # The 1m window is empty: nothing changes before the next entry, skip the idle seconds,
                # but not past the second a stuck run's alert fires at (SPEC 10).
                target = (t // 1000) * 1000
                due = self.paths.next_due()
                if due is not None and due < target:
                    target = due
                nxt = max(nxt, target)
            self._next_eval = nxt

    def _evaluate(self, second_ms: int) -> None:
        s = second_ms // 1000
        lo = SHORTEST.first_bucket(second_ms)
        agg = self._window_sum(lo, s)
        if agg is None:
            agg = self._window_sum_of_buckets(lo, s)
        self._window_entries = agg.entries
        figures = self._figures(agg, SHORTEST.seconds)
        figures["bootstrap_ms"] = self.bootstrap_ms
        self.alerts.evaluate(second_ms, figures)
        self.paths.evaluate(second_ms)

    def _window_sum(self, lo: int, s: int) -> Agg | None:
        """The shortest window's totals for buckets [lo, s] from a running sum of its settled buckets
        (those before the current one, which only a late entry changes: then the sum is made again),
        plus the current bucket: the same totals as adding every bucket (`_window_sum_of_buckets`), in
        time per second, not per bucket of the window. None where it could differ in the last bit: a
        p95 condition (histograms), or a duration sum that is not a small integer (float sums then
        depend on the order of addition)."""
        if self._needs_p95:
            return None
        secs = self._secs
        cur = self._cur_sec
        hi = min(s, cur - 1)
        w = self._win
        if w is None or w[8] != self._late_version or w[0] > lo or w[1] > hi:
            w = self._win = [lo, lo - 1, 0, 0, 0, 0.0, 0, 0, self._late_version, 0]
        # w: [first, last, entries, errors, completed, dur_sum, hits, misses, late version, inexact buckets]
        for sec in range(w[0], min(lo, w[1] + 1)):  # the buckets that left the window
            b = secs.get(sec)
            if b is not None and b.entries:
                w[2] -= b.entries
                w[3] -= b.errors
                w[4] -= b.completed
                w[6] -= b.hits
                w[7] -= b.misses
                if b.dur_sum.is_integer() and -_EXACT_SUM < b.dur_sum < _EXACT_SUM:
                    w[5] -= b.dur_sum
                else:  # kept out of the sum: while it is in the window, the buckets are added up
                    w[9] -= 1
        if lo > w[0]:
            w[0] = lo
        if w[1] < lo - 1:
            w[1] = lo - 1
        for sec in range(w[1] + 1, hi + 1):  # the buckets settled since
            b = secs.get(sec)
            if b is not None and b.entries:
                w[2] += b.entries
                w[3] += b.errors
                w[4] += b.completed
                w[6] += b.hits
                w[7] += b.misses
                if b.dur_sum.is_integer() and -_EXACT_SUM < b.dur_sum < _EXACT_SUM:
                    w[5] += b.dur_sum
                else:  # kept out of the sum: while it is in the window, the buckets are added up
                    w[9] += 1
        if hi > w[1]:
            w[1] = hi
        if w[9]:
            return None
        agg = Agg()
        agg.entries, agg.errors, agg.completed, agg.dur_sum, agg.hits, agg.misses = w[2], w[3], w[4], w[5], w[6], w[7]
        if lo <= cur <= s:
            b = self._cur
            if b.entries:
                if not (b.dur_sum.is_integer() and -_EXACT_SUM < b.dur_sum < _EXACT_SUM):
                    return None
                agg.entries += b.entries
                agg.errors += b.errors
                agg.completed += b.completed
                agg.dur_sum += b.dur_sum
                agg.hits += b.hits
                agg.misses += b.misses
        if self._needs_memory:
            for sec in range(s, lo - 1, -1):  # the newest report is in the newest bucket holding one
                b = self._cur if sec == cur else secs.get(sec)
                if b is not None and b.mem_last is not None:
                    agg.mem_ts, agg.mem_last = b.mem_ts, b.mem_last
                    break
        return agg

    def _window_sum_of_buckets(self, lo: int, s: int) -> Agg:
        agg = Agg()
        secs = self._secs
        for sec in range(lo, s + 1):
            b = secs.get(sec)
            if b is not None and b.entries:
                agg.entries += b.entries
                agg.errors += b.errors
                agg.completed += b.completed
                agg.dur_sum += b.dur_sum
                agg.hits += b.hits
                agg.misses += b.misses
                if self._needs_memory and b.mem_last is not None and b.mem_ts >= agg.mem_ts:
                    agg.mem_ts, agg.mem_last = b.mem_ts, b.mem_last
                if self._needs_p95:
                    for k, v in b.hist.items():
                        agg.hist[k] = agg.hist.get(k, 0) + v
        return agg

    @staticmethod
    def _figures(agg: Agg, seconds: int) -> dict[str, float | None]:
        n = agg.entries
        looked = agg.hits + agg.misses
        avg = agg.dur_sum / agg.completed if agg.completed else None
        if avg is not None and not math.isfinite(avg):
            avg = None  # the sum overflowed (durations near 1e308): no figure, so no band or alert (SPEC 5)
        return {
            "entries": n,
            "requests_per_second": n / seconds,
            "error_rate": 100.0 * agg.errors / n if n else None,
            "avg_response_ms": avg,
            "p95_response_ms": percentile(agg.hist, agg.completed) if agg.hist else None,
            "cache_hit_rate": 100.0 * agg.hits / looked if looked else None,
            "memory_mb": agg.mem_last,
            "memory_max_mb": agg.mem_max,
        }

    def _on_breaker(self, component: str, old: str, new: str, ts: int) -> None:
        if self.counters is not None:
            self.counters.transition(component, new)
        name = f"breaker:{component}"
        if new == "OPEN":
            self.alerts.fire(name, f"{component} breaker OPEN", None, ts)
        elif new == "CLOSED":
            self.alerts.resolve(name, ts)
        if new == "OPEN" or old == "OPEN":
            self._next_timer = self.breakers.next_timer() or _FAR_FUTURE

    # ------------------------------------------------------------------------------- feeding
    def feed_entry(self, e: Entry) -> None:
        self._feed(e.ts, e.component, e.action, e.duration_ms, e.status, e.details)

    def feed_parsed(self, items: Iterable[Entry | ParseError]) -> None:
        for item in items:
            if type(item) is Entry:
                self._feed(item.ts, item.component, item.action, item.duration_ms, item.status, item.details)
            else:
                self.parse_errors += 1

    def feed_lines(self, lines: list[str], until: int | None = None) -> int:
        """Parse and feed raw lines (the batch hot path: no Entry objects). The first entry after
        `until` stops the feed for good (`stopped`): it and every line after it are what the screen
        would not have seen yet at `until` (a late line after it was written after it). Returns how
        many lines were left out that way."""
        if self.stopped:
            return len(lines)
        match = fast_match
        feed = self._feed
        epoch = _epoch_seconds
        skipped = 0
        limit = _FAR_FUTURE if until is None else until
        for line in lines:
            m = match(line)
            if m is None:
                item = parse_line(line)
                if item is None:
                    continue
                if isinstance(item, ParseError):
                    self.parse_errors += 1
                    continue
                if item.ts > limit and not item.ts > self.future_limit:
                    self.stopped = True
                    return skipped + self._rest(lines, line)
                self.feed_entry(item)
                continue
            prefix, fraction, zone, component, action, duration, status, details = m.groups()
            if zone and zone != "Z":
                zoned = timestamp_from_match(prefix, fraction, zone)  # the offset and the UTC range (SPEC 1)
                if zoned is None:
                    self.parse_errors += 1
                    continue
                ts = zoned
            else:
                sec = epoch(prefix)
                if sec is None:
                    self.parse_errors += 1
                    continue
                ts = sec * 1000
                if fraction:
                    ts += _fraction_ms(fraction)
            if ts > limit and not ts > self.future_limit:  # a future entry moves no clock: it stops nothing
                self.stopped = True
                return skipped + self._rest(lines, line)
            if details and details[-1] == "\r":
                details = details[:-1]
            feed(ts, component.upper(), action.upper(), float(duration), status.upper(), details)
        return skipped

    @staticmethod
    def _rest(lines: list[str], line: str) -> int:
        """How many lines from `line` (identity, not equality) to the end of `lines`."""
        for i in range(len(lines) - 1, -1, -1):
            if lines[i] is line:
                return len(lines) - i
        return 1

    def _feed(self, ts: int, comp: str, action: str, dur: float, status: str, details: str) -> None:
        if ts > self.future_limit:
            self._note_future()  # SPEC 3: counted in `source`, nothing else
            return
        cap = self.components
        if comp not in cap.tracked:
            comp = cap.fold(comp)
            if comp == OTHER and cap.first_fold_file is None and cap.folded:
                cap.first_fold_file = self.feeding_file or (self.files[-1] if self.files else "")
        t = self.t
        in_order = t is None or ts >= t  # a late entry (dated before T) touches no run (SPEC 10)
        if t is None:
            self._start(ts)
        elif ts > t:
            if ts > self._next_eval or ts >= self._next_timer:
                self._advance(ts)
            self.t = ts
        self.entries += 1
        if self.counters is not None:
            self.counters.entry(comp, action, dur, status)
        if self.last is None or ts > self.last:
            self.last = ts
        if self.first is None or ts < self.first:
            self.first = ts
        if (comp, action) == BOOTSTRAP_COMPLETE and ts >= self._bootstrap_ts:
            # The newest by timestamp, whatever the window: a late line with an older one does not
            # replace it (SPEC 4).
            self.bootstrap_ms, self._bootstrap_ts = dur, ts
        sec = ts // 1000
        if sec == self._cur_sec:
            b = self._cur
            late = None
        else:
            got, late = self._bucket(sec)
            if got is None:
                return  # older than every window: it only counts in `source`
            b = got
        if b is self._cur and not self._cur_fractional and not dur.is_integer():
            self._cur_fractional = True
        failed = status in ERROR_STATUSES
        b.entries += 1
        if failed:
            b.errors += 1
        completed = is_completed(comp, status)
        if completed:
            b.completed += 1
            b.dur_sum += dur
            k = int(dur) if dur < 100 else duration_bin(dur)
            hist = b.hist
            hist[k] = hist.get(k, 0) + 1
        c = b.comps.get(comp)
        if c is None:
            b.comps[comp] = [1, 1 if failed else 0, dur, dur]
        else:
            c[0] += 1
            if failed:
                c[1] += 1
            c[2] += dur
            if dur > c[3]:
                c[3] = dur
        if comp == CACHE:
            if action == CACHE_HIT:
                b.hits += 1
            elif action == CACHE_MISS:
                b.misses += 1
        if "_mb=" in details:
            mem = memory_figure(details)
            if mem is not None:
                b.add_memory(ts, mem)
        if comp in self._path_components:
            act = self._act_ids.get((comp, action))
            if act is not None:
                b.act(act).add(failed, dur)
                if late is not None:
                    late.act(act).add(failed, dur)
            if in_order:
                self.paths.observe(comp, action, ts, dur, failed)
        if late is not None:
            self._late(late, ts, comp, action, dur, status, details, failed, completed)
        if comp != OTHER:  # OTHER has figures but no breaker and no alerts of its own (SPEC 4)
            self.breakers.observe(comp, action, ts, failed, completed)
            if status == "CRITICAL":
                self.alerts.critical(comp, ts)
        if details and details[0] in "ELX":
            if details.startswith(_DEGRADED_ON):
                self.degraded_explicit = True
            elif details.startswith(_DEGRADED_OFF):
                self.degraded_explicit = False

    # ---------------------------------------------------------------- seams of the fast path
    # The fast path (core/fastpath.py) applies runs of plain lines through these, exactly as feeding
    # the lines one by one would; nothing outside the engine touches its buckets or timers.
    @property
    def next_timer(self) -> int:
        """The next breaker timer (ms); a line at or after it must go through `feed_lines`. While the
        engine counts (SPEC 11) every line must: a run holds no statuses or per-component durations."""
        return self._next_timer if self.counters is None else NO_TS

    @property
    def current_second(self) -> int:
        """The second (s) of the newest bucket, NO_SEC before the first entry."""
        return self._cur_sec

    @property
    def late_version(self) -> int:
        """Bumped by every late entry: settled buckets changed (the replay's checkpoint store)."""
        return self._late_version

    def bucket_maps(self) -> tuple[BucketSeries, BucketSeries]:
        """The per-second and per-minute buckets, for checkpoints to read (never to change)."""
        return self._secs, self._mins

    def current_sums_fractional(self) -> bool:
        """Whether the newest bucket holds a non-integer duration sum (a run's integer sums added
        to it would then depend on the order of addition)."""
        return bool(self._cur.entries) and self._cur_fractional

    def note_parse_errors(self, n: int) -> None:
        """n lines that are parse errors (counted, nothing else: SPEC 1), from the fast path."""
        self.parse_errors += n

    def stop(self) -> None:
        """Nothing more is fed (an entry after a report's `until` was met)."""
        self.stopped = True

    def add_run(
        self,
        sec: int,
        ts0: int,
        ts1: int,
        n: int,
        completed: int,
        dur_sum: float,
        hits: int,
        misses: int,
        hist: Flat,
        comps: Flat,
        names: Sequence[str],
        acts: Flat = (),
        act_hist: Flat = (),
        path_events: Flat = (),
    ) -> None:
        """A run of `n` plain entries of second `sec`, timestamps ts0..ts1 in order, none of them an
        error, a breaker action, a memory figure or a degraded marker, with no timer due inside:
        the clock steps at its first line as `_feed` would, then its totals go into the bucket.
        `hist` is flat (bin, count) pairs; `comps` flat (component id, entries, duration sum, max)
        with ids into `names`. Critical paths (SPEC 10): `acts` flat (act id, entries, duration sum, min, max),
        `act_hist` flat (act id, bin, count), `path_events` flat (path id, restarted, n, then n
        (checkpoint index, ts, duration) triples): see `PathTracker.apply_events`. Each flat total is
        a sequence or packed as the C scanner hands it over (core/totals.py `unpack`)."""
        t = self.t
        assert t is not None  # a run only follows an entry fed line by line
        if self.counters is not None:
            # `next_timer` hands a counting engine every line: a run here would go uncounted.
            raise RuntimeError("a fast-path run fed to a counting engine (its lines must come one by one)")
        if ts0 > t and (ts0 > self._next_eval or ts0 >= self._next_timer):
            self._advance(ts0)
        if ts1 > t:
            self.t = ts1
        self.entries += n
        if self.last is None or ts1 > self.last:
            self.last = ts1
        if sec == self._cur_sec:
            b = self._cur
        else:
            got, _late = self._bucket(sec)  # a new second (runs are in order): never late
            assert got is not None
            b = got
        b.entries += n
        if not self.figures:
            # An engine that only plans (a worker recording an archive's plan): what its feeder decides
            # by is the clock, the timers, the components and the current second, never a total.
            return
        if completed:
            b.completed += completed
            b.dur_sum += dur_sum
            add_pairs(b.hist, hist)
        # A name not tracked was registered by a feeder from another engine (a replay's restore): folded.
        add_comps(b.comps, comps, names, self.components.tracked, self.components.fold)
        if hits:
            b.hits += hits
        if misses:
            b.misses += misses
        if acts:
            add_acts(b.acts, acts, act_hist, ActTotals)
        if isinstance(path_events, bytes):
            path_events = unpack(path_events, 1)  # apply_events reads each value as an int or a float
        i = 0
        while i < len(path_events):
            n_ev = int(path_events[i + 2])
            end = i + 3 + 3 * n_ev
            self.paths.apply_events(int(path_events[i]), bool(path_events[i + 1]), path_events[i + 3 : end])
            i = end

    # ------------------------------------------------------------ kept states (SPEC 12)
    def dump_state(self) -> bytes:
        """This engine's whole state, to be adopted by another engine of the same configuration (the
        derived-data cache keeps it after a set's archives): everything but the alert hook."""
        hook = self.alerts.hook
        self.alerts.hook = None
        try:
            return pickle.dumps(self, 5)
        finally:
            self.alerts.hook = hook

    def adopt_state(self, blob: bytes, archives: Sequence[str]) -> None:
        """Become the engine `dump_state` saved (same configuration) after reading the files now
        named `archives` (in that order), keeping this one's alert hook, wall clock, input files and
        warnings: as if the lines behind it had been fed here. A file name the state holds (where the
        component cap first folded) becomes the name the same archive has now."""
        other = _loads_state(blob)
        renamed = dict(zip(other.files[: len(archives)], archives, strict=False))  # noted in reading order
        cap = other.components
        if cap.first_fold_file is not None:
            cap.first_fold_file = renamed.get(cap.first_fold_file, archives[-1] if archives else "")
        self._become(
            other,
            {
                "config": self.config,
                "future_limit": self.future_limit,
                "files": self.files,
                "feeding_file": self.feeding_file,
                "warnings": self.warnings,
            },
        )

    def take_over(self, blob: bytes) -> None:
        """Become the engine `dump_state` saved in another process that was fed this engine's input
        with its configuration and wall clock (the dashboard's history, read off the UI's interpreter):
        all of it, its files and warnings too, with this engine's configuration object and alert hook."""
        self._become(_loads_state(blob), {"config": self.config})

    def _become(self, other: MetricsEngine, keep: dict[str, object]) -> None:
        hook = self.alerts.hook
        vars(self).update(vars(other))
        vars(self).update(keep)
        self.alerts.hook = hook
        self.breakers.rebind(self._on_breaker)

    # ------------------------------------------------------------------- counters (SPEC 11)
    def start_counting(self) -> Counters:
        """Count what is fed from now on (the counters of SPEC 11 start at 0 when following starts)."""
        if self.counters is None:
            self.counters = Counters(self.config, self.components, self.parse_errors, self.future)
        return self.counters

    def counter_values(self) -> CounterValues | None:
        """The counters now (a copy), None unless counting."""
        if self.counters is None:
            return None
        return self.counters.values(self.parse_errors, self.future)

    def _start(self, ts: int) -> None:
        self.t = ts
        self.first = self.last = ts
        self._next_eval = -(-ts // 1000) * 1000  # the first whole second at or after ts

    def _bucket(self, sec: int) -> tuple[Agg | None, Agg | None]:
        """The bucket of second `sec` when it is not the current one; for a late entry also the
        minute bucket it must reach directly (its second was already merged)."""
        if sec > self._cur_sec:
            if self._cur_sec != NO_SEC and self.figures:
                self._merge_second(self._cur_sec, self._cur)
            self._cur_sec = sec
            self._cur = b = self._secs.open(sec)
            self._cur_fractional = False
            return b, None
        # A late entry: it lands in its own bucket while that bucket is in a window (SPEC 3).
        self._late_version += 1
        minute = sec // 60
        if minute < self._cur_sec // 60 - (MINUTE_BUCKETS - 1):
            return None, None
        m = self._mins.get(minute)
        if m is None:
            m = self._mins[minute] = Agg()
        if sec < self._cur_sec - (SECOND_BUCKETS - 1):
            return m, None  # only the minute windows still hold it
        sb = self._secs.get(sec)
        if sb is None:
            sb = self._secs[sec] = Agg()
        return sb, m

    @staticmethod
    def _late(
        m: Agg, ts: int, comp: str, action: str, dur: float, status: str, details: str, failed: bool, completed: bool
    ) -> None:
        """Repeat a late entry's counting in its (already merged) minute bucket."""
        one = Agg()
        one.entries = 1
        one.errors = int(failed)
        if completed:
            one.completed, one.dur_sum = 1, dur
            one.hist[duration_bin(dur)] = 1
        one.comps[comp] = [1, int(failed), dur, dur]
        if comp == CACHE:
            one.hits, one.misses = int(action == CACHE_HIT), int(action == CACHE_MISS)
        mem = memory_figure(details)
        if mem is not None:
            one.add_memory(ts, mem)
        m.merge(one)

    def _merge_second(self, sec: int, b: Agg) -> None:
        minute = sec // 60
        m = self._mins.get(minute)
        if m is None:
            m = self._mins.open(minute)
        m.merge(b)

    # ------------------------------------------------------------------------------ snapshots
    def note_file(self, name: str) -> None:
        """A file of the input; the lines fed from now on come from it (`feeding_file`)."""
        if name not in self.files:
            self.files.append(name)
        self.feeding_file = name

    def _future_warnings(self) -> tuple[SourceWarningView, ...]:
        """SPEC 3: once per file, with the count."""
        ms = self.config.log.max_future_ms
        ahead = f"{ms / 60_000:g} minutes" if ms and ms % 60_000 == 0 else f"{ms / 1000:g} seconds"
        return tuple(
            SourceWarningView(
                name,
                f"{n:,} {'entry' if n == 1 else 'entries'} dated more than {ahead} ahead of the wall clock:"
                " left out of the clock and the figures",
            )
            for name, n in self._future_files.items()
        )

    def note_warning(self, file: str, message: str) -> None:
        self.warnings.append(SourceWarningView(file, message))

    def snapshot(self, as_of: int | None = None, *, settle: bool = True) -> MetricsSnapshot:
        """The figures as of the clock (or of `as_of` >= the clock, which moves the clock there).

        `settle`: evaluate T itself when it is a whole second (SPEC 7), for good. Only when nothing more
        dated T can come: a look while the input is still being fed (a frame during the history, a
        replay between its steps) passes False, else the second would be judged before the rest of
        its entries and stay so (an alert a second late, in every view and in what the cache keeps)."""
        if as_of is not None:
            self.advance(as_of)
        t = self.t
        if t is None:
            t = as_of  # nothing read at or before `as_of`: empty figures, as of that time
        else:
            # Settle the whole seconds before T, and T itself when it is a whole second and may be settled.
            self._advance(t, inclusive=settle)
        windows = {}
        day: Agg | None = None
        acts = {}
        for w in WINDOWS:
            agg = self._window_agg(t, w)
            if w is LONGEST:
                day = agg  # per-component figures are over the longest window (SPEC 4)
            windows[w.name] = self._window_figures(w.name, agg, w.seconds)
            acts[w.name] = agg.acts
        components = {}
        if day is not None:
            for comp, (entries, errors, dur_sum, dur_max) in day.comps.items():
                components[comp] = ComponentFigures(int(entries), int(errors), dur_sum / entries, dur_max)
        th = self.config.thresholds
        hit_1m = windows[SHORTEST.name].cache_hit_rate
        degraded_rate = hit_1m is not None and hit_1m < self.config.safeguards.degraded_below_hit_rate
        reason = None
        if self.degraded_explicit:
            reason = "the log says: Entering degraded mode"
        elif degraded_rate:
            reason = f"1m cache hit rate {hit_1m:.1f}% < {self.config.safeguards.degraded_below_hit_rate:g}%"
        return MetricsSnapshot(
            as_of=t,
            source=SourceView(
                tuple(self.files),
                self.entries,
                self.parse_errors,
                self.first,
                self.last,
                self._warnings() + self._future_warnings(),
                self.future,
            ),
            windows=windows,
            components=components,
            bootstrap_ms=self.bootstrap_ms,
            bootstrap_band=th["bootstrap"].classify(self.bootstrap_ms) if "bootstrap" in th else None,
            breakers=self.breakers.views(),
            alerts=self.alerts.views(),
            degraded=self.degraded_explicit or degraded_rate,
            degraded_reason=reason,
            series=self._series(t),
            critical_paths=self.paths.views(t, acts),
        )

    def _warnings(self) -> tuple[SourceWarningView, ...]:
        cap = self.components
        folded = cap.warning()
        if folded is None:
            return tuple(self.warnings)
        return (*self.warnings, SourceWarningView(cap.first_fold_file or "", folded))

    def _window_agg(self, t: int | None, w: WindowSpec) -> Agg:
        agg = Agg()
        if t is None:
            return agg
        s = t // 1000
        if w.bucket_s == 1:
            return self._secs.total(w.first_bucket(t), s + 1, with_components=False)
        m_now = s // 60
        first = w.first_bucket(t)
        agg.merge(self._complete_minutes(first, m_now))
        cur_min = self._mins.get(m_now)
        if cur_min is not None:
            agg.merge(cur_min)
        if self._cur_sec != NO_SEC and first <= self._cur_sec // 60 <= m_now:
            agg.merge(self._cur)
        return agg

    def _complete_minutes(self, first: int, end: int) -> Agg:
        """Minutes [first, end): cached, since they change only through late entries and through the
        current second merged into its minute when the next second opens (the current minute then
        changes: a clock advanced past it leaves that minute in [first, end) before its last second)."""
        span = end - first
        version = self._late_version
        cur_min = self._cur_sec // 60
        cached = self._minute_cache.get(span)
        if cached is not None and cached[0] == first and cached[1] == version and cached[2] == cur_min:
            return cached[3]
        agg = self._mins.total(first, end)
        self._minute_cache[span] = (first, version, cur_min, agg)
        return agg

    def _window_figures(self, name: str, agg: Agg, seconds: int) -> WindowFigures:
        f = self._figures(agg, seconds)
        th = self.config.thresholds
        bands = {
            "response_time": th["response_time"].classify(f["avg_response_ms"]) if "response_time" in th else None,
            "cache_hit_rate": th["cache_hit_rate"].classify(f["cache_hit_rate"]) if "cache_hit_rate" in th else None,
            "memory_usage": th["memory_usage"].classify(f["memory_mb"]) if "memory_usage" in th else None,
            "error_rate": "error" if self.alerts.is_firing("error_rate") else None,
        }
        return WindowFigures(
            name,
            agg.entries,
            f["requests_per_second"] or 0.0,
            agg.errors,
            f["error_rate"],
            f["avg_response_ms"],
            f["p95_response_ms"],
            f["cache_hit_rate"],
            f["memory_mb"],
            f["memory_max_mb"],
            bands,
        )

    def _series(self, t: int | None) -> dict[str, tuple[float | None, ...]]:
        if t is None:
            return {}
        s = t // 1000
        entries: list[float | None] = []
        errors: list[float | None] = []
        avg: list[float | None] = []
        p95: list[float | None] = []
        hit: list[float | None] = []
        mem: list[float | None] = []
        for sec in range(s - SHORTEST.buckets + 1, s + 1):
            b = self._secs.get(sec)
            if b is None or not b.entries:
                entries.append(0.0)
                errors.append(0.0)
                avg.append(None)
                p95.append(None)
                hit.append(None)
                mem.append(None)
                continue
            entries.append(float(b.entries))
            errors.append(float(b.errors))
            avg.append(b.dur_sum / b.completed if b.completed else None)
            # The same nearest-rank rule over the same histogram as the windows' p95 (SPEC 4).
            p95.append(percentile(b.hist, b.completed) if b.hist else None)
            looked = b.hits + b.misses
            hit.append(100.0 * b.hits / looked if looked else None)
            mem.append(b.mem_last)
        return {
            "entries": tuple(entries),
            "errors": tuple(errors),
            "avg_response_ms": tuple(avg),
            "p95_response_ms": tuple(p95),
            "cache_hit_rate": tuple(hit),
            "memory_mb": tuple(mem),
        }


def _loads_state(blob: bytes) -> MetricsEngine:
    other = pickle.loads(blob)
    if not isinstance(other, MetricsEngine):
        raise ValueError("not an engine's state")
    return other
