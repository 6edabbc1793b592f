"""Feed plans of archives (core/feedplan.py): kept in the store, built in worker processes when missing.

An archive read whole and intact (no warning of any kind: no damage, no cut line) yields a plan; the
live file, a stream, a member the followers start in, and any archive that did not read cleanly are
read as before. `Plans.start` looks every archive up in the store (hashing it: a few hundredths of a
second per 100 MB) and hands the missing ones to `jobs` worker processes at once, in timeline order,
so that on a cold start the archives are read side by side while the engine is fed in order; each
worker stores what it built. With `jobs` 1 the missing plans are built in this process, as they are
needed.
"""

from __future__ import annotations

import hashlib
import marshal
import multiprocessing
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from isal import isal_zlib

from execlog_tui import __version__
from execlog_tui.cache.digest import PrefixDigest, feed
from execlog_tui.cache.options import CacheOptions as CacheOptions
from execlog_tui.cache.store import CacheStore, content_key, same_file
from execlog_tui.core.config import Config
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.fastpath import FastFeeder, available
from execlog_tui.core.feedplan import PLAN_FORMAT, PlanRecorder, plan_fingerprint
from execlog_tui.sources.logset import LogSet, member_bytes
from execlog_tui.sources.reader import INFLATE_ERRORS, SourceWarning, read_raw_batches

Plan = tuple[Any, ...]
STATE_FORMAT = 1  # bumped with every change of what a kept state holds


def keepable(engine: MetricsEngine) -> bool:
    """The one rule for keeping an engine's state (a kept state, a replay's checkpoints): nothing it read
    was left out as from the future (SPEC 3: the rule is applied when feeding, with each run's own wall
    clock, so a state that depends on it is not kept), and it is not counting (SPEC 11)."""
    return not engine.future and engine.counters is None


def nothing_future(newest: Iterable[int | None], future_limit: int) -> bool:
    """The one rule for using a kept state: nothing behind it (its newest timestamps) would be from the
    future by this run's wall clock (`future_limit`, the engine's)."""
    dated = [n for n in newest if n is not None]
    return not dated or max(dated) <= future_limit


def unchanged(hashed: Mapping[str, os.stat_result]) -> bool:
    """Every file is still the one that was hashed (`same_file` with its stat as hashed)."""
    for name, before in hashed.items():
        try:
            if not same_file(before, os.stat(name)):
                return False
        except OSError:
            return False
    return True


def default_jobs() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def build_plan(
    path: Path, config: Config, line_limit: int, hashed: tuple[int, int, int, int] | None = None
) -> bytes | None:
    """Read the archive at `path` through a fast feeder of an engine of its own, recording: its plan
    as it is kept (`PlanWriter`); None when it did not read cleanly (a warning of any kind), changed
    while it was read, or is no longer the file that was hashed (`hashed`: its identity then; a
    rotation in between must not store another file's plan under its key)."""
    engine = MetricsEngine(config, figures=False)  # it only plans: its figures are never read
    feeder = FastFeeder(engine)
    writer = PlanWriter()
    rec = feeder.recorder = PlanRecorder(writer)
    warnings: list[SourceWarning] = []
    try:
        before = os.stat(path)
    except OSError:
        return None
    if hashed is not None and _identity(before) != tuple(hashed):
        return None
    # No member's output is held back until its checksum passes (32 MiB a worker): a plan of a damaged
    # archive is thrown away whole (its warning), and the output's pieces are the same either way.
    for i, (payload, _cut) in enumerate(read_raw_batches(path, warnings, line_limit, archive=True, hold=0)):
        if warnings:
            return None
        rec.batch = i
        feeder.feed(payload)
    if warnings:
        return None
    try:
        after = os.stat(path)
    except OSError:
        return None
    if not same_file(before, after):
        return None
    rec.finish()
    return writer.payload()


def _work(
    path: str,
    config: Config,
    line_limit: int,
    store_dir: str | None,
    key: str | None,
    hashed: tuple[int, int, int, int] | None,
) -> bytes | bool | None:
    """A worker's task: build the plan of one archive and store it (True: the engine loads it from
    the store when its turn comes, so no plan waits in its memory meanwhile), or hand it back when
    there is no store or it could not take it; None when the archive gave no plan."""
    payload = build_plan(Path(path), config, line_limit, hashed)
    if payload is None:
        return None
    if store_dir is not None and key is not None and CacheStore(Path(store_dir)).save("plan", key, payload):
        return True
    return payload


class RawBlocks:
    """The blocks of an archive read again, forward only: the raw lines of the runs a plan could not
    apply as runs."""

    def __init__(self, path: Path, line_limit: int) -> None:
        self._warnings: list[SourceWarning] = []
        # Not held back either (as when the plan was made): the file is the one whose hash keys the plan.
        self._it = iter(read_raw_batches(path, self._warnings, line_limit, archive=True, hold=0))
        self._index = -1
        self._block = b""

    def __call__(self, batch: int, start: int, end: int) -> bytes:
        while self._index < batch:
            try:
                payload, _cut = next(self._it)
            except StopIteration:
                raise ValueError("the archive ended before its plan") from None
            if self._warnings:
                raise ValueError(f"the archive no longer reads cleanly: {self._warnings[0].message}")
            self._index += 1
            self._block = payload if type(payload) is bytes else b""
        return self._block[start:end]

    def close(self) -> None:
        close = getattr(self._it, "close", None)
        if close is not None:
            close()


@dataclass(slots=True)
class PlanStats:
    hits: int = 0  # plans read from the store
    built: int = 0  # plans built (and stored when there is a store)
    unplanned: int = 0  # archives read as before (not clean, or no plan could be made)
    fed_raw: int = 0  # runs fed from their raw lines (the state they met did not allow them)
    seconds_waiting: float = 0.0  # time the engine waited for a worker
    workers_failed: bool = False  # no worker process could be started: read here
    state_hit: bool = False  # the engine's state after all the archives was kept: none was read
    live_hit: int = 0  # bytes of the live file not fed again: its kept state after them was taken


@dataclass(slots=True)
class LiveState:
    """A kept state after the archives and the first `size` bytes (`lines` lines) of the live file,
    found for this run's live file: those bytes hash as they did (`hasher` holds them, to go on)."""

    size: int
    lines: int
    newest_after: list[int | None]  # as `Plans.state` gives it, the live file's last
    blob: bytes
    hasher: Any


def prepare_workers() -> None:
    """Start what worker processes need while this process's standard error is still a file: the
    dashboard replaces it (Textual), and multiprocessing's resource tracker hands it to its process.
    The tracker's own standard error is /dev/null: the dashboard owns the terminal, and what the
    tracker says there (that it removed semaphores a stopped worker left) would be drawn over it."""
    from multiprocessing import resource_tracker

    saved = None
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            saved = os.dup(2)
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)
        resource_tracker.ensure_running()
    except (OSError, ValueError):
        pass
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)


class Plans:
    """The plans of one run's archives."""

    def __init__(self, config: Config, line_limit: int, store: CacheStore | None, jobs: int) -> None:
        self.config = config
        self.line_limit = line_limit
        self.store = store
        self.jobs = jobs
        self.stats = PlanStats()
        self.fingerprint = plan_fingerprint(config, line_limit)
        self.state_fingerprint = state_fingerprint(config, line_limit)
        self._state_key: str | None = None
        self._chain: str | None = None  # the archives' keys in order (every one hashed), for a live state
        self._ready: set[str] = set()
        self._keys: dict[str, str] = {}
        self._stats: dict[str, os.stat_result] = {}
        self._pending: dict[str, Future[bytes | bool | None]] = {}
        self._pool: ProcessPoolExecutor | None = None

    @staticmethod
    def usable() -> bool:
        return available() and not os.environ.get("EXECLOG_NO_FASTPATH")

    def start(self, archives: list[Path]) -> None:
        """Look the archives up; start building the missing ones (oldest first) when there are workers."""
        missing: list[Path] = []
        for path in archives:
            name = str(path)
            key = None
            if self.store is not None:
                got = content_key(path, self.fingerprint, self.store)
                if got is None:
                    continue
                key = got[0]
                self._keys[name] = key
                self._stats[name] = got[1]
                if self.store.existing("plan", key) is not None:
                    self._ready.add(name)  # loaded (and checked) when its turn comes: one at a time
                    continue
            missing.append(path)
        self._state_key = self._chain = None
        if self.store is not None and all(str(p) in self._keys for p in archives):
            self._chain = "\0".join(self._keys[str(p)] for p in archives)
        if self.store is not None and archives and self._chain is not None:
            chain = self._chain
            self._state_key = hashlib.sha256(f"state\0{self.state_fingerprint}\0{chain}".encode()).hexdigest()
            if self.store.existing("state", self._state_key) is not None:
                return  # the state after every archive is kept: no archive needs reading (see `state`)
        if self.jobs > 1 and len(missing) > 1:
            ctx = multiprocessing.get_context("spawn")
            store_dir = str(self.store.dir) if self.store is not None else None
            try:
                self._pool = ProcessPoolExecutor(max_workers=min(self.jobs, len(missing)), mp_context=ctx)
                for path in missing:
                    name = str(path)
                    st = self._stats.get(name)
                    self._pending[name] = self._pool.submit(
                        _work,
                        name,
                        self.config,
                        self.line_limit,
                        store_dir,
                        self._keys.get(name),
                        _identity(st) if st is not None else None,
                    )
            except (OSError, ValueError, RuntimeError):
                # No worker could start (no process left, a standard error without a descriptor): this
                # process reads the archives itself, as with --jobs 1.
                self.stats.workers_failed = True
                self._pending.clear()
                if self._pool is not None:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = None

    def plan_for(self, path: Path) -> Plan | None:
        """The plan of an archive given to `start` (built now when it has no worker), or None: read it."""
        name = str(path)
        hashed = self._stats.get(name)
        if hashed is not None:
            try:
                if not same_file(hashed, os.stat(path)):
                    return None  # replaced since it was hashed: read as it is now (and not kept)
            except OSError:
                return None
        if name in self._ready:
            self._ready.discard(name)
            assert self.store is not None
            payload = self.store.load("plan", self._keys[name])
            plan = open_plan(payload) if payload is not None else None
            if plan is not None:
                self.stats.hits += 1
                return plan
            return None  # damaged since it was looked up: read it (and keep its plan again)
        fut = self._pending.pop(name, None)
        if fut is not None:
            t0 = time.perf_counter()
            try:
                got = fut.result()
            except Exception:  # a worker that died: read the archive here, as without plans
                got = None
            self.stats.seconds_waiting += time.perf_counter() - t0
            # Stored by the worker: loaded (and checked) now; gone or damaged since: read the archive.
            if got is True and self.store is not None:
                got = self.store.load("plan", self._keys[name])
            plan = open_plan(got) if isinstance(got, bytes) else None
        else:
            return None  # no worker for it: the caller reads it, recording (see `keep`)
        if plan is None:
            self.stats.unplanned += 1
        else:
            self.stats.built += 1
        return plan

    def keep(self, path: Path, plan: bytes) -> None:
        """A plan the caller recorded while reading the archive cleanly (a `PlanWriter`'s payload):
        stored when the archive is still the file that was hashed."""
        name = str(path)
        key = self._keys.get(name)
        before = self._stats.get(name)
        if self.store is None or key is None or before is None:
            return
        try:
            now = os.stat(path)
        except OSError:
            return
        if same_file(before, now):
            self.stats.built += 1
            self.store.save("plan", key, plan)

    def state(self) -> tuple[list[int | None], bytes] | None:
        """The kept state after all the archives given to `start`: (newest timestamp after each,
        the engine's state for `adopt_state`), or None."""
        if self.store is None or self._state_key is None:
            return None
        payload = self.store.load("state", self._state_key)
        if payload is None:
            return None
        try:
            newest, blob = marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            return None
        if not isinstance(newest, list) or not isinstance(blob, bytes):
            return None
        return newest, blob

    def keep_state(self, newest_after: list[int | None], engine: MetricsEngine) -> None:
        """Keep the engine's state after every archive (read cleanly, none of them changed since it
        was hashed, nothing from the future, no counting)."""
        if self.store is None or self._state_key is None or not keepable(engine) or not unchanged(self._stats):
            return
        self.store.save("state", self._state_key, marshal.dumps((newest_after, engine.dump_state())))

    # ---------------------------------------------------------------- the live file's first bytes
    # The live file only grows (rotation renames it away): the engine's state after the archives and
    # its first bytes is kept, keyed by the archives and the file's identity, with the digest of those
    # bytes (cache/digest.PrefixDigest). A later run hashes the same bytes of its live file (read whole:
    # a file rewritten in place does not hash the same) and takes the state when they match, then feeds
    # only what follows.
    def _live_key(self, st: os.stat_result) -> str | None:
        if self.store is None or self._chain is None:
            return None
        ident = f"live\0{self.state_fingerprint}\0{self._chain}\0{st.st_dev}\0{st.st_ino}"
        return hashlib.sha256(ident.encode()).hexdigest()

    def live_state(self, path: Path, limit: int | None) -> LiveState | None:
        """The kept state after the archives and the first bytes of the live file at `path` (no more
        than `limit`), when those bytes are still what they were; None otherwise."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        key = self._live_key(st)
        if key is None:
            return None
        assert self.store is not None
        payload = self.store.load("live", key)
        if payload is None:
            return None
        try:
            size, lines, digest, newest, blob = marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            return None
        if not (
            isinstance(size, int)
            and isinstance(lines, int)
            and isinstance(digest, str)
            and isinstance(newest, list)
            and isinstance(blob, bytes)
        ):
            return None
        if size <= 0 or size > st.st_size or (limit is not None and size > limit):
            return None
        hasher = _prefix_hash(path, st, size)
        if hasher is None or hasher.hexdigest() != digest:
            return None
        return LiveState(size, lines, newest, blob, hasher)

    @staticmethod
    def live_hasher(base: LiveState | None) -> Any:
        """What hashes the live file's bytes as they are fed (going on from `base`'s, when taken)."""
        return base.hasher if base is not None else PrefixDigest()

    def keep_live_state(
        self,
        path: Path,
        size: int,
        lines: int,
        hasher: Any,
        newest_after: list[int | None],
        engine: MetricsEngine,
        base: LiveState | None = None,
    ) -> None:
        """Keep the engine's state after the archives and the live file's first `size` bytes (`lines`
        whole lines, the last byte a newline), read cleanly (nothing from the future, no counting, the
        archives as hashed): `hasher` has had exactly the bytes fed (a file rewritten while it was
        read cannot pass another's hash for them); `base`: the kept state this run started from."""
        if self.store is None or not keepable(engine) or size <= 0:
            return
        if base is not None and size <= base.size:
            return  # nothing new: the kept one stands
        if not unchanged(self._stats):
            return
        try:
            st = os.stat(path)
        except OSError:
            return
        key = self._live_key(st)
        if key is None:
            return
        payload = marshal.dumps((size, lines, hasher.hexdigest(), newest_after, engine.dump_state()))
        self.store.save("live", key, payload)
        # Where it ends, found by the live file alone: the dashboard reads a history that is nearly
        # all kept in its own process (`nearly_kept`), which is quicker than starting a child for it.
        self.store.save("live", _end_key(self.state_fingerprint, st), marshal.dumps(size))

    def close(self) -> None:
        if self._pool is not None:
            for fut in self._pending.values():
                fut.cancel()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self.store is not None:
            self.store.prune()


def state_fingerprint(config: Config, line_limit: int) -> str:
    """What a kept state depends on: everything the engine is configured with (thresholds, rules, ...),
    and the version that pickled it (a state is the engine's own objects)."""
    return repr((STATE_FORMAT, __version__, plan_fingerprint(config, line_limit), config))


NEARLY_KEPT_BYTES = 16 << 20  # what a history may have to feed past its kept state and still be "nearly kept"


def _end_key(state_fingerprint: str, st: os.stat_result) -> str:
    return hashlib.sha256(f"live-end\0{state_fingerprint}\0{st.st_dev}\0{st.st_ino}".encode()).hexdigest()


def plans_for(cache: CacheOptions, config: Config, line_limit: int, sets: Sequence[LogSet]) -> Plans | None:
    """The feed plans for reading `sets` (a single set: several are merged line by line) with the options
    `cache`, or None when they cannot be used (no C scanner) or would do nothing (no store, one process)."""
    if len(sets) != 1 or not Plans.usable():
        return None
    jobs = cache.jobs if cache.jobs is not None else default_jobs()
    store = cache.store(sum(member_bytes(m) for m in sets[0].archives))
    if store is None and jobs == 1:
        return None
    return Plans(config, line_limit, store, jobs)


def nearly_kept(cache: CacheOptions, config: Config, line_limit: int, sets: Sequence[LogSet]) -> bool:
    """Whether a history was nearly all kept by an earlier run: a single set whose live file (by its
    identity alone) has a kept state no more than NEARLY_KEPT_BYTES short of its size. A hint only
    (nothing is hashed: `Plans.live_state` checks whatever is taken)."""
    if len(sets) != 1 or not sets[0].members or not Plans.usable():
        return False
    live = sets[0].members[-1]
    store = cache.store()
    if not live.live or live.stream or store is None:
        return False
    try:
        st = os.stat(live.path)
    except OSError:
        return False
    payload = store.load("live", _end_key(state_fingerprint(config, line_limit), st))
    try:
        size = marshal.loads(payload) if payload is not None else None
    except (ValueError, EOFError, TypeError):
        return False
    return isinstance(size, int) and 0 < size <= st.st_size <= size + NEARLY_KEPT_BYTES


def _prefix_hash(path: Path, st: os.stat_result, size: int) -> PrefixDigest | None:
    """The digest (PrefixDigest) of the first `size` bytes of the file at `path` (still the one `st` describes)."""
    h = PrefixDigest()
    try:
        with open(path, "rb") as f:
            now = os.fstat(f.fileno())
            if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino) or not feed(f, h, size):
                return None
    except OSError:
        return None
    return h


_FRAME = 4  # bytes of a frame's length, little-endian, before its marshalled (names, ops)


class PlanWriter:
    """A plan as it is kept and handed over, written as the recorder goes (`core.feedplan.PlanSink`):
    frames of (component names registered since the frame before, ops), each marshalled behind its
    length, the whole deflated (isal at level 1: a 100 MB bench archive's plan is 0.9 MB, its runs'
    packed totals being mostly small numbers). Neither the writer nor the reader (`open_plan`) ever
    holds more than a frame's ops, however large the archive."""

    def __init__(self) -> None:
        self._deflate = isal_zlib.compressobj(1)
        self._out = bytearray()

    def add(self, names: tuple[str, ...], ops: list[tuple[Any, ...]]) -> None:
        frame = marshal.dumps((names, ops))
        self._out += self._deflate.compress(len(frame).to_bytes(_FRAME, "little") + frame)

    def payload(self) -> bytes:
        self._out += self._deflate.flush()
        return bytes(self._out)


_MAX_FRAME = 64 << 20  # a frame's bytes at most (a recorder's hand-over is a few hundred KiB, ~11 MiB at worst)
_INFLATE_OUT = 1 << 20  # inflated bytes at most per step


def _frame_bytes(payload: bytes) -> Iterator[bytes]:
    """A kept plan's frames, marshalled, inflated a MiB at a time; ValueError for bytes that are not a
    whole plan (not deflated, cut short, a frame longer than any a writer makes): never more than a
    frame and a step held, whatever the payload inflates to."""
    inflate = isal_zlib.decompressobj()
    buf = bytearray()
    data = payload
    while True:
        while len(buf) >= _FRAME:
            n = int.from_bytes(buf[:_FRAME], "little")
            if n > _MAX_FRAME:
                raise ValueError("not a plan's frame")
            if len(buf) < _FRAME + n:
                break
            frame = bytes(buf[_FRAME : _FRAME + n])
            del buf[: _FRAME + n]
            yield frame
        if inflate.eof:
            if buf or inflate.unused_data:
                raise ValueError("bytes after a plan")
            return
        if not data:
            raise ValueError("a plan cut short")
        try:
            buf += inflate.decompress(data, _INFLATE_OUT)
        except INFLATE_ERRORS as e:
            raise ValueError("not a deflated plan") from e
        data = inflate.unconsumed_tail


def open_plan(payload: bytes) -> Plan | None:
    """A kept plan to apply (`core.feedplan.apply_plan`): (format, names, ops), its ops read frame by
    frame as they are applied and its names growing with them; None when it is not a whole plan. It is
    read through once first (inflated, its frames found, nothing kept: ~7 ms for a 100 MB archive's),
    so that a plan cut short or damaged is refused before the engine is fed any of it."""
    try:
        count = sum(1 for _ in _frame_bytes(payload))
    except ValueError:
        return None
    if count == 0:
        return None
    names: list[str] = []

    def ops() -> Iterator[tuple[Any, ...]]:
        for frame in _frame_bytes(payload):
            new, chunk = marshal.loads(frame)
            names.extend(new)
            yield from chunk

    return (PLAN_FORMAT, names, ops())
