"""The replay controller: reads a set's timeline once, keeps engine checkpoints and an incident index,
and seeks to any log time by restoring the nearest checkpoint and replaying forward from it."""

from __future__ import annotations

import bisect
import os
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from execlog_tui.cache.plans import CacheOptions, keepable
from execlog_tui.cache.replay import PARTIAL, KeptCheckpoint, ReplayKeeper, Segment, leading_archives
from execlog_tui.cache.store import same_file
from execlog_tui.core.checkpoints import BucketStore
from execlog_tui.core.config import Config
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.entry import ParseError
from execlog_tui.core.fastpath import FastFeeder, new_feeder
from execlog_tui.core.incidents import Incident, add_parse_error, alert_incident
from execlog_tui.core.parser import LINE_LIMIT, line_timestamp, parse_line
from execlog_tui.core.timefmt import parse_timestamp
from execlog_tui.replay.ring import LazyRing
from execlog_tui.sources.logset import LogSet
from execlog_tui.sources.reader import SourceWarning, read_batches, read_raw_batches
from execlog_tui.sources.timeline import merge_sets, merged_name

# On the 7 x 100 MB set, with the settled buckets shared (BucketStore): 120 s cost 3.1 MB and jumps
# take 0.16 s (median); 60 s, 3.6 MB and 0.1 s, for a slightly longer first pass.
CHECKPOINT_EVERY_MS = 120_000
_MULTI_BATCH = 4096
_INF = 1 << 62
_END, _SPECIAL = 0, 1  # the C scanner's statuses (core/fastpath.py)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    ts: int  # the engine has seen every line with a timestamp before ts, and nothing after
    member: int  # where reading resumes: member index and line index in it
    line: int
    blob: bytes  # zlib(pickle(engine)), its settled buckets pickled as references into a BucketStore
    groups: int = 0  # the BucketStore's groups once it was dumped: it refers to none after them
    journal: int = 0  # incidents recorded by then (`_journal`)
    keepable: bool = False  # its engine might be kept (cache/plans.py `keepable`)
    last: int | None = None  # its engine's newest entry


@dataclass(frozen=True, slots=True)
class _SegmentEnd:
    """Where the part of the work kept for an archive ends (SPEC 12, cache/replay.py)."""

    checkpoints: int  # index in `checkpoints` after its last checkpoint
    groups: int
    journal: int


class ReplayController:
    """Feeds one engine from a log timeline up to a target log time; no thread, no clock of its own.

    The first pass over any stretch of the timeline takes a checkpoint every `checkpoint_every_ms` of
    log time (a compressed pickle of the engine: its buckets are bounded, so each is small) with the
    member and line to resume from, and records incidents. `seek(t)` restores the latest checkpoint at
    or before t and feeds forward to t, so jumping back never rereads the set from its beginning.

    With `cache` (a single set, SPEC 12), the work a pass did over each archive is kept once the pass
    has read that archive to its end (cache/replay.py), and the next run over the same archives starts
    with it: their checkpoints and incidents, as if a pass over them had been made in this run.
    """

    def __init__(
        self,
        sets: list[LogSet],
        config: Config | None = None,
        *,
        line_limit: int = LINE_LIMIT,
        ring_capacity: int = 100_000,
        checkpoint_every_ms: int = CHECKPOINT_EVERY_MS,
        fast: bool = True,
        wall_ms: int | None = None,
        cache: CacheOptions | None = None,
    ) -> None:
        self.sets = sets
        # The wall clock of SPEC 3's future rule: the replay's start, for every pass and restore.
        self.wall_ms = int(time.time() * 1000) if wall_ms is None else wall_ms
        self.config = config or Config()
        self.line_limit = line_limit
        self.checkpoint_every_ms = checkpoint_every_ms
        self.single = len(sets) == 1
        self._fast = fast and self.single
        self.ring = LazyRing(ring_capacity)
        self.checkpoints: list[Checkpoint] = []
        self.store = BucketStore()
        self.incidents: list[Incident] = []
        self._incident_keys: set[tuple[str, int]] = set()
        firsts = [m.first_ts for s in sets for m in s.members if m.first_ts is not None]
        self.first_ts: int | None = min(firsts) if firsts else None
        self.frontier: int | None = None  # the newest log time any pass has reached
        self.complete = False  # a pass reached the end of the timeline
        self.done = False  # the current pass is at the end of the timeline
        self.settled = True  # every line up to the clock was fed (see advance_to)
        self.last_ts: int | None = None  # the newest entry of the timeline, once a pass reached the end
        self.restores = 0
        self.lines_read = 0  # lines a pass (or a refill of the ring) read from the files
        self.kept_archives = 0  # SPEC 12: archives whose checkpoints came from the cache
        self.kept_checkpoints = 0
        self.stored_archives = 0  # archives whose checkpoints this run kept
        self._partial_kept = 0  # checkpoints of a partial segment loaded (the archive after the last whole one)
        self._journal: list[tuple[Any, ...]] = []  # incidents as recorded (see cache/replay.py)
        self._ck_next: int | None = None
        self._warnings: list[SourceWarning] = []
        self._member_lines: dict[int, int] = {}  # lines of each member a pass has read to its end
        self._gen: Generator[tuple[int, bytes | list[str], int]] | None = None
        self._start(0, 0, None)
        if self.first_ts is not None:
            self._ck_next = (self.first_ts // checkpoint_every_ms + 1) * checkpoint_every_ms
        self._checkpoint_start()
        self._keeper: ReplayKeeper | None = None
        self._archives = 0
        self._segments: list[_SegmentEnd] = []  # one per archive kept (loaded or stored), in order
        self._read_stats: dict[int, os.stat_result | None] = {}  # each archive as this run opened it
        self._unclean: set[int] = set()  # archives that read with a warning, or changed: not kept
        if self.single and not self.store.groups:
            self._keeper = ReplayKeeper.open(
                cache,
                sets[0].members,
                config=self.config,
                line_limit=line_limit,
                checkpoint_every_ms=checkpoint_every_ms,
                fast=self._feeder is not None,
            )
        if self._keeper is not None:
            self._archives = len(leading_archives(sets[0].members))
            self._load_kept()

    # ------------------------------------------------------------------------------- state
    @property
    def t(self) -> int | None:
        return self.engine.t

    @property
    def checkpoint_bytes(self) -> int:
        return sum(len(c.blob) for c in self.checkpoints) + self.store.nbytes

    def _start(self, member: int, line: int, blob: bytes | None) -> None:
        if self._gen is not None:
            self._gen.close()
        if blob is None:
            self.engine = MetricsEngine(self.config, wall_ms=self.wall_ms)
        else:
            self.engine = self.store.load(blob)
            self.engine.set_wall_clock(self.wall_ms)  # not taken from the checkpoint (SPEC 3)
            if self.single:
                self._rename_files(self.engine)
        self._feeder: FastFeeder | None = new_feeder(self.engine) if self._fast else None
        if self._feeder is not None and blob is not None:
            self._feeder.resync()  # learn the restored engine's components and breakers
        self._alerts_seen = len(self.engine.alerts.history)
        self._member, self._line = member, line
        self._pending: list[str] = []  # decoded lines not fed yet (a block with long lines, several sets)
        self._pi = 0
        self._block = b""  # a raw block not fed to its end: the line at _bpos is after the last stop
        self._bpos = 0
        self._bn = 0  # lines of _block not fed yet
        self._stop_ts: int | None = None
        self.done = False
        self.ring.reset()
        self._gen = self._payloads(member, line)

    # ------------------------------------------------------------------------------- reading
    def _payloads(self, start_member: int, start_line: int) -> Generator[tuple[int, bytes | list[str], int]]:
        """(member index, raw block or lines, line count) from a position; the lines before the position
        in its member go to the ring only (the view then shows what preceded a jump)."""
        if not self.single:
            yield from self._merged_payloads(start_line)
            return
        members = self.sets[0].members
        self._refill_ring(start_member, start_line)
        for mi in range(start_member, len(members)):
            m = members[mi]
            self.engine.note_file(str(m.path))
            skip = start_line if mi == start_member else 0
            if self._keeper is not None and mi < self._archives:
                self._note_read(mi, m.path)
            read = 0
            if self._feeder is not None:
                batches: Iterator[Any] = read_raw_batches(m.path, self._warnings, self.line_limit, archive=not m.live)
            else:
                batches = read_batches(m.path, self._warnings, self.line_limit, archive=not m.live)
            try:
                for payload, lines in batches:
                    n = lines if type(payload) is bytes else len(payload)
                    read += n
                    self.lines_read += n
                    if self._warnings:
                        self._unclean.add(mi)
                    if skip:
                        self._warnings.clear()  # said already, before the checkpoint
                        if n <= skip:
                            self._ring_add(payload, n)
                            skip -= n
                            continue
                        if type(payload) is bytes:
                            # Split the raw block after its skip-th line: the rest stays undecoded.
                            at = 0
                            for _ in range(skip):
                                at = payload.index(b"\n", at) + 1
                            self.ring.add_block(payload[: at - 1], skip)
                            payload = payload[at:]
                        else:
                            self.ring.add_lines(payload[:skip])
                            payload = payload[skip:]
                        n, skip = n - skip, 0
                    yield mi, payload, n
                if self._warnings:
                    self._unclean.add(mi)  # a warning at its end (a gzip member that fails its check)
                self._member_lines[mi] = read
            finally:
                if isinstance(batches, Generator):
                    batches.close()

    def _refill_ring(self, member: int, line: int) -> None:
        """After a jump to `line` of `member`, give the ring the lines before it from the members before
        that one too, as many as it holds: the view then shows the log up to the jump, not only the part
        of the checkpoint's member (a jump to 08:48 showed nothing before that member's 08:37:13). Earlier
        members are read again only as far back as the ring's capacity reaches."""
        first, need = member, self.ring.capacity - line
        while first > 0 and need > 0 and (first - 1) in self._member_lines:
            first -= 1
            need -= self._member_lines[first]
        if need > 0 and first > 0:
            first = 0  # a count is missing: read from the start (a checkpoint implies they are all known)
        self.ring.reset(sum(self._member_lines.get(i, 0) for i in range(first)))
        members = self.sets[0].members
        said: list[SourceWarning] = []  # said during the first pass
        for mi in range(first, member):
            path, archive = members[mi].path, not members[mi].live
            batches: Iterator[Any] = read_raw_batches(path, said, self.line_limit, archive=archive)
            for payload, lines in batches:
                n = lines if type(payload) is bytes else len(payload)
                self.lines_read += n
                self._ring_add(payload, n)

    def _merged_payloads(self, skip: int) -> Iterator[tuple[int, bytes | list[str], int]]:
        for s in self.sets:
            for m in s.members:
                self.engine.note_file(str(m.path))
        self.engine.feeding_file = merged_name(self.sets)
        batch: list[str] = []
        for item in merge_sets(self.sets, self._warnings, line_limit=self.line_limit):
            if skip:
                skip -= 1
                self.ring.add_lines([item.raw])
                continue
            batch.append(item.raw)
            if len(batch) >= _MULTI_BATCH:
                yield 0, batch, len(batch)
                batch = []
        if batch:
            yield 0, batch, len(batch)

    def _ring_add(self, payload: bytes | list[str], n: int) -> None:
        if isinstance(payload, bytes):
            self.ring.add_block(payload, n)
        else:
            self.ring.add_lines(payload)

    # ------------------------------------------------------------------------------- feeding
    def advance_to(self, target: int, budget: int | None = None) -> int | None:
        """Feed every line up to log time `target` (at most about `budget` lines), then move the
        engine's clock there (to the newest entry at the end of the timeline). Returns the clock."""
        fed = 0
        while True:
            stop = target
            ck = self._ck_next
            if ck is not None and ck - 1 < stop:
                stop = ck - 1
            if self._bn or self._pi < len(self._pending):
                if self._bn:
                    fed += self._feed_raw(stop)
                    left = self._bn
                else:
                    fed += self._feed_pending(stop)
                    left = self._pi < len(self._pending)
                if left:
                    if ck is not None and stop == ck - 1:
                        self._checkpoint(ck)
                        continue
                    break  # the next line is after the target
                continue
            if budget is not None and fed >= budget:
                break
            nxt = next(self._gen, None) if self._gen is not None else None
            if self._keeper is not None:
                self._keep_finished()
            if nxt is None:
                self.done = self.complete = True
                last = self.engine.last
                if last is not None and (self.last_ts is None or last > self.last_ts):
                    self.last_ts = last
                break
            member, payload, n = nxt
            if member != self._member:
                self._member, self._line = member, 0
            if isinstance(payload, bytes) and self._feeder is not None:
                self._block, self._bpos, self._bn = payload, 0, n
            elif isinstance(payload, bytes):
                self._pending, self._pi = payload.decode("utf-8", errors="replace").split("\n"), 0
            else:
                self._pending, self._pi = payload, 0
        if self._ck_next is None and self.engine.t is not None:
            self._ck_next = (self.engine.t // self.checkpoint_every_ms + 1) * self.checkpoint_every_ms
        e = self.engine
        if self.done and e.last is not None:
            target = min(target, max(e.last, e.t or e.last))
        # Every line up to the target was fed unless the budget cut the step short: only then may a
        # frame settle the clock's own second (MetricsEngine.snapshot's `settle`).
        self.settled = budget is None or fed < budget
        if self.settled:
            e.advance(target)
            self._note_alerts()
        if e.t is not None and (self.frontier is None or e.t > self.frontier):
            self.frontier = e.t
        return e.t

    def _feed_raw(self, stop: int) -> int:
        """Feed the pending raw block through the one feed path (`FastFeeder.feed_block`) up to its
        first entry after `stop`, splitting the block at that line's first byte: both halves stay on
        the fast path. Returns the lines fed."""
        block, start = self._block, self._bpos
        f = self._feeder
        assert f is not None
        e = self.engine
        before, t0 = e.parse_errors, e.t
        end = f.feed_block(block, start, stop)
        if end >= 0:
            self._stop_ts = f.stop_ts
        if end < 0:
            n = self._bn
            piece = block[start:] if start else block
            self._block, self._bpos, self._bn = b"", 0, 0
        else:
            n = block.count(b"\n", start, end)
            piece = block[start : end - 1] if end > start else b""
            self._bpos, self._bn = end, self._bn - n
        if n:
            self._line += n
            self.ring.add_block(piece, n)
            self._after_feed(before, t0, piece)
        return n

    def _feed_pending(self, stop: int) -> int:
        lines, i = self._pending, self._pi
        j, n = i, len(lines)
        while j < n:
            ts = line_timestamp(lines[j])
            if ts is not None and ts > stop and not self.engine.is_future(ts):  # a future entry stops nothing
                self._stop_ts = ts
                break
            j += 1
        if j == i:
            return 0
        chunk = lines[i:j]
        before, t0 = self.engine.parse_errors, self.engine.t
        if self._feeder is not None:
            self._feeder.feed(chunk)
        else:
            self.engine.feed_lines(chunk)
        self._pi = j
        self._line += j - i
        self.ring.add_lines(chunk)
        self._after_feed(before, t0, chunk)
        return j - i

    def _note_alerts(self) -> None:
        """The alerts fired since the last look are incidents: after each feed, and after each move of
        the clock (an alert that fires in the seconds after the last line was fed is recorded at once,
        not with the next line: a checkpoint never holds an alert the incidents do not)."""
        hist = self.engine.alerts.history
        if len(hist) > self._alerts_seen:
            for r in hist[self._alerts_seen :]:
                self._add_incident(alert_incident(r.name, r.fired))
            self._alerts_seen = len(hist)

    def _after_feed(self, parse_errors_before: int, t_before: int | None, fed: bytes | list[str]) -> None:
        self._note_alerts()
        if self.engine.parse_errors > parse_errors_before:
            lines = fed.decode("utf-8", errors="replace").split("\n") if isinstance(fed, bytes) else fed
            last = t_before
            for line in lines:
                ts = line_timestamp(line)
                if ts is not None:
                    last = ts
                elif line.strip() and type(parse_line(line)) is ParseError:
                    # A torn line often still starts with its own time: place it there if it can.
                    own = parse_timestamp(line.split("|", 1)[0].strip())
                    at = own if own is not None and last is not None and abs(own - last) < 60_000 else last
                    if at is not None:
                        self._add_parse(at)

    def _add_incident(self, inc: Incident) -> None:
        key = (inc.name, inc.ts)
        if key in self._incident_keys:
            return
        self._incident_keys.add(key)
        self._journal.append(("i", inc.ts, inc.kind, inc.name, inc.count))
        bisect.insort(self.incidents, inc, key=lambda i: i.ts)

    def _add_parse(self, ts: int) -> None:
        key = ("parse", ts)
        if key in self._incident_keys:
            return  # seen on an earlier pass
        self._incident_keys.add(key)
        self._journal.append(("p", ts))
        add_parse_error(self.incidents, ts)

    # ---------------------------------------------------------------------------- checkpoints
    def _checkpoint_start(self) -> None:
        # The state before the first line: a jump before the first checkpoint restarts from here.
        blob = self.store.dump(MetricsEngine(self.config))
        self.checkpoints.insert(0, Checkpoint(-_INF, 0, 0, blob))

    def _checkpoint(self, ck: int) -> None:
        """The engine has every line before ck and the next line is at _stop_ts >= ck: one checkpoint,
        valid up to the last whole interval before that line."""
        every = self.checkpoint_every_ms
        ts = ck
        if self._stop_ts is not None and self._stop_ts > ck:
            ts = max(ck, (self._stop_ts // every) * every)
        if not self.checkpoints or ts > self.checkpoints[-1].ts:
            self._note_alerts()
            blob = self.store.dump(self.engine)
            groups, journal = len(self.store.groups), len(self._journal)
            clean, last = keepable(self.engine), self.engine.last
            self.checkpoints.append(Checkpoint(ts, self._member, self._line, blob, groups, journal, clean, last))
        self._ck_next = ts + every

    # ---------------------------------------------------------------------------------- seeks
    def seek(self, target: int) -> int | None:
        """Move to log time `target`: forward by feeding, backward by restoring a checkpoint."""
        cur = self.engine.t
        if cur is not None and target < cur:
            self._restore(self._best(target))
        else:
            self.skip_to(target)
        return self.advance_to(target)

    def _best(self, target: int) -> Checkpoint | None:
        i = bisect.bisect_right(self.checkpoints, target + 1, key=lambda c: c.ts) - 1
        return self.checkpoints[i] if i >= 0 else None

    def skip_to(self, target: int) -> None:
        """Restore the latest checkpoint at or before `target` when it is further on than the engine
        (skip the feeding in between; a pass that has not read a timestamped line yet is at the start)."""
        best = self._best(target)
        cur = self.engine.t
        if best is not None and best.ts - 1 > (cur if cur is not None else -_INF):
            self._restore(best)

    def _restore(self, ck: Checkpoint | None) -> None:
        self.restores += 1
        if ck is None:
            self._start(0, 0, None)
        else:
            self._start(ck.member, ck.line, ck.blob)

    # --------------------------------------------------------------------- kept checkpoints
    def _rename_files(self, engine: MetricsEngine) -> None:
        """A checkpoint kept by an earlier run names the archives as they were named then: the files it
        has read are the set's first members in order (a single set), so each gets its name now."""
        names = [str(m.path) for m in self.sets[0].members]
        files = engine.files
        if len(files) > len(names) or files == names[: len(files)]:
            return
        now = dict(zip(files, names, strict=False))
        engine.files = names[: len(files)]
        if engine.feeding_file is not None:
            engine.feeding_file = now.get(engine.feeding_file, engine.feeding_file)
        cap = engine.components
        if cap.first_fold_file is not None:
            cap.first_fold_file = now.get(cap.first_fold_file, cap.first_fold_file)

    def _load_kept(self) -> None:
        """Start with the checkpoints and incidents kept for the set's oldest archives, if any: the
        current pass stays where it is (at the start); seeks and read-aheads restore them."""
        keeper = self._keeper
        assert keeper is not None
        base = _SegmentEnd(len(self.checkpoints), len(self.store.groups), len(self._journal))
        segments = keeper.load(self.engine.future_limit)
        if not segments or (base.groups, base.journal) != (0, 0):
            keeper.forget()
            return
        cks = [c for seg in segments for c in seg.checkpoints]
        if cks:
            if cks[0].ts <= self.checkpoints[-1].ts:
                keeper.forget()
                return
            trial = BucketStore()
            trial.groups = [g for seg in segments for g in seg.groups]
            try:
                trial.load(cks[-1].blob)  # the last one restores (its groups included): a foreign or
            except Exception:  # noqa: BLE001 - stale item (any unpickling error) is not used
                keeper.forget()
                return
        for seg in segments:
            self.store.groups.extend(seg.groups)
            self.checkpoints.extend(
                Checkpoint(c.ts, c.member, c.line, c.blob, c.groups, c.journal, True, seg.newest)
                for c in seg.checkpoints
            )
            for e in seg.journal:
                if e[0] == "i":
                    self._add_incident(Incident(e[1], e[2], e[3], e[4]))
                else:
                    self._add_parse(e[1])
            if seg.partial:
                self._partial_kept = len(seg.checkpoints)  # the last one: the archive is read on from it
                break
            self._member_lines[seg.member] = seg.lines
            self._segments.append(_SegmentEnd(len(self.checkpoints), seg.groups_end, seg.journal_end))
        self.kept_archives, self.kept_checkpoints = len(self._segments), len(cks)
        if cks:
            self.frontier = cks[-1].ts  # every line before it has been read, as far as seeks go

    def _note_read(self, mi: int, path: Path) -> None:
        try:
            st: os.stat_result | None = os.stat(path)
        except OSError:
            st = None
        if mi not in self._read_stats:
            self._read_stats[mi] = st
        else:
            before = self._read_stats[mi]
            if st is None or before is None or not same_file(before, st):
                self._unclean.add(mi)  # not the file it was: what was read of it is of two files

    def _keep_finished(self) -> None:
        """Keep the work over each archive a pass has just read to its end (the engine is at that end),
        in order; the first one that may not be kept ends the keeping for this run."""
        keeper = self._keeper
        assert keeper is not None
        while len(self._segments) < self._archives and len(self._segments) in self._member_lines:
            j = len(self._segments)
            seg, end = self._segment(j, self._member_lines[j])
            if j in self._unclean or not keeper.keep(seg, self.engine, self._read_stats.get(j)):
                self._keeper = None  # a chain with a gap would never be used
                return
            self._segments.append(end)
            self.stored_archives += 1

    def close(self) -> None:
        """The end of the run: keep what the passes have of the archive after the last one kept whole
        (a partial segment, when it has more checkpoints than the one loaded). The replay may go on."""
        keeper, j = self._keeper, len(self._segments)
        if keeper is not None and j < self._archives and j not in self._member_lines and j not in self._unclean:
            seg, end = self._segment(j, PARTIAL)
            if len(seg.checkpoints) > self._partial_kept:
                last = self.checkpoints[end.checkpoints - 1]
                if keeper.keep(seg, last.keepable, self._read_stats.get(j)):
                    self._partial_kept = len(seg.checkpoints)

    def _segment(self, j: int, lines: int) -> tuple[Segment, _SegmentEnd]:
        start = self._segments[-1] if self._segments else _SegmentEnd(1, 0, 0)  # after the start checkpoint
        end_ck = start.checkpoints
        while end_ck < len(self.checkpoints) and self.checkpoints[end_ck].member <= j:
            end_ck += 1
        taken = self.checkpoints[start.checkpoints : end_ck]
        groups = taken[-1].groups if taken else start.groups
        journal = taken[-1].journal if taken else start.journal
        seg = Segment(
            member=j,
            lines=lines,
            newest=self.engine.last if lines != PARTIAL or not taken else taken[-1].last,
            groups_from=start.groups,
            journal_from=start.journal,
            checkpoints=tuple(KeptCheckpoint(c.ts, c.member, c.line, c.blob, c.groups, c.journal) for c in taken),
            groups=tuple(self.store.groups[start.groups : groups]),
            journal=tuple(self._journal[start.journal : journal]),
        )
        return seg, _SegmentEnd(end_ck, groups, journal)
