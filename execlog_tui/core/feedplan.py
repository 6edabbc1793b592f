"""A feed plan: what the fast path did to an engine while one archive was read, kept to do it again
without reading the archive (SPEC 12).

An archive's plan is recorded by a `FastFeeder` on an engine of its own (in a worker process, or in an
earlier run: the derived-data cache keeps it). Its ops are the one feed path's own: runs of plain lines
(`MetricsEngine.add_run`), lines for the per-line path (`feed_lines`) and counts of parse errors. Lines
for the per-line path are the reference whatever the engine's state, so they are always fed as they are.
A run depends on the state it is applied to (the clock, the next breaker timer, the future limit, the
component cap, the HALF_OPEN breakers, a fractional second): `apply_plan` checks each run against the
engine it feeds, exactly the conditions under which the scanner would have put its lines in a run,
and feeds a run that fails them from the archive's raw lines through the feeder instead (`raw`: the
lines of the run, read again). The result is the engine that reading the archive would have given,
for any engine state before it and any configuration: what the plan holds depends only on the archive
and on the configuration's critical paths (`plan_fingerprint`), which decide the checkpoint totals.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from execlog_tui.core.config import Config
    from execlog_tui.core.engine import MetricsEngine


class Feeder(Protocol):
    """The fast path's feeder (core/fastpath.FastFeeder), which records plans and feeds raw runs."""

    def resync(self) -> None: ...

    def feed_block(self, block: bytes, pos: int = 0, stop: int | None = None) -> int: ...


PLAN_FORMAT = 4  # bumped with every change of what a plan holds or means (2: runs' totals packed; 4: streamed)
RUN, LINES, ERRORS = 0, 1, 2

# The raw lines of a run: (batch index, start, end) -> that slice of the batch's block.
RawLines = Callable[[int, int, int], bytes]


class PlanSink(Protocol):
    """Where a recorder hands its ops as it goes (cache/plans.PlanWriter): with the component names
    registered since the last hand-over, which the ops' runs may name from then on."""

    def add(self, names: tuple[str, ...], ops: list[tuple[Any, ...]]) -> None: ...


class PlanRecorder:
    """Collects a feeder's ops and hands them to `sink` every `every` ops, or as soon as the lines for
    the per-line path it holds reach `every_lines` lines or `every_chars` characters, so that what it
    holds is bounded whatever the archive's size (an archive read nearly all line by line included);
    the caller sets `batch` to the index of the block being fed."""

    def __init__(self, sink: PlanSink, every: int = 256, every_lines: int = 4096, every_chars: int = 1 << 20) -> None:
        self.batch = 0
        self.ops: list[tuple[Any, ...]] = []
        self._names: Sequence[str] = ()
        self._pending: list[str] = []
        self._errors = 0
        self._sink = sink
        self._every = every
        self._every_lines = every_lines
        self._every_chars = every_chars
        self._held_lines = self._held_chars = 0  # lines held, pending or in ops not handed over yet
        self._sent_names = 0

    def _flush(self) -> None:
        if self._pending:
            self.ops.append((LINES, tuple(self._pending)))
            self._pending = []
        if self._errors:
            self.ops.append((ERRORS, self._errors))
            self._errors = 0
        if len(self.ops) >= self._every or self._full():
            self._hand_over()

    def _full(self) -> bool:
        return self._held_lines >= self._every_lines or self._held_chars >= self._every_chars

    def _hand_over(self) -> None:
        names = tuple(self._names[self._sent_names :])
        self._sent_names += len(names)
        self._sink.add(names, self.ops)
        self.ops = []
        self._held_lines = self._held_chars = 0

    def run(self, start: int, end: int, run: tuple[Any, ...], names: Sequence[str]) -> None:
        self._flush()
        self._names = names  # the feeder's list: ids only ever append to it
        sec, ts0, ts1, n, completed, dur_sum, hits, misses, hist, comps, (acts, act_hist), events = run
        self.ops.append(
            (RUN, self.batch, start, end, sec, ts0, ts1, n, completed, dur_sum, hits, misses, hist, comps)
            + ((acts, act_hist, events) if acts or events else ())
        )

    def line(self, line: str) -> None:
        if self._errors:
            self._flush()
        self._pending.append(line)
        self._held_lines += 1
        self._held_chars += len(line)
        if self._full():
            self._flush()  # fed in several calls, as in one: the per-line path goes line by line

    def lines(self, lines: Sequence[str]) -> None:
        if self._errors:
            self._flush()
        self._pending.extend(lines)
        self._held_lines += len(lines)
        self._held_chars += sum(map(len, lines))
        if self._full():
            self._flush()

    def errors(self, n: int) -> None:
        if self._pending:
            self._flush()
        self._errors += n

    def finish(self) -> tuple[str, ...]:
        """Hand over what is left; the component names the plan's runs may name, in order."""
        self._flush()
        self._hand_over()
        return tuple(self._names)


def plan_fingerprint(config: Config, line_limit: int) -> str:
    """What a plan's content depends on besides its archive: the critical paths (checkpoint totals
    and which components go line by line) and the line limit (which lines are cut); and the byte order
    its runs' totals are packed in (a cache directory shared with a machine of the other one)."""
    return repr((PLAN_FORMAT, sys.byteorder, line_limit, config.critical_paths))  # packed totals: native int64


def apply_plan(engine: MetricsEngine, feeder: Feeder, plan: tuple[Any, ...], raw: RawLines) -> int:
    """Feed `engine` as reading the plan's archive through `feeder` would; returns how many runs had
    to be fed from their raw lines (the state they met did not allow them as runs)."""
    fmt, names, ops = plan
    if fmt != PLAN_FORMAT:
        raise ValueError("a plan of another format")
    e = engine
    tracked = e.components.tracked
    half_open = e.breakers.half_open_inferred
    fed_raw = 0
    for op in ops:
        kind = op[0]
        if kind == RUN:
            sec, ts0, ts1, comps = op[4], op[5], op[6], op[13]
            t = e.t
            ok = (
                t is not None
                and ts0 >= t
                and ts1 < e.next_timer
                and ts1 <= e.future_limit
                and not (sec == e.current_second and e.current_sums_fractional())
            )
            if ok:
                ids = memoryview(comps).cast("q")[::4] if isinstance(comps, bytes) else comps[::4]
                for cid in ids:
                    name = names[int(cid)]
                    if name not in tracked or name in half_open:
                        ok = False
                        break
            if ok:
                if len(op) > 14:
                    e.add_run(sec, ts0, ts1, op[7], op[8], op[9], op[10], op[11], op[12], comps, names, *op[14:])
                else:
                    e.add_run(sec, ts0, ts1, op[7], op[8], op[9], op[10], op[11], op[12], comps, names)
            else:
                fed_raw += 1
                feeder.resync()
                feeder.feed_block(raw(op[1], op[2], op[3]))
                feeder.resync()
        elif kind == LINES:
            e.feed_lines(list(op[1]))
        else:
            e.note_parse_errors(op[1])
    feeder.resync()  # what comes next is fed through the feeder: its slow second, components, breakers
    return fed_raw
