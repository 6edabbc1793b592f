"""A replay's checkpoints kept between runs (SPEC 12): one item per archive of a single set.

The replay (execlog_tui/replay/controller.py) keeps an engine checkpoint every two minutes of log time,
its settled buckets shared between checkpoints as groups (core/checkpoints.py), and an incident index.
What lies inside the rotated archives never changes, so once a pass has read archive j to its end the
part of that work that belongs to it is kept: a `Segment` with the checkpoints taken since the previous
segment's last one, the bucket groups they added, the incidents recorded by then (in the order they
were recorded, so that bursts of parse errors count the same), the archive's line count and its newest
entry. When a run ends inside an archive (a first jump into the newest one), what it has of that
archive is kept as a partial segment: it ends a chain, and a run that reads the archive to its end
replaces it with the whole segment (same key, same predecessor).

Segment j is keyed by the content keys of archives 0..j in order (the names do not count: a rotation
that renames them keeps the keys, and one that adds an archive at the newest end keeps every older
prefix), and by everything the checkpoints depend on (the configuration, the line limit, the
interval, the fast path). A segment also holds the digest of the one before it, so that a chain is
never made of segments from two different runs (their group numbers would not agree).

The same rules as the kept states of batch mode (cache/plans.py): a segment is kept only when nothing
read up to the end of its archive was from the future (`keepable`) and every archive is still the file
that was hashed, and it is used only when its newest entry is not from the future by this run's wall
clock (`nothing_future`). Anything that does not decode to the expected shape is ignored.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from execlog_tui.cache.plans import CacheOptions, keepable, nothing_future, unchanged
from execlog_tui.cache.store import CacheStore, content_key, same_file
from execlog_tui.core.config import Config
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.sources.logset import Member, member_bytes

KIND = "replay"
REPLAY_FORMAT = 1  # bumped with every change of what a segment holds or of how checkpoints are made

# An incident recorded by the replay, as it was recorded: ("i", ts, kind, name, count) for an
# alert, a breaker or a CRITICAL entry, ("p", ts) for a parse error placed at ts.
JournalEntry = tuple[Any, ...]
PARTIAL = -1  # the `lines` of a segment that ends before its archive does


@dataclass(frozen=True, slots=True)
class KeptCheckpoint:
    ts: int
    member: int
    line: int
    blob: bytes
    groups: int  # bucket groups that existed once it was dumped (it refers to no later one)
    journal: int  # incidents recorded by then


@dataclass(frozen=True, slots=True)
class Segment:
    member: int  # the archive's index in the set (0: the oldest)
    lines: int  # its lines; PARTIAL: read only up to the last checkpoint
    newest: int | None  # the newest entry of it (up to there) and of every archive before it
    groups_from: int  # the group number of `groups[0]`
    journal_from: int  # the index of `journal[0]` in the replay's record of incidents
    checkpoints: tuple[KeptCheckpoint, ...]
    groups: tuple[bytes, ...]
    journal: tuple[JournalEntry, ...]

    @property
    def partial(self) -> bool:
        return self.lines == PARTIAL

    @property
    def groups_end(self) -> int:
        return self.groups_from + len(self.groups)

    @property
    def journal_end(self) -> int:
        return self.journal_from + len(self.journal)


def leading_archives(members: Sequence[Member]) -> list[Member]:
    """The archives a set's timeline starts with (up to its live file or a stream)."""
    out = []
    for m in members:
        if m.live or m.stream:
            break
        out.append(m)
    return out


class ReplayKeeper:
    """The kept segments of one set's archives, looked up and stored in order."""

    def __init__(self, store: CacheStore, archives: Sequence[Path], fingerprint: str) -> None:
        self.store = store
        self.archives = [Path(p) for p in archives]
        self.fingerprint = fingerprint
        self._keys: list[str] = []  # content keys of archives 0.. (hashed as they are needed)
        self._hashed: dict[str, os.stat_result] = {}  # each hashed archive, as it was hashed
        self._digests: list[bytes] = []  # of the payloads of the segments loaded or stored, in order
        self.loaded = 0  # whole segments loaded
        self.stored = 0  # whole segments stored

    @classmethod
    def open(
        cls,
        options: CacheOptions | None,
        members: Sequence[Member],
        *,
        config: Config,
        line_limit: int,
        checkpoint_every_ms: int,
        fast: bool,
    ) -> ReplayKeeper | None:
        """The keeper of a single set's archives, or None (no cache, or no archive)."""
        if options is None:
            return None
        archives = leading_archives(members)
        if not archives:
            return None
        store = options.store(sum(member_bytes(m) for m in archives))
        if store is None:
            return None
        fingerprint = repr((REPLAY_FORMAT, config, line_limit, checkpoint_every_ms, fast))
        return cls(store, [m.path for m in archives], fingerprint)

    # ------------------------------------------------------------------------------ keys
    def _content_key(self, j: int) -> str | None:
        while len(self._keys) <= j:
            path = self.archives[len(self._keys)]
            got = content_key(path, KIND, self.store)
            if got is None:
                return None
            self._keys.append(got[0])
            self._hashed[str(path)] = got[1]
        return self._keys[j]

    def item_key(self, j: int) -> str | None:
        """The key of segment j: the chain of archives 0..j's content keys and the fingerprint."""
        if self._content_key(j) is None:
            return None
        chain = "\0".join(self._keys[: j + 1])
        return hashlib.sha256(f"{KIND}\0{self.fingerprint}\0{chain}".encode()).hexdigest()

    # ------------------------------------------------------------------------------ load
    def load(self, future_limit: int) -> list[Segment]:
        """The longest chain of kept segments from the oldest archive on whose entries are none of them
        from the future at `future_limit` (this run's wall clock)."""
        out: list[Segment] = []
        self._digests = []
        seen: set[tuple[str, int]] = set()
        groups, journal, last_ts = 0, 0, None
        for j in range(len(self.archives)):
            key = self.item_key(j)
            payload = self.store.load(KIND, key) if key is not None else None
            if payload is None:
                break
            seg = _decode(payload, j, self._digests[-1] if self._digests else b"", groups, journal, last_ts, seen)
            if seg is None or not nothing_future([seg.newest], future_limit):
                break
            out.append(seg)
            if seg.partial:
                break  # the end of the chain; the whole segment, when stored, replaces it
            self._digests.append(_digest(payload))
            groups, journal = seg.groups_end, seg.journal_end
            if seg.checkpoints:
                last_ts = seg.checkpoints[-1].ts
        self.loaded = len(self._digests)
        return out

    def forget(self) -> None:
        """What `load` returned is not used (it did not restore): store the chain anew."""
        self._digests = []
        self.loaded = 0

    # ------------------------------------------------------------------------------ store
    def keep(self, seg: Segment, engine: MetricsEngine | bool, read: os.stat_result | None) -> bool:
        """Store segment `seg.member`, the next of the chain, with `engine` as it is at the end of what
        the segment covers (or whether it was `keepable` then), read from the file whose stat was
        `read` when this run opened it. False when it may not be kept: then no later segment may be
        either (the chain would have a gap)."""
        j = seg.member
        clean = keepable(engine) if isinstance(engine, MetricsEngine) else engine
        if j != len(self._digests) or j >= len(self.archives) or read is None or not clean:
            return False
        key = self.item_key(j)
        hashed = self._hashed.get(str(self.archives[j]))
        if key is None or hashed is None or not same_file(hashed, read) or not unchanged(self._hashed):
            return False
        payload = _encode(seg, self._digests[-1] if self._digests else b"")
        if not self.store.save(KIND, key, payload):
            return False
        if not seg.partial:
            self._digests.append(_digest(payload))
            self.stored += 1
        self.store.prune()
        return True


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=16).digest()


def _encode(seg: Segment, prev: bytes) -> bytes:
    return marshal.dumps(
        (
            REPLAY_FORMAT,
            prev,
            seg.member,
            seg.lines,
            seg.newest,
            seg.groups_from,
            seg.journal_from,
            [(c.ts, c.member, c.line, c.blob, c.groups, c.journal) for c in seg.checkpoints],
            list(seg.groups),
            [list(e) for e in seg.journal],
        )
    )


def _int(x: object) -> bool:
    return type(x) is int


def _decode(
    payload: bytes,
    member: int,
    prev: bytes,
    groups_from: int,
    journal_from: int,
    last_ts: int | None,
    seen: set[tuple[str, int]],
) -> Segment | None:
    """Segment `member` of a chain whose previous segment's payload has digest `prev` and ends at
    `groups_from` and `journal_from`, or None when the payload is anything else."""
    try:
        items = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(items, tuple) or len(items) != 10:
        return None
    fmt, p, m, lines, newest, g0, j0, cks, groups, journal = items
    if fmt != REPLAY_FORMAT or p != prev or m != member or g0 != groups_from or j0 != journal_from:
        return None
    if not _int(lines) or lines < PARTIAL or not (newest is None or _int(newest)):
        return None
    if lines == PARTIAL and not cks:
        return None
    if not (isinstance(cks, list) and isinstance(groups, list) and isinstance(journal, list)):
        return None
    if not all(type(g) is bytes for g in groups):
        return None
    entries: list[JournalEntry] = []
    for e in journal:
        if not isinstance(e, list) or not e:
            return None
        if e[0] == "i" and len(e) == 5 and _int(e[1]) and type(e[2]) is str and type(e[3]) is str and _int(e[4]):
            key = (e[3], e[1])
        elif e[0] == "p" and len(e) == 2 and _int(e[1]):
            key = ("parse", e[1])
        else:
            return None
        if key in seen:
            return None  # recorded once only
        seen.add(key)
        entries.append(tuple(e))
    g_end, j_end = g0 + len(groups), j0 + len(entries)
    kept: list[KeptCheckpoint] = []
    at_g, at_j, at_m = g0, j0, 0
    for c in cks:
        if not isinstance(c, tuple) or len(c) != 6:
            return None
        ts, cm, line, blob, g, jn = c
        if not (_int(ts) and _int(cm) and _int(line) and type(blob) is bytes and _int(g) and _int(jn)):
            return None
        if (last_ts is not None and ts <= last_ts) or not (at_m <= cm <= member) or line < 0:
            return None
        if not (at_g <= g <= g_end and at_j <= jn <= j_end):
            return None
        kept.append(KeptCheckpoint(ts, cm, line, blob, g, jn))
        last_ts, at_g, at_j, at_m = ts, g, jn, cm
    # The segment holds exactly what its checkpoints need: the groups and incidents up to its last one.
    if (at_g, at_j) != (g_end, j_end):
        return None
    return Segment(member, lines, newest, g0, j0, tuple(kept), tuple(groups), tuple(entries))
