"""From a log set on disk to a fed engine: the history reading shared by batch mode and the dashboard."""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from execlog_tui.cache.plans import LiveState, Plans, PlanWriter, RawBlocks, nothing_future
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.fastpath import new_feeder
from execlog_tui.core.feedplan import PlanRecorder, apply_plan
from execlog_tui.core.parser import LINE_LIMIT, parse_line
from execlog_tui.core.sanitize import sanitize
from execlog_tui.sources.follower import HistoryLimit
from execlog_tui.sources.logset import LogSet, Member, member_bytes
from execlog_tui.sources.reader import SourceWarning, is_gzip, read_batches, read_failed, read_raw_batches
from execlog_tui.sources.timeline import merge_sets, merged_name

# Called after each batch with (bytes of the set read so far, bytes in all).
Progress = Callable[[int, int], None]


@dataclass(slots=True)
class HistoryResult:
    members: list[Member] = field(default_factory=list)
    lines_after_until: int = 0
    readable: bool = False  # at least one member could be opened
    # One set only: the newest timestamp fed once each member of `members` was read (the entries of
    # that member and every one before it are no newer): the evidence skips the members that end
    # before a window. Empty when several sets are merged.
    newest_after: list[int | None] = field(default_factory=list)
    # Where the tail's lines come from, oldest first: (file, first line number, lines) per member.
    tail_origins: list[tuple[str, int, int]] = field(default_factory=list)
    # Input that could not be read (a file that did not open, a read that failed part way): a report
    # without it must not pass for a complete one.
    unread: list[SourceWarning] = field(default_factory=list)


def unread_message(unread: Sequence[SourceWarning]) -> str:
    """One line for input that could not be read: how many files, the first with its reason."""
    first = unread[0]
    more = f" (and {len(unread) - 1:,} more)" if len(unread) > 1 else ""
    return sanitize(f"{len(unread):,} input file(s) could not be read: {first.file}: {first.message}{more}")


def set_size(sets: list[LogSet]) -> int:
    """The bytes of data in all members of `sets` (`member_bytes`): the history's progress total."""
    return sum(member_bytes(m) for s in sets for m in s.members)


def newest_entry_ts(sets: list[LogSet], is_future: Callable[[int], bool] | None = None) -> int | None:
    """The date a bare time of day refers to: that of the set's newest entry (SPEC 3), leaving out the
    entries `is_future` says are from the future (an engine's `is_future`: they are not a time).

    The newest entry is in the live file when it has one (its last 64 KiB are enough); otherwise in
    the member that starts last, read to its end (one archive, streamed)."""
    newest = None
    for s in sets:
        live = [m for m in s.members if m.live and not m.stream]  # a stream is read once, by the reader
        tail: list[str] = []
        if live:
            try:
                with open(live[0].path, "rb") as f:
                    f.seek(0, os.SEEK_END)
                    f.seek(max(0, f.tell() - 65536))
                    tail = f.read().decode("utf-8", errors="replace").splitlines()
            except OSError:
                tail = []
        ts = _last_timestamp(tail, is_future)
        dated = [m for m in s.members if m.first_ts is not None]
        if ts is None and dated:
            last_member = max(dated, key=lambda m: m.first_ts or 0)
            for lines, _cut in read_batches(last_member.path, []):
                tail = lines[-1000:] or tail
            ts = _last_timestamp(tail, is_future)
        if ts is not None:
            newest = ts if newest is None else max(newest, ts)
    if newest is None:  # no entry found at the end of any member: the newest first timestamp
        newest = max((m.first_ts for s in sets for m in s.members if m.first_ts is not None), default=None)
    return newest


def _last_timestamp(lines: list[str], is_future: Callable[[int], bool] | None = None) -> int | None:
    for line in reversed(lines):
        ts = getattr(parse_line(line), "ts", None)
        if isinstance(ts, int) and (is_future is None or not is_future(ts)):
            return ts
    return None


def _opens(member: Member) -> bool:
    if member.stream:
        return True  # opening a FIFO waits for a writer, and the reader opens it anyway
    path = member.path
    try:
        with open(path, "rb"):
            return True
    except OSError:
        return False


def _handover(path: Path, stop_at: Sequence[HistoryLimit]) -> HistoryLimit | None:
    if not stop_at:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return next((h for h in stop_at if h.applies_to(st)), None)


def _plannable(member: Member, stop_at: Sequence[HistoryLimit]) -> bool:
    """An archive that may have a feed plan: not the live file, not a stream, not where following starts."""
    return not member.live and not member.stream and _handover(member.path, stop_at) is None


class _LazyRaw:
    """An archive's raw blocks, opened only if a plan needs a run's lines."""

    def __init__(self, path: Path, line_limit: int) -> None:
        self.path, self.line_limit = path, line_limit
        self.blocks: RawBlocks | None = None

    def __call__(self, batch: int, start: int, end: int) -> bytes:
        if self.blocks is None:
            self.blocks = RawBlocks(self.path, self.line_limit)
        return self.blocks(batch, start, end)

    def close(self) -> None:
        if self.blocks is not None:
            self.blocks.close()


_TAIL_BLOCK = 1 << 20
FedLines = tuple[int, int, int, int]  # (offset, lines before it, device, inode) of a member as fed


def _tail_start(member: Member, n: int, limit: int | None, known: FedLines | None = None) -> tuple[int, int]:
    """Where the last `n` lines of a plain member begin (the byte after a newline, or 0) and how many
    lines come before that: a tail read of a 100 MB live file decodes its last lines, not all of them.
    (0, 0) for a gzip member (read from its start). `known`: (offset, lines, device, inode): the bytes
    before `offset` of that file held that many lines as they were fed, so only the newlines between
    there and the tail are counted (when it is still that file and the byte before `offset` still a
    newline; else every newline before the tail)."""
    try:
        with open(member.path, "rb") as f:
            if f.read(2) == b"\x1f\x8b":
                return 0, 0
            end = f.seek(0, os.SEEK_END)
            if limit is not None:
                end = min(end, limit)
            pos, seen = end, 0
            while pos > 0 and seen <= n:
                step = min(_TAIL_BLOCK, pos)
                f.seek(pos - step)
                block = f.read(step)
                pos -= step
                in_block = block.count(b"\n")
                if seen + in_block <= n:  # the line before the last n is further back: skip the block
                    seen += in_block
                    continue
                k = len(block)
                while seen <= n:
                    k = block.rfind(b"\n", 0, k)
                    if k < 0:
                        break
                    seen += 1
                    if seen > n:
                        pos += k + 1  # just after the newline that ends the line before the last n
                        break
            if seen <= n:
                return 0, 0
            st = os.fstat(f.fileno())
            if known is not None and 0 < known[0] <= end and known[2:] == (st.st_dev, st.st_ino):
                off, lines = known[:2]
                f.seek(off - 1)
                if f.read(1) == b"\n":
                    lo, hi = min(pos, off), max(pos, off)
                    between = _count_newlines(f, lo, hi - lo)
                    return pos, lines - between if pos <= off else lines + between
            return pos, _count_newlines(f, 0, pos)
    except OSError:
        return 0, 0


def _count_newlines(f: BinaryIO, at: int, size: int) -> int:
    f.seek(at)
    count = 0
    while size > 0:
        block = f.read(min(_TAIL_BLOCK, size))
        if not block:
            break
        count += block.count(b"\n")
        size -= len(block)
    return count


def _fill_tail(
    tail: deque[str],
    read: list[tuple[Member, int | None]],
    line_limit: int,
    known: dict[Path, FedLines] | None = None,
) -> list[tuple[str, int, int]]:
    """The newest raw lines of the members read, oldest first, at most tail.maxlen of them; returns
    where they come from: (file, first line number, lines) per member, oldest first. `known`: a
    member's (offset, lines before it) as fed, when whole blocks of it were (see `_tail_start`)."""
    want = tail.maxlen or 0
    newest_first: list[tuple[str, int, deque[str]]] = []
    have = 0
    for member, limit in reversed(read):
        if have >= want:
            break
        lines: deque[str] = deque(maxlen=want - have)
        start, count = _tail_start(member, want - have, limit, (known or {}).get(member.path))
        for batch, _cut in read_batches(
            member.path, [], line_limit, archive=not member.live, max_bytes=limit, start=start
        ):
            lines.extend(batch)
            count += len(batch)
        newest_first.append((str(member.path), count - len(lines) + 1, lines))
        have += len(lines)
    origins = []
    for name, first, lines in reversed(newest_first):
        tail.extend(lines)
        if lines:
            origins.append((name, first, len(lines)))
    return origins


def read_history(
    sets: list[LogSet],
    engine: MetricsEngine,
    *,
    until: int | None = None,
    line_limit: int = LINE_LIMIT,
    tail: deque[str] | None = None,
    progress: Progress | None = None,
    stop_at: Sequence[HistoryLimit] = (),
    lock: AbstractContextManager[object] | None = None,
    plans: Plans | None = None,
) -> HistoryResult:
    """Feed every member of `sets` to `engine` in timeline order (SPEC 2 and 3).

    `until`: entries after it play no part (a report as of a given time). `stop_at`: where
    following starts (the followers' history limits): the member that is that file, by device and
    inode, is read only up to the limit's offset, and nothing newer in its set is read (it is the
    follower's). `tail`: a bounded deque that
    receives the raw lines, so a front end can fill its ring buffer with the newest ones at the end
    without building an object per line of a history far larger than the buffer. `lock`: held while
    the engine is fed, so another thread may take snapshots meanwhile. `plans`: the archives' feed
    plans (SPEC 12: kept in the store, or built by worker processes), used for a single set read to its
    end (no `until`); the archives without one, and the live file, are read.
    """
    guard = lock if lock is not None else nullcontext()
    result = HistoryResult()
    # Readable means a member opens, whether or not it holds entries at or before `until`.
    result.readable = any(_opens(m) for s in sets for m in s.members)
    warnings: list[SourceWarning] = []
    total = set_size(sets)
    done = 0

    def flush_warnings() -> None:
        for w in warnings:
            engine.note_warning(w.file, w.message)
            if read_failed(w):
                result.unread.append(w)
        warnings.clear()

    if len(sets) == 1:
        # The fast path (C scanner) when it is built: same figures as the per-line path. It hands out
        # raw blocks, not lines, so a front end's tail of raw lines is read again afterwards (only the
        # newest members, and only until the tail is full).
        # A stream cannot be read a second time for the tail: the per-line path keeps it as it goes.
        fast = new_feeder(engine, until) if tail is None or not sets[0].stream else None
        read: list[tuple[Member, int | None]] = []
        fed_lines: dict[Path, FedLines] = {}  # a member's (offset, lines before it, device, inode) as fed
        planned = plans is not None and fast is not None and until is None
        members = sets[0].members
        archives: list[Member] = []
        chained = False  # the archives are every member but the live file, which comes last
        live_member: Member | None = None  # that live file, when its first bytes may be kept
        kept_live: LiveState | None = None  # their kept state, taken: reading starts after them
        skip = 0
        if planned:
            assert plans is not None
            archives = [m for m in members if _plannable(m, stop_at)]
            plans.start([m.path for m in archives])
            chained = bool(archives) and members[-1].live and list(members[:-1]) == archives
            # The live file after every archive: its first bytes may have a kept state (with them all).
            # (Not a compressed one: its bytes are not the lines' bytes.)
            last = members[-1] if members else None
            if last and last.live and not last.stream and list(members[:-1]) == archives and not is_gzip(last.path):
                live_member = last
                handover = _handover(live_member.path, stop_at)
                kept_live = plans.live_state(live_member.path, handover.offset if handover is not None else None)
                if kept_live is not None and (
                    not nothing_future(kept_live.newest_after, engine.future_limit)
                    or len(kept_live.newest_after) != len(archives) + 1
                ):
                    kept_live = None  # something in it is from the future now, or it is not this set's
            kept = plans.state() if chained and kept_live is None else None
            taken = kept_live.blob if kept_live is not None else kept[1] if kept is not None else None
            afters = kept_live.newest_after[:-1] if kept_live is not None else kept[0] if kept is not None else []
            usable = kept_live is not None or nothing_future(afters, engine.future_limit)
            adopted = False
            if taken is not None and len(afters) == len(archives) and usable:
                names = [str(m.path) for m in archives]
                if kept_live is not None:
                    assert live_member is not None
                    names.append(str(live_member.path))
                try:
                    with guard:
                        engine.adopt_state(taken, names)
                        assert fast is not None
                        fast.resync()  # the feeder learns the adopted engine (its slow second above all)
                    adopted = True
                except Exception:  # noqa: BLE001 - an item that does not load as a state: a miss (untouched)
                    kept_live = None
            if adopted:
                plans.stats.state_hit = True
                for m, after in zip(archives, afters, strict=True):
                    engine.note_file(str(m.path))
                    result.members.append(m)
                    read.append((m, None))
                    result.newest_after.append(after)
                    done += member_bytes(m)
                skip = len(archives)
                if kept_live is not None:
                    plans.stats.live_hit = kept_live.size
                    done += kept_live.size
                if progress is not None:
                    progress(done, total)
        archives_clean = True
        try:
            for member in members[skip:]:
                if until is not None and member.first_ts is not None and member.first_ts > until:
                    continue  # nothing in it can be at or before `until`
                engine.note_file(str(member.path))
                result.members.append(member)
                handover = None if member.stream else _handover(member.path, stop_at)
                limit = handover.offset if handover is not None else None
                read.append((member, limit))
                size = member_bytes(member)
                plan = None
                recorder = None
                if planned and _plannable(member, stop_at):
                    assert plans is not None and fast is not None
                    plan = plans.plan_for(member.path)
                    if plan is not None:
                        raw = _LazyRaw(member.path, line_limit)
                        with guard:
                            plans.stats.fed_raw += apply_plan(engine, fast, plan, raw)
                        raw.close()
                        done += size
                        if progress is not None:
                            progress(done, total)
                        result.newest_after.append(engine.last)
                        if chained and member is archives[-1] and archives_clean:
                            plans.keep_state(result.newest_after, engine)
                        continue
                    writer = PlanWriter()
                    recorder = fast.recorder = PlanRecorder(writer)
                start = start_line = 0
                hasher = None  # the live file's bytes as fed, for the state kept after them
                if member is live_member:
                    assert plans is not None
                    hasher = plans.live_hasher(kept_live)
                    if kept_live is not None:
                        start, start_line = kept_live.size, kept_live.lines
                        size -= start
                if fast is not None:
                    batches: Iterator[Any] = read_raw_batches(
                        member.path,
                        warnings,
                        line_limit,
                        archive=not member.live,
                        max_bytes=limit,
                        stream=member.stream,
                        start=start,
                        start_line=start_line,
                    )
                else:
                    batches = read_batches(
                        member.path,
                        warnings,
                        line_limit,
                        archive=not member.live,
                        max_bytes=limit,
                        stream=member.stream,
                    )
                clean = True
                fed = 0
                raw_bytes = raw_lines = 0  # what whole raw blocks held (a live state is kept after them)
                for index, (lines, _cut) in enumerate(batches):
                    if type(lines) is bytes:
                        raw_bytes += len(lines) + 1
                        raw_lines += _cut
                        if hasher is not None:
                            hasher.update(lines)
                            hasher.update(b"\n")
                    else:
                        raw_bytes = -(1 << 62)  # decoded lines (one over the limit): no live state
                    if recorder is not None:
                        recorder.batch = index
                    with guard:
                        if fast is not None:
                            result.lines_after_until += fast.feed(lines)
                        else:
                            result.lines_after_until += engine.feed_lines(lines, until)
                    if engine.stopped:
                        break
                    if warnings:
                        clean = False
                        flush_warnings()
                    if progress is not None:
                        fed += len(lines) + 1 if type(lines) is bytes else sum(len(x) + 1 for x in lines)
                        progress(min(done + fed, done + size), total)
                done += size
                if recorder is not None:
                    assert plans is not None and fast is not None
                    fast.recorder = None
                    if clean and not warnings and not engine.stopped:
                        recorder.finish()
                        plans.keep(member.path, writer.payload())
                if warnings or not clean or engine.stopped:
                    archives_clean = False
                flush_warnings()
                result.newest_after.append(engine.last)
                if chained and member is archives[-1] and archives_clean:
                    assert plans is not None
                    plans.keep_state(result.newest_after, engine)
                if raw_bytes >= 0 and not member.stream:
                    with contextlib.suppress(OSError):
                        st = os.stat(member.path)
                        fed_lines[member.path] = (start + raw_bytes, start_line + raw_lines, st.st_dev, st.st_ino)
                if member is live_member and archives_clean and raw_bytes > 0 and not engine.stopped:
                    assert plans is not None
                    plans.keep_live_state(
                        member.path,
                        start + raw_bytes,
                        start_line + raw_lines,
                        hasher,
                        result.newest_after,
                        engine,
                        kept_live,
                    )
                if handover is not None or engine.stopped:
                    break
        finally:
            if planned:
                assert plans is not None
                plans.close()  # the workers end and the store is pruned, whatever happened
        if tail is not None:
            # Read again (only the newest members, only until the tail is full) rather than kept
            # while feeding: the fast path hands out blocks, and this way the tail's lines come with
            # their file and line numbers.
            result.tail_origins = _fill_tail(tail, read, line_limit, fed_lines)
    elif sets:
        for s in sets:
            for member in s.members:
                engine.note_file(str(member.path))
                result.members.append(member)
        engine.feeding_file = merged_name(sets)  # merged entries do not say which file they came from
        batch: list[Entry | ParseError] = []
        for item in merge_sets(sets, warnings, line_limit=line_limit):
            if until is not None and type(item) is Entry and item.ts > until and not engine.is_future(item.ts):
                result.lines_after_until += 1
                break  # the first entry after `until` ends the report's input (see feed_lines)
            batch.append(item)
            if len(batch) >= 4096:
                with guard:
                    engine.feed_parsed(batch)
                if tail is not None:
                    tail.extend(i.raw for i in batch)
                batch = []
                flush_warnings()
        with guard:
            engine.feed_parsed(batch)
        if tail is not None:
            tail.extend(i.raw for i in batch)
        flush_warnings()
    if progress is not None:
        progress(total, total)
    return result
