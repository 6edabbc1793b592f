"""The one feed path of raw lines: blocks through the optional C scanner, fed exactly as feed_lines would.

The reference is `MetricsEngine.feed_lines`, one line at a time. Here the C scanner (`execlog_tui._scan`)
aggregates runs of plain lines (one second, in order, UTC, integer duration, a component already seen,
no error, no breaker action, no memory figure, no degraded marker, before the next breaker timer) and
hands every other line back, in order, to `feed_lines` itself. A run is applied as the reference would
have fed its lines, through the engine's public seam `add_run`: the clock is moved at the run's first line
(whole-second evaluations and breaker timers cannot fall inside a run), then its totals go into the bucket
of its second. Batch, the dashboard's history and the replay (a seek restores a checkpoint and feeds
through it again) all call `FastFeeder.feed_block`. Durations in runs are
integers, so their float sums are exact in any order; a second whose bucket holds a fractional sum is
handed to the per-line path whole (`slow_sec`).

Without the extension (no compiler at install time) `new_feeder` returns None and callers keep the
per-line path.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

from execlog_tui.core import grammar
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.entry import NOT_AN_OPERATION
from execlog_tui.core.feedplan import PlanRecorder
from execlog_tui.core.linecount import available as available
from execlog_tui.core.linecount import count_lines as count_lines
from execlog_tui.core.parser import SCAN_ABI, line_timestamp
from execlog_tui.core.parser import scan_extension as _scan
from execlog_tui.core.windows import NO_SEC, NO_TS, bin_value, duration_bin

__all__ = ["SCAN_ABI", "FastFeeder", "available", "bin_bounds", "count_lines", "new_feeder", "skip_blank"]

_FAR_FUTURE = 1 << 62
_END, _SPECIAL, _RUN = 0, 1, 2
_MAX_INT_DURATION = 999_999_999  # the scanner takes integer durations of at most 9 digits
_BOUNDS: list[int] | None = None
# A run of lines that are parse errors whatever else they hold (SPEC 1), each not blank (it holds a
# printable ASCII character) and either not starting with a timestamp's second or with fewer than the five
# separators (a `|` or an ASCII digit never occurs inside a multi-byte UTF-8 character or a replacement).
# Counted in one regex call instead of line by line: this is what made invalid lines 60 times slower
# than valid ones on the fast path.
_GARBAGE_RE = re.compile(
    rb"(?:(?=[^\n]*[!-~])(?:(?!%s)[^\n]*|[^|\n]*(?:\|[^|\n]*){0,%d})\n)+"
    % (grammar.TIMESTAMP_SECOND.encode(), grammar.FIELDS - 2)
)

# A run of blank lines (SPEC 1: only white space, ignored), up to and including the newline of its last
# one: ASCII white space only, each of which Python's str.strip removes too (the per-line path's rule);
# a line of other white space goes line by line and is ignored there. Greedy, then back to the last
# newline: one C-level pass over the run. The scanner skips an empty line itself, but at a memchr call
# a line, and hands back a line of spaces or a lone CR (a CRLF file's blank line) one at a time: a gzip
# bomb of newlines (4 GB, 4 billion lines) took minutes of that, and one of CRLFs far longer.
_BLANK_RE = re.compile(rb"[ \t\r\x0b\x0c\x1c-\x1f\n]*\n")
_BLANK_BYTES = frozenset(b" \t\r\n\x0b\x0c\x1c\x1d\x1e\x1f")


def skip_blank(block: bytes, pos: int) -> int:
    """Where the run of blank lines at block[pos:] ends (pos itself when the line there is not blank,
    or is the block's last line and has no newline)."""
    if pos < len(block) and block[pos] in _BLANK_BYTES:
        m = _BLANK_RE.match(block, pos)
        if m is not None:
            return m.end()
    return pos


def _lines_from(block: bytes, pos: int) -> int:
    """Lines in block[pos:] (the last one may lack its newline)."""
    if pos >= len(block):
        return 0
    return block.count(b"\n", pos) + (0 if block.endswith(b"\n") else 1)


_HALF_BIN = math.sqrt(1.02)  # bin_value is the bin's lower edge times this (core/windows.py)


def bin_bounds() -> list[int]:
    """bounds[j]: the smallest integer duration whose histogram bin is 100 + j (duration_bin itself
    decides, so the C scanner's bins are the reference's by construction)."""
    global _BOUNDS
    if _BOUNDS is None:
        bounds = [100]
        top = duration_bin(float(_MAX_INT_DURATION))
        for k in range(101, top + 1):
            # From the bin's lower edge as the formula puts it, walked to the exact integer: duration_bin
            # is monotonic, so this is the smallest d with duration_bin(d) >= k (a step or two each,
            # where a bisection from the previous bound took ~30 calls: 24,000 at every start).
            d = max(bounds[-1], min(_MAX_INT_DURATION, int(bin_value(k) / _HALF_BIN)))
            while d > bounds[-1] and duration_bin(float(d - 1)) >= k:
                d -= 1
            while duration_bin(float(d)) < k:
                d += 1
            bounds.append(d)
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
        self._breaker_version = -1  # the breakers' version when `_watched` was last read
        self._slow_sec = NO_SEC  # no second is slow (every negative second is an ordinary one)
        self.stop_ts: int | None = None  # the entry after `stop` at which feed_block stopped last
        # What this feeder did, op by op, while a plan is recorded (core/feedplan.py): None otherwise.
        self.recorder: PlanRecorder | None = None

    # ------------------------------------------------------------------------------ feeding
    def feed(self, payload: Any) -> int:
        """A batch from `sources.reader.read_raw_batches`: raw bytes (fast) or decoded lines (reference path).
        Returns how many lines were left out after `until` (the first entry after it stops the
        engine for good, as `feed_lines` does)."""
        e = self.engine
        if type(payload) is bytes:
            if e.stopped:
                return _lines_from(payload, 0)
            end = self.feed_block(payload)
            if end < 0:
                return 0
            e.stop()
            return _lines_from(payload, end)
        skipped = e.feed_lines(payload, self._until_arg)
        if self.recorder is not None:
            self.recorder.lines(payload)
        self._sync()
        return skipped

    def feed_block(self, block: bytes, pos: int = 0, stop: int | None = None) -> int:
        """The one feed path of raw lines, for batch, history and replay alike: the complete lines of
        block[pos:] (separated by newlines, none longer than the line limit), up to the first entry
        dated after `stop` (default: the feeder's `until`). Returns that entry's first byte, not
        fed (its time is then `stop_ts`), or -1 when the block was fed to its end.

        Whatever moved the engine's clock since the last call (a replay's advance, a follower's wall
        clock) is picked up first: a breaker that turned HALF_OPEN on a timer is watched before any
        line of its component can slip into a run."""
        e = self.engine
        self._learn()
        scan = self.scanner.scan
        stop_at = self.until + 1 if stop is None else stop + 1
        rec = self.recorder
        while True:
            pos = skip_blank(block, pos)
            start = pos
            t = e.t
            # Lines at or after min(next timer, stop_at) come back from the scanner one at a time, as
            # special lines: a timer falls before such a line, and the first entry after `stop`
            # ends the feeding before it reaches the engine.
            if t is None:
                status, pos, _sk, a, b, run = scan(block, pos, NO_TS, _FAR_FUTURE, NO_TS, NO_SEC)
            else:
                # An entry dated too far ahead of the wall clock (SPEC 3) goes to the per-line path too,
                # which leaves it out: no run holds one.
                special_at = min(e.next_timer, stop_at, e.future_limit + 1)
                status, pos, _sk, a, b, run = scan(block, pos, t, _FAR_FUTURE, special_at, self._slow_sec)
            if run is not None:
                sec, ts0, ts1, n, completed, dur_sum, hits, misses, hist, comps, (acts, act_hist), events = run
                e.add_run(
                    sec, ts0, ts1, n, completed, dur_sum, hits, misses, hist, comps, self._names, acts, act_hist, events
                )
                if rec is not None:
                    rec.run(start, a if status == _SPECIAL else pos, run, self._names)
            if status == _END:
                return -1
            if status == _SPECIAL:
                g = _GARBAGE_RE.match(block, a)
                if g is not None:
                    # Parse errors only: the engine counts them and nothing else moves.
                    errors = block.count(b"\n", a, g.end())
                    e.note_parse_errors(errors)
                    if rec is not None:
                        rec.errors(errors)
                    pos = g.end()
                    continue
                if skip_blank(block, a) > a:
                    pos = a  # blank lines: ignored, the loop's head skips them in one pass
                    continue
                line = block[a:b].decode("utf-8", errors="replace")
                if stop_at < _FAR_FUTURE:
                    ts = line_timestamp(line)
                    if ts is not None and ts >= stop_at and not e.is_future(ts):  # a future entry stops nothing
                        self.stop_ts = ts
                        return a
                e.feed_lines([line])
                if rec is not None:
                    rec.line(line)
                self._sync()

    def resync(self) -> None:
        """Learn an engine that was not fed through this feeder (a restored checkpoint)."""
        self._breaker_version = -1
        self._sync()

    def _learn(self) -> None:
        """Register new components with the scanner and hand it the inferred HALF_OPEN breakers
        whenever a breaker changed state (a breaker turns HALF_OPEN only at a timer and leaves it
        only by a line of its component, which then must go through the per-line path).

        Components come from the engine's component cap (SPEC 4), in the order it admitted them: a
        component reaches a run only once tracked, and a folded one always goes line by line to the
        cap. Both reads cost what changed (new components, breakers now HALF_OPEN), not every breaker."""
        e = self.engine
        order = e.components.order
        if len(order) != self._known:
            for name in order[self._known :]:
                # BOOTSTRAP's entries are never completed operations; a critical path with a timeout is
                # followed entry by entry (SPEC 10): neither component joins a run.
                plain = name != NOT_AN_OPERATION and name not in e.paths.followed
                if plain and name.isascii() and name.isprintable() and " " not in name:
                    regs = [(a.encode(), act, pid, k) for a, act, pid, k in e.paths.registrations(name)]
                    cid = self.scanner.add_component(name.encode(), name == "CACHE", regs)
                    if cid >= 0:
                        self._ids[name] = cid
                        self._names.append(name)
            self._known = len(order)
        tracker = e.breakers
        if tracker.version != self._breaker_version:
            self._breaker_version = tracker.version
            ids = self._ids
            watched = sorted(ids[name] for name in tracker.half_open_inferred if name in ids)
            if watched != self._watched:
                self.scanner.set_watched(watched)
                self._watched = watched

    def _sync(self) -> None:
        """After lines went through the per-line path: learn components and breakers, and hand a
        second with a fractional duration sum to the per-line path."""
        self._learn()
        e = self.engine
        if e.current_second != self._slow_sec and e.current_sums_fractional():
            self._slow_sec = e.current_second


def new_feeder(engine: MetricsEngine, until: int | None = None) -> FastFeeder | None:
    """A fast feeder for `engine`, or None when the C scanner is not built (or EXECLOG_NO_FASTPATH
    is set: the per-line reference path, for comparisons)."""
    if _scan is None or os.environ.get("EXECLOG_NO_FASTPATH"):
        return None
    return FastFeeder(engine, until)
