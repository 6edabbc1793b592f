"""The evidence behind a figure (issue 11): the entries a figure counted, with file and line.

`collect_evidence(session, ...)` serves the dashboard (call it from a worker thread: it takes the
session's lock only to copy what it needs); `collect_batch(sets, config, ...)` serves
`execlog-top -b --evidence`. Both apply the engine's own rules (core/entry.py, core/windows.py,
core/breakers.py) to the entries read through the one reader (sources/reader.py).

Rows are in log order (read order) everywhere; `EvidenceResult.slowest_first()` gives the order the
screen shows for response_time and p95. Memory is bounded: at most `limit` rows are kept (the newest,
or for response_time and p95 the slowest), `total` counts them all.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from execlog_tui.core.breakers import OPEN, BreakerTracker
from execlog_tui.core.config import CHECKPOINT_ACTIONS, Checkpoint, Config, CriticalPath
from execlog_tui.core.engine import future_limit
from execlog_tui.core.entry import (
    BOOTSTRAP_COMPLETE,
    CACHE_HIT,
    CACHE_MISS,
    COMPLETION_STATUSES,
    ERROR_STATUSES,
    NOT_AN_OPERATION,
    Entry,
    ParseError,
    cache_result,
    is_completed,
    is_error,
    memory_figure,
)
from execlog_tui.core.parser import LINE_LIMIT, parse_line
from execlog_tui.core.ringbuffer import PARSE_ERROR, UNKNOWN
from execlog_tui.core.snapshot import AlertView, MetricsSnapshot
from execlog_tui.core.timefmt import format_ts
from execlog_tui.core.windows import NO_TS, SHORTEST, WINDOW_NAMES, WINDOWS_BY_NAME, WindowSpec, nearest_rank
from execlog_tui.sources.logset import LogSet, Member, discover
from execlog_tui.sources.reader import SourceWarning, read_batches
from execlog_tui.sources.timeline import merge_items

# The figures a user can open; the last five take a name: component:NAME, breaker:NAME, alert:NAME,
# stage:PATH:CHECKPOINT and run:PATH (SPEC 10's critical paths).
FIGURES: tuple[str, ...] = (
    "error_rate",
    "response_time",
    "p95",
    "cache_hit_rate",
    "memory",
    "bootstrap",
    "requests",
    "component",
    "breaker",
    "alert",
    "stage",
    "run",
)
NAMED_FIGURES: tuple[str, ...] = ("component", "breaker", "alert", "stage", "run")
STUCK = "stuck"  # the stuck:PATH alert of a critical path with a timeout (SPEC 10)
DEFAULT_LIMIT = 1000
DEFAULT_WINDOW = "1m"
COMPONENT_WINDOW = "1d"  # per-component figures are over the longest window (SPEC 4)

Progress = Callable[[int, int], None]  # (bytes read, bytes to read)


class EvidenceError(ValueError):
    """A figure, window or name that does not exist: one line, for stderr or a status line."""


@dataclass(frozen=True, slots=True)
class Figure:
    kind: str  # one of FIGURES
    name: str | None = None  # the NAME of component:NAME, breaker:NAME, alert:NAME

    @property
    def text(self) -> str:
        return self.kind if self.name is None else f"{self.kind}:{self.name}"


def parse_figure(text: str) -> Figure:
    """`error_rate`, `component:CACHE`, `alert:breaker:CACHE`...; EvidenceError (a ValueError) otherwise."""
    kind, sep, name = text.strip().partition(":")
    if kind not in FIGURES:
        raise EvidenceError(f"unknown figure {text!r}: expected one of {', '.join(_figure_names())}")
    if kind in NAMED_FIGURES:
        if not sep or not name.strip():
            raise EvidenceError(f"{kind} needs a name: {kind}:NAME")
        name = name.strip()
        # Components (and the component part of breaker names) are shown in upper case (SPEC 1).
        if kind in ("component", "breaker"):
            name = name.upper()
        elif kind == "stage":
            path, colon, checkpoint = name.rpartition(":")
            if not colon or not path.strip() or not checkpoint.strip():
                raise EvidenceError("stage needs a path and a checkpoint: stage:PATH:CHECKPOINT")
            name = f"{path.strip()}:{checkpoint.strip().upper()}"
        elif kind == "run":
            pass  # a path's name, as configured
        elif ":" in name:
            prefix, _, comp = name.partition(":")
            # breaker:API, critical:API name components; stuck:bootstrap a configured path (SPEC 10)
            name = f"{prefix}:{comp if prefix == STUCK else comp.upper()}"
        return Figure(kind, name)
    if sep:
        raise EvidenceError(f"figure {kind} takes no name, got {text!r}")
    return Figure(kind)


def _figure_names() -> list[str]:
    named = {"stage": "stage:PATH:CHECKPOINT", "run": "run:PATH"}
    return [named.get(k, f"{k}:NAME") if k in NAMED_FIGURES else k for k in FIGURES]


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    file: str
    line: int  # 1-based physical line number in `file`
    ts: int | None  # epoch ms
    raw: str  # the line as read: untrusted text, sanitise before showing it
    mark: str | None = None  # "p95" on the p95 line, a breaker transition ("CLOSED->OPEN"), ...
    duration_ms: float | None = None


@dataclass(slots=True)
class EvidenceResult:
    figure: str
    window: str  # the window's name, or "all" for bootstrap and breakers (the whole history up to as_of)
    as_of: int | None
    total: int
    rows: list[EvidenceRow] = field(default_factory=list)  # log order
    cancelled: bool = False
    source: str = "files"  # "ring" when served from the session's ring buffer

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)

    def slowest_first(self) -> list[EvidenceRow]:
        """The rows by duration, slowest first (ties in log order): the screen's order for
        response_time and p95."""
        order = sorted(range(len(self.rows)), key=lambda i: (-(self.rows[i].duration_ms or 0.0), i))
        return [self.rows[i] for i in order]

    def to_json(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "window": self.window,
            "as_of": format_ts(self.as_of),
            "total": self.total,
            "entries": [{"file": r.file, "line": r.line, "ts": format_ts(r.ts), "raw": r.raw} for r in self.rows],
        }


class Cancelled(Exception):
    """The caller's cancel event was set: the collection stopped."""


# ------------------------------------------------------------------------------------ the stream
@dataclass(frozen=True, slots=True)
class _Located:
    """A line of the timeline with where it was read (parse errors kept: they order the merge)."""

    file: str
    line: int
    item: Entry | ParseError

    @property
    def ts(self) -> int | None:
        return self.item.ts


class _Reader:
    """The entries of log sets in the engine's feeding order (SPEC 2: each set in its reading order,
    several merged by timestamp), with file and line, read through sources.reader."""

    def __init__(
        self,
        sets: Sequence[LogSet],
        line_limit: int,
        progress: Progress | None,
        cancel: threading.Event | None,
        skip: Callable[[int], list[Member]] | None = None,
    ) -> None:
        self.sets = list(sets)
        self.line_limit = line_limit
        self.progress = progress
        self.cancel = cancel
        self.warnings: list[SourceWarning] = []
        self._skip = skip  # from a window's first instant to the members that may be left out
        self._done = 0
        self._total = 0

    def members_from(self, since: int) -> list[list[Member]]:
        """Per set, the members to read for entries dated at or after `since`: a single set's members
        whose entries (and all before them) are older are skipped."""
        skipped = set(self._skip(since)) if self._skip is not None and len(self.sets) == 1 else set()
        return [[m for m in s.members if m not in skipped] for s in self.sets]

    def entries(self, since: int = NO_TS, pre: Prefilter | None = None) -> Iterator[tuple[str, int, Entry]]:
        per_set = self.members_from(since)
        self._total = 0
        for members in per_set:
            for m in members:
                try:
                    self._total += m.path.stat().st_size
                except OSError:
                    pass
        self._done = 0
        if len(per_set) == 1:
            yield from self._entries(per_set[0], pre)
        else:
            merged = merge_items(self._located(members) for members in per_set)  # type: ignore[misc]
            for loc in cast(Iterator[_Located], merged):
                item = loc.item
                if type(item) is Entry:
                    yield loc.file, loc.line, item
        if self.progress is not None:
            self.progress(self._total, self._total)

    def _batches(self, members: list[Member]) -> Iterator[tuple[str, int, list[str], set[int]]]:
        """(file, number of the batch's first line, lines, cut) for each batch of each member."""
        for m in members:
            name = str(m.path)
            number = 1
            try:
                size = m.path.stat().st_size
            except OSError:
                size = 0
            for lines, cut in read_batches(m.path, self.warnings, self.line_limit, archive=not m.live):
                if self.cancel is not None and self.cancel.is_set():
                    raise Cancelled
                yield name, number, lines, cut
                number += len(lines)
                if self.progress is not None:
                    self.progress(self._done, self._total)
            self._done += size

    def _entries(self, members: list[Member], pre: Prefilter | None) -> Iterator[tuple[str, int, Entry]]:
        parse = parse_line
        for name, number, lines, cut in self._batches(members):
            for i, line in enumerate(lines, start=number):
                if pre is not None and not pre(line):
                    continue
                item = parse(line, i - number in cut) if cut else parse(line)
                if type(item) is Entry:
                    yield name, i, item

    def _located(self, members: list[Member]) -> Iterator[_Located]:
        for name, number, lines, cut in self._batches(members):
            for i, line in enumerate(lines, start=number):
                item = parse_line(line, i - number in cut) if cut else parse_line(line)
                if item is not None:
                    yield _Located(name, i, item)


# A necessary condition on a raw line for an entry to count (a line it refuses cannot count, so the
# lines it lets through are parsed and decided by the rule itself): it spares parsing most lines.
Prefilter = Callable[[str], bool]
# (since, prefilter) -> (file, line, entry) in feed order; without a prefilter, every entry.
Stream = Callable[[int, "Prefilter | None"], Iterator[tuple[str, int, Entry]]]


def _field_in(index: int, words: frozenset[str]) -> Prefilter:
    """The raw line's field `index` (0-based, '|'-separated), upper-cased as the parser's tokens are,
    is one of `words`."""

    def pre(line: str) -> bool:
        parts = line.split("|", index + 1)
        return len(parts) > index + 1 and parts[index].upper() in words

    return pre


def _prefilter(kind: str, name: str | None) -> Prefilter | None:
    if kind == "error_rate":
        return _field_in(4, ERROR_STATUSES)
    if kind in ("response_time", "p95"):
        return _field_in(4, COMPLETION_STATUSES)
    if kind == "cache_hit_rate":
        return _field_in(2, frozenset((CACHE_HIT, CACHE_MISS)))
    if kind == "memory":
        return lambda line: "_mb=" in line
    if kind == "component" and name is not None:
        return _field_in(1, frozenset((name,)))
    return None


def _until(stream: Iterator[tuple[str, int, Entry]], req: _Request) -> Iterator[tuple[str, int, Entry]]:
    """What the engine was fed: an entry from the future (SPEC 3) counts in no figure and stops nothing;
    otherwise the first entry dated after `until` ends the input (see feed_lines)."""
    until, future = req.until, req.future_limit
    for located in stream:
        ts = located[2].ts
        if ts > future:
            continue
        if until is not None and ts > until:
            return
        yield located


# --------------------------------------------------------------------------------- keeping rows
class _Keep:
    """At most `limit` rows: the newest (log order), or with `slowest` the slowest; all counted."""

    def __init__(self, limit: int, slowest: bool = False) -> None:
        self.limit = max(0, limit)
        self.slowest = slowest
        self.total = 0
        self._newest: deque[tuple[int, EvidenceRow]] = deque(maxlen=self.limit)
        self._heap: list[tuple[float, int, EvidenceRow]] = []

    def add(self, seq: int, row: EvidenceRow) -> None:
        self.total += 1
        if not self.limit:
            return
        if not self.slowest:
            self._newest.append((seq, row))
            return
        key = (row.duration_ms or 0.0, seq, row)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, key)
        elif key[:2] > self._heap[0][:2]:
            heapq.heapreplace(self._heap, key)

    def rows(self) -> list[tuple[int, EvidenceRow]]:
        """(seq, row) in log order."""
        if not self.slowest:
            return list(self._newest)
        return sorted(((seq, row) for _d, seq, row in self._heap), key=lambda sr: sr[0])

    def slowest_ranked(self) -> list[tuple[int, EvidenceRow]]:
        """The kept rows slowest first (by duration, then the later first)."""
        return [(seq, row) for _d, seq, row in sorted(self._heap, key=lambda k: k[:2], reverse=True)]


def _row(file: str, line: int, e: Entry, mark: str | None = None) -> EvidenceRow:
    return EvidenceRow(file, line, e.ts, e.raw, mark, e.duration_ms)


def _marked(rows: list[tuple[int, EvidenceRow]], marks: dict[int, str]) -> list[EvidenceRow]:
    out = []
    for seq, row in rows:
        mark = marks.get(seq)
        if mark is not None:
            mark = mark if row.mark is None else f"{row.mark},{mark}"
            row = EvidenceRow(row.file, row.line, row.ts, row.raw, mark, row.duration_ms)
        out.append(row)
    return out


# ----------------------------------------------------------------------------------- the figures
@dataclass(frozen=True, slots=True)
class _Request:
    figure: Figure
    window: str
    as_of: int | None
    until: int | None  # the report's --at, or the replay's clock: entries after it were not fed
    limit: int
    config: Config
    snap: MetricsSnapshot
    future_limit: int  # entries dated after it are from the future (SPEC 3): the engine's own limit


def _predicate(kind: str, name: str | None) -> Callable[[Entry], str | None | bool]:
    """Whether an entry counts toward a window figure; a str is the mark it carries."""
    if kind == "requests":
        return lambda e: True
    if kind == "error_rate":
        return lambda e: is_error(e.status)
    if kind in ("response_time", "p95"):
        return lambda e: is_completed(e.component, e.status)
    if kind == "cache_hit_rate":
        return lambda e: cache_result(e.component, e.action) or False
    if kind == "memory":
        return lambda e: memory_figure(e.details) is not None
    if kind == "component":
        return lambda e: e.component == name
    raise AssertionError(kind)


def _window_rows(
    req: _Request,
    stream: Stream,
    rule: tuple[Callable[[Entry], str | None | bool], Prefilter] | None = None,
) -> EvidenceResult:
    """The entries of the window a figure counted (`rule`: a stage's predicate and prefilter, with the
    p95 line marked in log order)."""
    fig = req.figure
    spec = WINDOWS_BY_NAME[req.window]
    t = req.as_of
    slow = fig.kind in ("response_time", "p95")
    keep = _Keep(req.limit, slowest=slow)
    ranked = _Keep(req.limit, slowest=True) if rule is not None else None  # a stage's p95 line
    if t is None:
        return EvidenceResult(fig.text, req.window, t, 0, [])
    lo = spec.start_ms(t)
    counts = _predicate(fig.kind, fig.name) if rule is None else rule[0]
    newest: tuple[int, int] | None = None  # memory: (ts, seq) of the report behind memory_mb
    largest: tuple[float, int] | None = None  # memory: (value, -seq) of memory_max_mb
    seq = 0
    # Without --at every entry read was fed, so only the lines that may count need parsing; with it,
    # every entry's time decides where the input ends.
    pre = (_prefilter(fig.kind, fig.name) if rule is None else rule[1]) if req.until is None else None
    for file, line, e in _until(stream(lo, pre), req):
        seq += 1
        if not lo <= e.ts <= t:
            continue
        got = counts(e)
        if got is False:
            continue
        row = _row(file, line, e, got if isinstance(got, str) else None)
        keep.add(seq, row)
        if ranked is not None:
            ranked.add(seq, row)
        if fig.kind == "memory":
            value = memory_figure(e.details)
            assert value is not None
            # The newest by timestamp (a later line with the same one replaces it), as the engine.
            if newest is None or e.ts >= newest[0]:
                newest = (e.ts, seq)
            if largest is None or value > largest[0]:
                largest = (value, -seq)
    marks: dict[int, str] = {}
    if fig.kind == "memory":
        if newest is not None:
            marks[newest[1]] = "newest"
        if largest is not None:
            marks[-largest[1]] = "max" if -largest[1] not in marks else "newest,max"
    slowest = keep if slow else ranked
    if slowest is not None and slowest.total:
        # The p95 line: the nearest rank's, counted from the slowest end among the rows kept.
        from_top = slowest.total - nearest_rank(slowest.total) + 1
        top = slowest.slowest_ranked()
        if from_top <= len(top):
            marks[top[from_top - 1][0]] = "p95"
    return EvidenceResult(fig.text, req.window, t, keep.total, _marked(keep.rows(), marks))


# ------------------------------------------------------------------------ critical paths (SPEC 10)
def path_and_checkpoint(config: Config, figure: Figure) -> tuple[CriticalPath, Checkpoint | None]:
    """The configured path of a `stage:PATH:CHECKPOINT` or `run:PATH` figure, and the checkpoint (by
    its configured name, in any case); EvidenceError naming what exists otherwise."""
    name = figure.name or ""
    path_name, _, checkpoint = name.rpartition(":") if figure.kind == "stage" else (name, "", "")
    paths = {p.name: p for p in config.critical_paths}
    path = paths.get(path_name)
    if path is None:
        raise EvidenceError(f"unknown critical path {path_name!r}: configured paths: {', '.join(paths) or 'none'}")
    if figure.kind != "stage":
        return path, None
    for cp in path.checkpoints:
        if cp.name.upper() == checkpoint.upper():
            return path, cp
    names = ", ".join(c.name for c in path.checkpoints)
    raise EvidenceError(f"path {path.name} has no checkpoint {checkpoint!r}: its checkpoints: {names}")


def stage_rule(path: CriticalPath, checkpoint: Checkpoint) -> tuple[Callable[[Entry], str | None | bool], Prefilter]:
    """SPEC 10's stage: the entries of the path's component whose action is one of the checkpoint's
    (`Checkpoint.actions`: HIT_MISS is HIT and MISS, VALIDATION also VALIDATE), of any status. An error
    is marked `error`; on HIT_MISS a hit or a miss is marked `HIT` / `MISS`."""
    actions = frozenset(checkpoint.actions)
    component = path.component
    hit_miss = checkpoint.actions == CHECKPOINT_ACTIONS["HIT_MISS"]

    def counts(e: Entry) -> str | None | bool:
        if e.component != component or e.action not in actions:
            return False
        marks = [e.action] if hit_miss else []
        if is_error(e.status):
            marks.append("error")
        return ",".join(marks) or None

    return counts, _field_in(2, actions)


def _run_rows(req: _Request, stream: Stream) -> EvidenceResult:
    """The latest run of a path (SPEC 10) as the snapshot has it: the path component's entries from its
    start to its end (or to T while it runs), each checkpoint it reached marked with its name, the
    error that ended a failed run marked `failed`."""
    path, _ = path_and_checkpoint(req.config, req.figure)
    view = req.snap.critical_paths.get(path.name)
    run = view.latest if view is not None else None
    if run is None:
        raise EvidenceError(f"path {path.name} has no run up to {format_ts(req.snap.as_of) or 'the end'}")
    end = run.ended if run.ended is not None else req.as_of
    keep = _Keep(req.limit)
    marks: dict[int, str] = {}
    pending = {(r.at, r.checkpoint) for r in run.reached}
    actions = {c.name: frozenset(c.actions) for c in path.checkpoints}
    seq = 0
    for file, line, e in _until(stream(run.started, None), req):
        if e.ts > (end if end is not None else e.ts):
            break
        if e.component != path.component or e.ts < run.started:
            continue
        seq += 1
        keep.add(seq, _row(file, line, e))
        for at, checkpoint in list(pending):
            if at == e.ts and e.action in actions.get(checkpoint, ()):
                marks[seq] = checkpoint
                pending.discard((at, checkpoint))
                break
        else:
            if run.state == "failed" and e.ts == run.ended and is_error(e.status):
                marks[seq] = "failed"
    return EvidenceResult(req.figure.text, "all", req.as_of, keep.total, _marked(keep.rows(), marks))


def _bootstrap_rows(req: _Request, stream: Stream) -> EvidenceResult:
    """The latest bootstrap run: the BOOTSTRAP/COMPLETE behind the figure (the newest by timestamp,
    a later line with the same one replacing it) and the BOOTSTRAP entries since the START before it."""
    run: deque[tuple[int, EvidenceRow]] = deque(maxlen=max(1, req.limit))
    run_total = 0
    best: tuple[int, list[tuple[int, EvidenceRow]], int] | None = None
    seq = 0
    for file, line, e in _until(stream(NO_TS, None), req):
        seq += 1
        if e.component != NOT_AN_OPERATION:
            continue
        if e.action == "START":
            run.clear()
            run_total = 0
        complete = (e.component, e.action) == BOOTSTRAP_COMPLETE
        run.append((seq, _row(file, line, e, "bootstrap_ms" if complete else None)))
        run_total += 1
        if complete and (best is None or e.ts >= best[0]):
            best = (e.ts, list(run), run_total)
        if complete:
            run.clear()
            run_total = 0
    if best is None:
        return EvidenceResult(req.figure.text, "all", req.as_of, 0, [])
    rows = [row for _s, row in best[1]][-req.limit :] if req.limit else []
    return EvidenceResult(req.figure.text, "all", req.as_of, best[2], rows)


@dataclass(slots=True)
class _Transition:
    seq: int  # the entry that drove it (0: a timer)
    file: str
    line: int
    old: str
    new: str
    ts: int


class _BreakerReplay:
    """One component's breaker, replayed by the engine's own BreakerTracker over the timeline: the
    timers tick on the clock of every entry (the engine's T), the component's entries are observed."""

    def __init__(self, config: Config, component: str) -> None:
        self.component = component
        self.transitions: list[_Transition] = []
        self.tracker = BreakerTracker(config.breaker, self._hook)
        self.burst: deque[tuple[int, EvidenceRow]] = deque(maxlen=config.breaker.failures)
        self._current: tuple[int, str, int] | None = None
        self.clock: int | None = None

    def _hook(self, component: str, old: str, new: str, ts: int) -> None:
        seq, file, line = self._current if self._current is not None else (0, "", 0)
        self.transitions.append(_Transition(seq, file, line, old, new, ts))

    def tick(self, ts: int) -> None:
        if self.clock is None or ts > self.clock:
            self.clock = ts
        self._current = None
        self.tracker.tick(self.clock)

    def observe(self, seq: int, file: str, line: int, e: Entry) -> None:
        self._current = (seq, file, line)
        failed = is_error(e.status)
        self.tracker.observe(e.component, e.action, e.ts, failed, is_completed(e.component, e.status))
        self._current = None


def _breaker_rows(req: _Request, stream: Stream) -> EvidenceResult:
    """The entries that drove each transition: the errors of the burst that opened it (inferred), the
    test that closed or reopened it (inferred), every CIRCUIT_* line (explicit)."""
    name = req.figure.name
    assert name is not None
    replay = _BreakerReplay(req.config, name)
    keep = _Keep(req.limit)
    pending: dict[int, tuple[EvidenceRow, str]] = {}
    seq = 0
    for file, line, e in _until(stream(NO_TS, None), req):
        seq += 1
        replay.tick(e.ts)
        if e.component != name:
            continue
        before = len(replay.transitions)
        row = _row(file, line, e)
        if is_error(e.status):
            replay.burst.append((seq, row))
        replay.observe(seq, file, line, e)
        moved = replay.transitions[before:]
        explicit = e.action.startswith("CIRCUIT_")
        for tr in moved:
            label = f"{tr.old}->{tr.new}"
            if tr.old == "CLOSED" and tr.new == OPEN and not explicit:
                for bseq, brow in replay.burst:
                    if bseq != seq:
                        pending[bseq] = (brow, "burst")
            pending[seq] = (row, label)
        if explicit and seq not in pending:
            pending[seq] = (row, f"{replay.tracker.breakers[name].state} (confirmed)")
        if moved:
            replay.burst.clear()
        # Rows are decided at most `failures` entries late: release those that can no longer change.
        for s in sorted(k for k in pending if k <= seq):
            brow, mark = pending.pop(s)
            keep.add(s, EvidenceRow(brow.file, brow.line, brow.ts, brow.raw, mark, brow.duration_ms))
    if req.as_of is not None:
        replay.tick(req.as_of)
    return EvidenceResult(req.figure.text, "all", req.as_of, keep.total, [row for _s, row in keep.rows()])


def _latest_firing(snap: MetricsSnapshot, name: str) -> AlertView:
    firings = [a for a in snap.alerts if a.name == name]
    if not firings:
        fired = sorted({a.name for a in snap.alerts})
        listed = f" (alerts that fired: {', '.join(fired)})" if fired else " (no alert fired)"
        raise EvidenceError(f"alert {name!r} did not fire up to {format_ts(snap.as_of) or 'the end'}{listed}")
    return max(firings, key=lambda a: a.fired)


def _alert_rows(req: _Request, stream: Stream) -> EvidenceResult:
    """The entries of the 1m window at the second the (latest firing of the) alert fired, as the
    engine had them then; the entries its figure counted, or the one that fired it, are marked."""
    name = req.figure.name
    assert name is not None
    alert = _latest_firing(req.snap, name)
    fired = alert.fired
    spec = SHORTEST
    lo = spec.start_ms(fired)
    keep = _Keep(req.limit)
    marks: dict[int, str] = {}
    kind, _, component = name.partition(":")
    conditions = {c.name: c for c in req.config.monitoring.conditions}
    if kind in ("breaker", "critical"):
        trigger = _firing_entry(req, stream, kind, component, fired)
        for seq, (file, line, e) in enumerate(_until(stream(lo, None), req), start=1):
            if lo <= e.ts <= fired:
                keep.add(seq, _row(file, line, e))
            if (file, line) == trigger:
                marks[seq] = "fired"
                break
    elif name in conditions:
        counts = _condition_predicate(conditions[name].figure)
        # Evaluated as of the whole second `fired`: before the first entry dated after it was fed.
        for seq, (file, line, e) in enumerate(_until(stream(lo, None), req), start=1):
            if e.ts > fired:
                break
            if e.ts >= lo:
                got = counts(e)
                keep.add(seq, _row(file, line, e, got if isinstance(got, str) else None))
    elif kind == STUCK:
        return _stuck_rows(req, stream, alert, component)
    else:
        raise EvidenceError(f"alert {name!r}: not an alert this configuration raises")
    return EvidenceResult(req.figure.text, spec.name, fired, keep.total, _marked(keep.rows(), marks))


def _stuck_start(alert: AlertView) -> int:
    """When the run behind a stuck:PATH firing started: the fired second less the seconds it had run
    (the alert's value, SPEC 10)."""
    return alert.fired - round((alert.value or 0.0) * 1000)


def _stuck_rows(req: _Request, stream: Stream, alert: AlertView, path_name: str) -> EvidenceResult:
    """SPEC 10: the run that was still running when stuck:PATH fired, from its start (the fired second
    less the seconds it had run) to that second: the path's component's entries, each entry that
    matches a checkpoint marked with the checkpoint's name."""
    path = next((p for p in req.config.critical_paths if p.name == path_name), None)
    if path is None or path.timeout_ms is None or alert.value is None:
        raise EvidenceError(f"alert 'stuck:{path_name}': not an alert this configuration raises")
    fired = alert.fired
    start = _stuck_start(alert)
    names = {action: cp.name for cp in reversed(path.checkpoints) for action in cp.actions}
    keep = _Keep(req.limit)
    for seq, (file, line, e) in enumerate(_until(stream(start, None), req), start=1):
        if e.ts > fired:
            break
        if e.ts >= start and e.component == path.component:
            keep.add(seq, _row(file, line, e, names.get(e.action)))
    return EvidenceResult(req.figure.text, "run", fired, keep.total, [row for _seq, row in keep.rows()])


def _condition_predicate(figure: str) -> Callable[[Entry], str | None]:
    if figure == "error_rate":
        return lambda e: "error" if is_error(e.status) else None
    if figure == "cache_hit_rate":
        return lambda e: cache_result(e.component, e.action)
    if figure in ("avg_response_ms", "p95_response_ms"):
        return lambda e: "completed" if is_completed(e.component, e.status) else None
    if figure == "memory_mb":
        return lambda e: "memory" if memory_figure(e.details) is not None else None
    return lambda e: None


def _firing_entry(req: _Request, stream: Stream, kind: str, component: str, fired: int) -> tuple[str, int] | None:
    """(file, line) of the entry that fired a breaker or critical alert at `fired`."""
    if kind == "critical":
        for file, line, e in _until(stream(SHORTEST.start_ms(fired), None), req):
            if e.component == component and e.status == "CRITICAL" and e.ts == fired:
                return file, line
        return None
    replay = _BreakerReplay(req.config, component)
    found = None
    firing = False  # the alert fires when the breaker enters OPEN and resolves when it is CLOSED again
    for seq, (file, line, e) in enumerate(_until(stream(NO_TS, None), req), start=1):
        replay.tick(e.ts)
        if e.component != component:
            continue
        before = len(replay.transitions)
        replay.observe(seq, file, line, e)
        for tr in replay.transitions[before:]:
            if tr.new == OPEN:
                if not firing and tr.ts == fired:
                    found = (file, line)
                firing = True
            elif tr.new == "CLOSED":
                firing = False
    return found


# --------------------------------------------------------------------------------- entry points
def _canonical(figure: Figure, config: Config) -> Figure:
    """A stage or run figure under its configured names (`stage:bootstrap:validation` is
    `stage:bootstrap:VALIDATION`); EvidenceError for a path or checkpoint not configured."""
    if figure.kind not in ("stage", "run"):
        return figure
    path, checkpoint = path_and_checkpoint(config, figure)
    return Figure(figure.kind, path.name if checkpoint is None else f"{path.name}:{checkpoint.name}")


def _check(figure: Figure, window: str | None, snap: MetricsSnapshot) -> str:
    """The window to use; EvidenceError for an unknown window or name."""
    if window is None:
        window = COMPONENT_WINDOW if figure.kind == "component" else DEFAULT_WINDOW
    if window not in WINDOWS_BY_NAME:
        raise EvidenceError(f"unknown window {window!r}: expected one of {', '.join(WINDOW_NAMES)}")
    name = figure.name
    if figure.kind in ("component", "breaker") and name not in snap.breakers:
        seen = sorted(snap.breakers)
        shown = ", ".join(seen[:20]) + (", ..." if len(seen) > 20 else "")
        raise EvidenceError(f"unknown {figure.kind} {name!r}: components seen: {shown or 'none'}")
    return window


def _collect(req: _Request, stream: Stream) -> EvidenceResult:
    kind = req.figure.kind
    if kind == "bootstrap":
        return _bootstrap_rows(req, stream)
    if kind == "breaker":
        return _breaker_rows(req, stream)
    if kind == "alert":
        return _alert_rows(req, stream)
    if kind == "run":
        return _run_rows(req, stream)
    if kind == "stage":
        path, checkpoint = path_and_checkpoint(req.config, req.figure)
        assert checkpoint is not None
        return _window_rows(req, stream, stage_rule(path, checkpoint))
    return _window_rows(req, stream)


def _skipper(history: Sequence[tuple[Member, int | None]], members: Sequence[Member]) -> Callable[[int], list[Member]]:
    """The leading members whose entries (and all before them) are dated before `since`, by the
    newest timestamp fed once each was read. Only members known from that reading and unchanged
    since (archives: the same path and first entry) are skipped; anything else is read."""
    known = {(m.path, m.first_ts): newest for m, newest in history if not m.live}

    def skip(since: int) -> list[Member]:
        out = []
        for m in members:
            newest = known.get((m.path, m.first_ts)) if not m.live else None
            if newest is None and (m.path, m.first_ts) not in known:
                break
            if newest is not None and newest >= since:
                break
            out.append(m)
        return out

    return skip


def collect_batch(
    sets: Sequence[LogSet],
    config: Config,
    figure: str,
    window: str | None = None,
    at: int | None = None,
    limit: int = DEFAULT_LIMIT,
    line_limit: int = LINE_LIMIT,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> tuple[EvidenceResult, MetricsSnapshot]:
    """The evidence of `figure` in the report `-b [--at T]` gives for `sets`, and that report's
    snapshot (read once by the engine, then the members the evidence needs, once or twice more)."""
    from execlog_tui.core.engine import MetricsEngine
    from execlog_tui.pipeline import read_history

    fig = _canonical(parse_figure(figure), config)
    engine = MetricsEngine(config)
    result = read_history(list(sets), engine, until=at, line_limit=line_limit)
    snap = engine.snapshot(as_of=at)
    win = _check(fig, window, snap)
    history = list(zip(result.members, result.newest_after, strict=False))
    members = [m for s in sets for m in s.members if at is None or m.first_ts is None or m.first_ts <= at]
    # Members after --at are not read (their first entry ends the input): the same as read_history.
    trimmed = [LogSet(s.directory, s.name, tuple(m for m in s.members if m in members)) for s in sets]
    reader = _Reader(trimmed, line_limit, progress, cancel, _skipper(history, members) if len(sets) == 1 else None)
    req = _Request(fig, win, snap.as_of, at, limit, config, snap, engine.future_limit)
    try:
        return _collect(req, reader.entries), snap
    except Cancelled:
        return EvidenceResult(fig.text, win, snap.as_of, 0, [], cancelled=True), snap


def collect_evidence(
    session: Any,
    figure: str,
    window: str | None = DEFAULT_WINDOW,
    at: int | None = None,
    limit: int = DEFAULT_LIMIT,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> EvidenceResult:
    """The evidence of `figure` as the session shows it now (`at`: as of an earlier instant of its
    clock). Blocking: call it from a worker thread; it holds `session.lock` only to copy the ring.
    Served from the ring when the ring holds every line the figure needs (and knows where each came
    from), otherwise from the log files. EvidenceError for an unknown figure, window or name."""
    config: Config = getattr(session, "config", None) or Config()
    fig = _canonical(parse_figure(figure), config)
    replaying = getattr(session, "replay", None) is not None
    with session.lock:
        snap: MetricsSnapshot = session.snapshot()
        win = _check(fig, window, snap)
        as_of = snap.as_of if at is None or snap.as_of is None else min(at, snap.as_of)
        until = as_of if (replaying or at is not None) else None
        limit_now = future_limit(config, int(time.time() * 1000))  # the limit as lines arrive now
        req = _Request(fig, win, as_of, until, limit, config, snap, limit_now)
        needed = _needed_from(req)
        ring = session.ring
        rows = None
        if hasattr(ring, "covers") and ring.covers(needed):
            raws, flags = ring.lines_newest(len(ring))
            origins = ring.origins_newest(len(raws))
            if all(o is not None for o in origins):
                rows = (raws, flags, origins)
    if rows is not None:
        raws, flags, origins = rows

        def from_ring(_since: int, _pre: Prefilter | None) -> Iterator[tuple[str, int, Entry]]:
            for raw, flag, origin in zip(raws, flags, origins, strict=True):
                if flag & PARSE_ERROR and not flag & UNKNOWN:
                    continue
                item = parse_line(raw)
                if type(item) is Entry and origin is not None:
                    yield origin[0], origin[1], item

        try:
            result = _collect(req, from_ring)
        except Cancelled:
            return EvidenceResult(fig.text, win, as_of, 0, [], cancelled=True)
        result.source = "ring"
        return result
    sets = discover(list(session.paths))
    history = getattr(session, "history_newest", ())
    members = [m for s in sets for m in s.members]
    reader = _Reader(sets, session.line_limit, progress, cancel, _skipper(history, members) if len(sets) == 1 else None)
    try:
        return _collect(req, reader.entries)
    except Cancelled:
        return EvidenceResult(fig.text, win, as_of, 0, [], cancelled=True)


def _needed_from(req: _Request) -> int:
    """The oldest timestamp a figure's evidence needs (NO_TS: the whole history)."""
    kind = req.figure.kind
    if kind in ("bootstrap", "breaker") or req.as_of is None:
        return NO_TS
    if kind == "run":
        view = req.snap.critical_paths.get(req.figure.name or "")
        return view.latest.started if view is not None and view.latest is not None else NO_TS
    if kind == "alert":
        name = req.figure.name or ""
        if name.startswith("breaker:"):
            return NO_TS
        if name.startswith(f"{STUCK}:"):
            return _stuck_start(_latest_firing(req.snap, name))
        return SHORTEST.start_ms(_latest_firing(req.snap, name).fired)
    spec: WindowSpec = WINDOWS_BY_NAME[req.window]
    return spec.start_ms(req.as_of)


def format_rows(result: EvidenceResult) -> Iterator[str]:
    """The text twin: `file:line: raw` per row in log order, inert (sanitised), marks after `<-`."""
    from execlog_tui.core.sanitize import sanitize

    for row in result.rows:
        mark = f"  <- {row.mark}" if row.mark else ""
        yield f"{sanitize(row.file)}:{row.line}: {sanitize(row.raw)}{mark}"


def summary(result: EvidenceResult) -> str:
    shown = len(result.rows)
    noun = "entry" if result.total == 1 else "entries"
    kept = f"{result.total:,} {noun}" if shown == result.total else f"{shown:,} of {result.total:,} {noun} shown"
    return f"{result.figure} ({result.window} as of {format_ts(result.as_of) or '-'}): {kept}"
