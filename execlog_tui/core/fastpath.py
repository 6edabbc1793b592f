"""Batch fast path: raw blocks of log lines through the optional C scanner, fed exactly as feed_lines would.

The reference is `MetricsEngine.feed_lines`, one line at a time. Here the C scanner (`execlog_tui._scan`)
aggregates runs of plain lines (one second, in order, UTC, integer duration, a component already seen,
no error, no breaker action, no memory figure, no degraded marker, before the next breaker timer) and
hands every other line back, in order, to `feed_lines` itself. A run is applied as the reference would
have fed its lines: the clock is moved at the run's first line (whole-second evaluations and breaker
timers cannot fall inside a run), then its totals go into the bucket of its second. Durations in runs are
integers, so their float sums are exact in any order; a second whose bucket holds a fractional sum is
handed to the per-line path whole (`slow_sec`).

Without the extension (no compiler at install time) `new_feeder` returns None and callers keep the
per-line path.
"""

from __future__ import annotations

import os
from typing import Any

from execlog_tui.core.breakers import HALF_OPEN
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.windows import duration_bin

try:
    from execlog_tui import _scan
except ImportError:  # built without a C compiler: the per-line path does everything
    _scan = None  # type: ignore[assignment]

_FAR_FUTURE = 1 << 62
_END, _SPECIAL, _RUN = 0, 1, 2
_MAX_INT_DURATION = 999_999_999  # the scanner takes integer durations of at most 9 digits
_BOUNDS: list[int] | None = None


def _lines_from(block: bytes, pos: int) -> int:
    """Lines in block[pos:] (the last one may lack its newline)."""
    if pos >= len(block):
        return 0
    return block.count(b"\n", pos) + (0 if block.endswith(b"\n") else 1)


def available() -> bool:
    return _scan is not None


def count_lines(block: bytes, limit: int) -> int:
    """The lines of a block of newline-separated lines (the C line counter), or -1 when one of them is
    longer than `limit` bytes or the extension is not built: the caller then splits and decodes it."""
    if _scan is None:
        return -1
    n: int = _scan.count_lines(block, limit)
    return n


def bin_bounds() -> list[int]:
    """bounds[j]: the smallest integer duration whose histogram bin is 100 + j (duration_bin itself
    decides, so the C scanner's bins are the reference's by construction)."""
    global _BOUNDS
    if _BOUNDS is None:
        bounds = [100]
        top = duration_bin(float(_MAX_INT_DURATION))
        for k in range(101, top + 1):
            lo, hi = bounds[-1], _MAX_INT_DURATION  # duration_bin(hi) >= k
            while lo < hi:
                mid = (lo + hi) // 2
                if duration_bin(float(mid)) >= k:
                    hi = mid
                else:
                    lo = mid + 1
            bounds.append(lo)
        _BOUNDS = bounds
    return _BOUNDS


class FastFeeder:
    """Feeds one engine from raw blocks (`feed_block`) or decoded lines (`feed`), exactly as
    `engine.feed_lines(lines, until)` would. Entries after `until` are skipped and counted."""

    def __init__(self, engine: MetricsEngine, until: int | None = None) -> None:
        self.engine = engine
        self.until = _FAR_FUTURE if until is None else until
        self._until_arg = until
        self.scanner = _scan.Scanner(bin_bounds())
        self._ids: dict[str, int] = {}  # component -> scanner id
        self._names: list[str] = []  # scanner id -> component
        self._known = 0  # breakers already looked at for registration
        self._watched: list[int] = []
        self._slow_sec = -1
        self._timers = False  # inferred OPEN breakers were waiting at the last sync

    # ------------------------------------------------------------------------------ feeding
    def feed(self, payload: Any) -> int:
        """A batch from `batches`: raw bytes (fast) or a list of decoded lines (reference path)."""
        if type(payload) is bytes:
            return self.feed_block(payload)
        skipped = self.engine.feed_lines(payload, self._until_arg)
        self._sync()
        return skipped

    def feed_block(self, block: bytes) -> int:
        """Complete lines separated by newlines, none longer than the line limit."""
        e = self.engine
        scan = self.scanner.scan
        until = self.until
        pos = 0
        skipped = 0
        while True:
            t = e.t
            if e.stopped:
                return skipped + _lines_from(block, pos)
            # A line after `until` is handed back like one at a breaker timer: feed_lines then stops
            # the feed there, so a late line after it never slips into a run.
            # (The scanner's own `until` would skip such a line and go on: it is given none.)
            if t is None:
                status, pos, sk, a, b, run = scan(block, pos, 0, _FAR_FUTURE, 0, -1)
            else:
                status, pos, sk, a, b, run = scan(block, pos, t, _FAR_FUTURE, min(e._next_timer, until + 1),
                                                  self._slow_sec)
            skipped += sk
            if run is not None:
                self._apply_run(run)
            if status == _END:
                return skipped
            if status == _SPECIAL:
                skipped += e.feed_lines([block[a:b].decode("utf-8", errors="replace")], self._until_arg)
                self._sync()

    def _apply_run(self, run: tuple) -> None:
        e = self.engine
        sec, ts0, ts1, n, completed, dur_sum, hits, misses, hist, comps = run
        t = e.t
        # The reference's clock step at the run's first line; no other line of a run can cause one.
        if ts0 > t:  # type: ignore[operator]
            if ts0 > e._next_eval or ts0 >= e._next_timer:
                e._advance(ts0)
        if ts1 > t:  # type: ignore[operator]
            e.t = ts1
        e.entries += n
        if e.last is None or ts1 > e.last:
            e.last = ts1
        if sec == e._cur_sec:
            b = e._cur
        else:
            b, _late = e._bucket(sec)  # a new second (runs are in order): never late
        b.entries += n
        if completed:
            b.completed += completed
            b.dur_sum += dur_sum
            h = b.hist
            for i in range(0, len(hist), 2):
                k = hist[i]
                h[k] = h.get(k, 0) + hist[i + 1]
        bc = b.comps
        names = self._names
        for i in range(0, len(comps), 4):
            name = names[comps[i]]
            c = bc.get(name)
            if c is None:
                bc[name] = [comps[i + 1], 0, comps[i + 2], comps[i + 3]]
            else:
                c[0] += comps[i + 1]
                c[2] += comps[i + 2]
                if comps[i + 3] > c[3]:
                    c[3] = comps[i + 3]
        if hits:
            b.hits += hits
        if misses:
            b.misses += misses

    def _sync(self) -> None:
        """After lines went through the per-line path: learn new components, watch inferred HALF_OPEN
        breakers, and hand a second with a fractional duration sum to the per-line path."""
        e = self.engine
        brs = e.breakers.breakers
        if len(brs) != self._known:
            for name in list(brs)[self._known:]:
                if name != "BOOTSTRAP" and name.isascii() and name.isprintable() and " " not in name:
                    cid = self.scanner.add_component(name.encode(), name == "CACHE")
                    if cid >= 0:
                        self._ids[name] = cid
                        self._names.append(name)
            self._known = len(brs)
        timers = bool(e.breakers._timers)
        # A breaker turns HALF_OPEN only at a timer of an inferred OPEN one (and leaves it by a line).
        if self._watched or timers or self._timers:
            self._timers = timers
            watched = [cid for name, cid in self._ids.items()
                       if brs[name].state == HALF_OPEN and not brs[name].explicit]
            if watched != self._watched:
                self.scanner.set_watched(watched)
                self._watched = watched
        b = e._cur
        if e._cur_sec != self._slow_sec and b.entries and (
            not b.dur_sum.is_integer() or any(not c[2].is_integer() for c in b.comps.values())
        ):
            self._slow_sec = e._cur_sec


def new_feeder(engine: MetricsEngine, until: int | None = None) -> FastFeeder | None:
    """A fast feeder for `engine`, or None when the C scanner is not built (or EXECLOG_NO_FASTPATH
    is set: the per-line reference path, for comparisons)."""
    if _scan is None or os.environ.get("EXECLOG_NO_FASTPATH"):
        return None
    return FastFeeder(engine, until)
