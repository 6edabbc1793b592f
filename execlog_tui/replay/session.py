"""A replay session: the dashboard's session over a ReplayController, driven by a ReplayClock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from execlog_tui.cache.plans import CacheOptions
from execlog_tui.core.config import Config
from execlog_tui.core.incidents import Incident
from execlog_tui.core.parser import LINE_LIMIT
from execlog_tui.core.snapshot import MetricsSnapshot
from execlog_tui.core.timefmt import format_ts, parse_user_time
from execlog_tui.replay.clock import MAX, ReplayClock, speed_label
from execlog_tui.replay.controller import CHECKPOINT_EVERY_MS, ReplayController
from execlog_tui.session import EventLog, Events, MemoryGuard, RssProbe, read_rss_mb
from execlog_tui.sources.logset import SourceError, discover

PUMP_BUDGET = 100_000  # lines per step at max speed: the lock is never held for long
TICK_S = 0.05


@dataclass(frozen=True, slots=True)
class ReplayView:
    """What the header and the timeline bar show."""

    clock: int | None
    speed: str
    paused: bool
    ended: bool
    busy: str | None  # "seeking" while a jump reads ahead
    first: int | None
    last: int | None  # newest entry known (estimated until the first pass ends)
    frontier: int | None
    incidents: tuple[Incident, ...]


def newest_reference(sets, is_future=None) -> int | None:  # noqa: ANN001
    """The date a bare time of day refers to: the same rule as `-b --at`, so both agree."""
    from execlog_tui.pipeline import newest_entry_ts

    return newest_entry_ts(sets, is_future)


class ReplaySession:
    """The `Session` (execlog_tui.session) of a replay, and its `ReplayControls`. `pump()` does one
    step (the worker thread loops on it; tests call it by hand with a driven wall clock). The controls
    take the lock and act at once."""

    def __init__(
        self,
        paths: list[str],
        config: Config | None = None,
        *,
        speed: float = 1.0,
        start: str | None = None,
        end: str | None = None,
        ring_capacity: int = 100_000,
        line_limit: int = LINE_LIMIT,
        wall: Callable[[], float] = time.monotonic,
        checkpoint_every_ms: int = CHECKPOINT_EVERY_MS,
        rss_probe: RssProbe = read_rss_mb,
        cache: CacheOptions | None = None,
    ) -> None:
        """`cache`: where a single set's checkpoints are kept between runs (SPEC 12; None or --no-cache:
        not kept). ValueError (one line) for a bad --from/--to; SourceError when the paths name nothing."""
        self.config = config or Config()
        self.line_limit = line_limit
        self.sets = discover(list(paths) or ["execution.log"])
        if not any(s.members for s in self.sets):
            raise SourceError(f"no log found at {', '.join(paths or ['execution.log'])}")
        self.controller = ReplayController(
            self.sets,
            self.config,
            line_limit=line_limit,
            ring_capacity=ring_capacity,
            checkpoint_every_ms=checkpoint_every_ms,
            cache=cache,
        )
        self.reference = newest_reference(self.sets, self.controller.engine.is_future)
        self.start_ms = self._time(start, "--from") if start else self.controller.first_ts
        self.end_ms = self._time(end, "--to") if end else None
        newest, oldest = self.reference, self.controller.first_ts
        if start and newest is not None and self.start_ms is not None and self.start_ms > newest:
            raise ValueError(f"--from {format_ts(self.start_ms)} is after the set's newest entry, {format_ts(newest)}")
        if end and oldest is not None and self.end_ms is not None and self.end_ms < oldest:
            raise ValueError(f"--to {format_ts(self.end_ms)} is before the set's oldest entry, {format_ts(oldest)}")
        if self.start_ms is not None and self.end_ms is not None and self.end_ms < self.start_ms:
            raise ValueError("--to is before --from")
        self.lock = threading.RLock()
        self.clock = ReplayClock(self.start_ms or 0, speed, wall)
        self.ring = self.controller.ring
        self.memory = MemoryGuard(self.config.safeguards.memory_limit_mb, self.ring, self.lock, rss_probe=rss_probe)
        # The query screen reads the sets, each named by its live file.
        self.paths = [str(s.directory / s.name) for s in self.sets]
        self.progress: tuple[int, int] = (0, 0)
        self.history_done = True
        self.mode = "replay"
        self.event_log = EventLog()
        self.data_version = 0
        self.error: str | None = None
        self.ended = False
        self._seek_goal: tuple[str, int] | None = None  # ("time" | "incident", ms) read ahead in pumps
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._prepared = False

    def _time(self, text: str, flag: str) -> int:
        try:
            return parse_user_time(text, self.reference)
        except ValueError as e:
            raise ValueError(f"{flag}: {e}") from None

    # ------------------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="execlog-replay", daemon=True)
        self._thread.start()

    def set_waker(self, waker: Callable[[], None] | None) -> None:
        """Nothing to wake for: a replay's clock moves with the dashboard's ticks."""

    def wait_kept_history(self, timeout: float) -> None:
        """Nothing to wait for: a replay starts at its set's first entry."""

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3.0)
        with self.lock:
            self.controller.close()  # keeps what was read of the archive it stopped in (SPEC 12)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                busy = self.pump()
                if self.memory.check():
                    self.data_version += 1
                if not busy:
                    self._stop.wait(TICK_S)
        except Exception as e:  # noqa: BLE001 - the worker reports, the UI shows it
            self.error = f"{type(e).__name__}: {e}"

    def prepare(self) -> None:
        """Read up to --from (at max speed: this is the first pass over that stretch)."""
        if not self._prepared:
            self._prepared = True
            if self.start_ms is not None and self.start_ms > (self.controller.first_ts or self.start_ms):
                self._seek_goal = ("time", self.start_ms)

    # ------------------------------------------------------------------------------ the step
    def pump(self, budget: int = PUMP_BUDGET) -> bool:
        """One step of the replay; True while there is reading to catch up on (call again at once)."""
        self.prepare()
        with self.lock:
            c = self.controller
            busy = False
            if self._seek_goal is not None:
                kind, at = self._seek_goal
                # Read ahead from the latest checkpoint on the way (one kept from an earlier run, or
                # one behind the frontier after a jump back), not from where the replay stands: when
                # no incident is known ahead, none lies before the last checkpoint.
                c.skip_to(self._limit(1 << 62) if kind == "incident" else self._limit(at))
                if kind == "incident":
                    c.advance_to(self._limit(1 << 62), budget)
                    ahead = [i for i in c.incidents if i.ts > at]
                    if ahead:
                        self._goto(ahead[0].ts)
                    elif c.done:
                        self._seek_goal = None
                        self._goto(self._end_known() or at)
                    else:
                        self.clock.set(c.t or at)
                        busy = True
                else:
                    c.advance_to(self._limit(at), budget)
                    if c.done or (c.t is not None and c.t >= self._limit(at)):
                        self._goto(at)
                    else:
                        self.clock.set(c.t or at)
                        busy = True
            elif not self.clock.paused:
                if self.clock.speed == MAX:
                    reached = c.advance_to(self._limit(1 << 62), budget)
                    self.clock.set(reached or self.clock.now())
                    busy = not c.done
                else:
                    target = self._limit(self.clock.now())
                    reached = c.advance_to(target, budget)
                    if reached is not None and reached < target and not c.done:
                        self.clock.set(reached)  # the machine is slower than the speed asked
                self._check_end()
            self.data_version += 1
            return busy

    def _limit(self, t: int) -> int:
        end = self._end_known()
        return t if end is None else min(t, end)

    def _end_known(self) -> int | None:
        last = self.controller.last_ts
        if self.end_ms is not None:
            return self.end_ms if last is None else min(self.end_ms, max(last, self.start_ms or last))
        return last

    def _check_end(self) -> None:
        end = self._end_known()
        c = self.controller
        if end is not None and (self.clock.now() >= end or (c.done and self.end_ms is None)):
            self.clock.set(end if c.t is None else max(min(end, c.t if c.done else end), 0))
            self.clock.pause()
            self.ended = True

    def _goto(self, t: int) -> None:
        self._seek_goal = None
        t = self._limit(t)
        if self.start_ms is not None:
            t = max(t, self.start_ms)
        self.controller.seek(t)
        self.clock.set(t)
        self.ended = False
        self.data_version += 1

    # ------------------------------------------------------------------------------ reading
    @property
    def replay(self) -> ReplaySession:
        return self  # the dashboard's replay keys act on this session

    @property
    def complete(self) -> bool:
        """The whole set has been read once (incidents are all known)."""
        return self.controller.complete

    def events_since(self, seq: int) -> Events:
        return self.event_log.since(seq)

    def snapshot(self, as_of_last_entry: bool = False) -> MetricsSnapshot:
        with self.lock:
            c = self.controller
            return c.engine.snapshot(settle=c.settled)

    def view(self) -> ReplayView:
        c = self.controller
        last = c.last_ts if c.last_ts is not None else max(filter(None, (self.reference, c.frontier)), default=None)
        return ReplayView(
            clock=self.clock.now() if c.t is not None or self._seek_goal else c.t,
            speed=speed_label(self.clock.speed),
            paused=self.clock.paused,
            ended=self.ended,
            busy="seeking" if self._seek_goal is not None else None,
            first=self.start_ms if self.start_ms is not None else c.first_ts,
            last=self.end_ms if self.end_ms is not None else last,
            frontier=c.frontier,
            incidents=tuple(c.incidents),
        )

    # ------------------------------------------------------------------------------ controls
    def toggle_pause(self) -> bool:
        with self.lock:
            if self.clock.paused:
                if self.ended:
                    return True  # at the end: stays paused
                self.clock.resume()
            else:
                self.clock.pause()
            self.data_version += 1
            return self.clock.paused

    def faster(self) -> str:
        with self.lock:
            return speed_label(self.clock.faster())

    def slower(self) -> str:
        with self.lock:
            return speed_label(self.clock.slower())

    def seek(self, t: int) -> None:
        """Jump to log time t: at once inside what was read, by reading ahead (in pumps) beyond it."""
        with self.lock:
            c = self.controller
            t = self._limit(t)
            if self.start_ms is not None:
                t = max(t, self.start_ms)
            if c.complete or (c.frontier is not None and t <= c.frontier):
                self._goto(t)
            else:
                self._seek_goal = ("time", t)
                self.data_version += 1

    def step(self, ms: int) -> None:
        with self.lock:
            self.clock.pause()
            now = self.clock.now()
        self.seek(now + ms)

    def jump_start(self) -> None:
        self.seek(self.start_ms if self.start_ms is not None else (self.controller.first_ts or 0))

    def jump_end(self) -> None:
        self.seek(self.end_ms if self.end_ms is not None else 1 << 62)

    def next_incident(self) -> Incident | None:
        with self.lock:
            now = self.clock.now()
            ahead = [i for i in self.controller.incidents if i.ts > now]
            if ahead:
                self._goto(ahead[0].ts)
                return ahead[0]
            if not self.controller.complete:
                self._seek_goal = ("incident", now)  # read on until one turns up
            return None

    def previous_incident(self) -> Incident | None:
        with self.lock:
            now = self.clock.now()
            behind = [i for i in self.controller.incidents if i.ts < now]
            if behind:
                self._goto(behind[-1].ts)
                return behind[-1]
            return None

    def jump_to(self, text: str) -> int:
        """A typed time (ISO or time of day, as --from). ValueError with a one-line reason."""
        t = parse_user_time(text, self.reference)
        self.seek(t)
        return t

    def settle(self, max_steps: int = 100_000) -> None:
        """Pump until no read-ahead is pending (tests, and the start of a paused replay)."""
        for _ in range(max_steps):
            if not self.pump():
                return
