"""Replay checkpoints: an engine pickled with its settled buckets shared between checkpoints."""

from __future__ import annotations

import io
import pickle
import zlib

from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.windows import Agg


class BucketStore:
    """The settled buckets of an engine's windows, each pickled once for all the checkpoints.

    A second before the engine's current one, or a minute before its current minute, changes only
    through a late entry (SPEC 3), which bumps the engine's `_late_version`. Consecutive checkpoints
    hold mostly the same buckets (300 seconds and up to 1440 minutes, against 120 s between
    checkpoints), so each checkpoint stores the buckets settled since the previous one as one group,
    and refers to the older ones by (group, index). A late entry, or another engine (a restore),
    drops the references: the next checkpoint starts over from its own buckets, never a stale copy.
    """

    def __init__(self) -> None:
        self.groups: list[bytes] = []  # zlib(pickle(list of Agg))
        self._ids: dict[int, tuple[Agg, tuple[int, int]]] = {}  # id(bucket) -> (bucket, reference)
        self._engine: MetricsEngine | None = None
        self._version = -1

    @property
    def nbytes(self) -> int:
        return sum(len(g) for g in self.groups)

    def dump(self, engine: MetricsEngine) -> bytes:
        if engine is not self._engine or engine.late_version != self._version:
            self._ids = {}
            self._engine, self._version = engine, engine.late_version
        ids = self._ids
        cur_sec = engine.current_second
        cur_min = cur_sec // 60
        live: dict[int, tuple[Agg, tuple[int, int]]] = {}
        # Seconds and minutes in groups of their own: a restore needs the seconds of the last 300 s
        # (a few groups) but the minutes of a day (one small group per checkpoint).
        secs, mins = engine.bucket_maps()
        for buckets, settled_before in ((secs, cur_sec), (mins, cur_min)):
            new: list[Agg] = []
            g = len(self.groups)
            for key, b in buckets.items():
                if key >= settled_before:
                    continue
                known = ids.get(id(b))
                if known is not None and known[0] is b:
                    live[id(b)] = known
                else:
                    live[id(b)] = (b, (g, len(new)))
                    new.append(b)
            if new:
                self.groups.append(zlib.compress(pickle.dumps(new, 5), 1))
        self._ids = live  # only buckets still in the engine: the ids of dropped ones may be reused

        buf = io.BytesIO()
        pickler = pickle.Pickler(buf, 5)

        def persistent_id(obj: object) -> tuple[int, int] | None:
            if type(obj) is Agg:
                ref = live.get(id(obj))
                if ref is not None and ref[0] is obj:
                    return ref[1]
            return None

        pickler.persistent_id = persistent_id  # type: ignore[method-assign]  # pickle's documented hook: typeshed declares it a method
        pickler.dump(engine)
        return zlib.compress(buf.getbuffer(), 1)

    def load(self, blob: bytes) -> MetricsEngine:
        """A new engine from a checkpoint: fresh buckets, shared with no other restore."""
        groups: dict[int, list[Agg]] = {}
        store = self.groups

        class Unpickler(pickle.Unpickler):
            def persistent_load(self, ref: tuple[int, int]) -> Agg:
                g, i = ref
                items = groups.get(g)
                if items is None:
                    items = groups[g] = pickle.loads(zlib.decompress(store[g]))
                return items[i]

        engine = Unpickler(io.BytesIO(zlib.decompress(blob))).load()
        assert isinstance(engine, MetricsEngine)
        return engine
