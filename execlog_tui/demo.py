"""`execlog-top --demo`: a simulated service writing a real, rotating execution log through our writer.

It backfills a few minutes of history so the first screen has data, then writes live entries at about
60 per second with an incident every minute or so, on a two-minute script: an API error burst that opens
(and later closes) an inferred breaker and a slow spell in the first minute; a cache degradation with
degraded mode and an explicit CACHE breaker cycle in the second. Every six minutes the service restarts
(a bootstrap, sometimes slow); two minutes after that one a restart hangs after PARALLEL and nothing more
comes from BOOTSTRAP for 50 s (the monitor's `stuck:bootstrap` fires after 30 s), until a fresh START
supersedes it and completes.

Cache lookups, learning runs and bootstraps go through the writer's own `lookup()`, `learning()` and
`bootstrap()`, so the demo writes exactly what a service using the writer writes. The script runs on a
clock of its own (the logger's injected clock): history is backfilled in the past, and the durations of
each run are the script's, not the machine's.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

from execlog_tui.writer import Bootstrap, ExecutionLogger

CYCLE_S = 120
RATE = 60  # operations per second, roughly


HUNG_RETRY_PHASE = 50  # the phase of the START that supersedes a bootstrap hung at phase 0


class DemoService:
    def __init__(self, directory: str | None = None, backfill_s: int = 180, seed: int = 7) -> None:
        self._own_dir = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="execlog-demo-"))
        self.log_path = self.directory / "execution.log"
        self.backfill_s = backfill_s
        self.rnd = random.Random(seed)
        self.written = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._logger: ExecutionLogger | None = None
        self._rss = 42.0
        self._now = 0.0  # the script's clock: every line's time, and the durations of runs
        self._hung: Bootstrap | None = None  # a bootstrap left running, until the next START

    def __enter__(self) -> DemoService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._logger = ExecutionLogger(
            self.log_path,
            max_bytes=512 * 1024,
            backups=8,  # about 7 minutes of the script: the last hung bootstrap is always in the set
            compress=True,
            retention_days=None,
            error_hook=lambda _m: None,
            clock=lambda: self._now,
        )
        now = time.time()
        self._bootstrap(now - self.backfill_s, slow=True)
        t = now - self.backfill_s + 1
        while t < now:
            self._second(t)
            t += 1
        self._thread = threading.Thread(target=self._run, name="execlog-demo", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
        if self._logger is not None:
            self._logger.close()  # a thread still writing gets "closed" and ends (see _run)
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def wait_for_entries(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.written < count and time.monotonic() < deadline:
            self._stop.wait(0.05)
        return self.written >= count

    # ---------------------------------------------------------------------------------- script
    def _run(self) -> None:
        next_t = time.time()
        while not self._stop.is_set():
            try:
                self._second(next_t, live=True)
            except ValueError:  # the logger was closed under us: stop() is under way
                return
            next_t += 1
            ahead = next_t - time.time()
            if not -5.0 <= ahead <= 2.0:
                # Suspended, or the wall clock stepped: carry on from now rather than write a burst of
                # missed seconds (or wait for a second that is far away).
                next_t, ahead = time.time(), 0.0
            self._stop.wait(max(0.0, ahead))

    @property
    def _writer(self) -> ExecutionLogger:
        assert self._logger is not None
        return self._logger

    def _at(self, at: float) -> None:
        """Move the script's clock to `at`, never back: each line is at or after the one before it."""
        self._now = max(self._now, at)

    def _advance(self, ms: float) -> None:
        self._now += ms / 1000.0

    def _log(
        self,
        at: float,
        component: str,
        action: str,
        duration: float,
        status: str,
        details: str = "",
        level: str = "INFO",
    ) -> None:
        self._at(at)
        self._writer.log(component, action, round(duration, 1), status, details, level)
        self.written += 1

    def _bootstrap(self, at: float, slow: bool = False, hang: bool = False) -> None:
        core, par, val = (48, 90, 105) if not slow else (120, 210, 95)
        self._at(at)
        boot = self._writer.bootstrap()  # START (superseding a hung one, if any)
        self._hung = None
        self._advance(core)
        boot.core()
        self._advance(par)
        boot.parallel("6 threads completed")
        self.written += 3
        if hang:
            self._hung = boot  # no VALIDATE, no COMPLETE: the run stays open
            return
        self._advance(val)
        boot.validate()
        boot.complete()
        self.written += 2

    def _lookup(self, at: float, hit: bool) -> None:
        rnd = self.rnd
        self._at(at)
        with self._writer.lookup(f"key_{rnd.randint(1, 500)}") as op:
            self._advance(rnd.randint(0, 2))
            if hit:
                op.hit(tier=rnd.choice(["L1", "L2"]))
                self.written += 3
                return
            op.miss()
            with op.fetch():
                self._advance(rnd.randint(8, 30))
            with op.update("Updated L1 and L2"):
                self._advance(rnd.randint(1, 3))
            self.written += 5

    def _learning(self, at: float) -> None:
        rnd = self.rnd
        self._at(at)
        with self._writer.learning(rnd.choice(["git_workflow", "morning_briefing", "code_review"])) as run:
            self._advance(rnd.randint(3, 6))
            if rnd.random() < 0.2:
                run.complete("No pattern matched")
                self.written += 2
                return
            run.match(times=rnd.randint(2, 9))
            with run.learn():
                self._advance(rnd.randint(6, 14))
            with run.persist():
                self._advance(rnd.randint(3, 7))
            self.written += 5

    def _second(self, start: float, live: bool = False) -> None:
        rnd = self.rnd
        phase = int(start) % CYCLE_S
        cycle = int(start) // CYCLE_S % 3
        burst = 5 <= phase < 11
        slow = 15 <= phase < 55
        degraded = 65 <= phase < 110
        if phase == 0 and cycle == 0:
            # A restart every six minutes: its bootstrap stays in the newest archives (older ones rotate away).
            self._bootstrap(start, slow=rnd.random() < 0.5)
        if phase == 0 and cycle == 1:
            self._bootstrap(start, hang=True)  # two minutes later, a restart that hangs after PARALLEL
        if phase == HUNG_RETRY_PHASE and self._hung is not None:
            self._bootstrap(start)  # the retry: a fresh START supersedes the hung run
        if phase == 75:
            self._log(start, "SYSTEM", "MODE", 0, "WARNING", "Entering degraded mode: cache hit rate falling")
        if phase == 110:
            self._log(start, "SYSTEM", "MODE", 0, "INFO", "Leaving degraded mode")
        if phase == 80:
            self._log(start + 0.001, "CACHE", "CIRCUIT_OPEN", 0, "WARNING", "Circuit breaker opened")
        if phase == 95:
            self._log(start + 0.001, "CACHE", "CIRCUIT_TEST", 2, "INFO", "Testing recovery")
            self._log(start + 0.003, "CACHE", "CIRCUIT_CLOSE", 0, "SUCCESS", "Service restored")
        if rnd.random() < 0.25:
            self._learning(start + rnd.random() * 0.9)
        n = max(1, int(rnd.gauss(RATE, 6)))
        for i in range(n):
            at = start + i / n
            kind = rnd.random()
            if kind < 0.45:
                self._lookup(at, hit=rnd.random() < (0.3 if degraded else 0.9))
            elif kind < 0.65:
                base = rnd.uniform(1500, 2500) if slow else rnd.lognormvariate(3.2, 0.5)
                failed = burst and rnd.random() < 0.6
                self._log(
                    at,
                    "API",
                    "CALL",
                    base,
                    "FAILURE" if failed else "SUCCESS",
                    "upstream=payments " + ("status=503" if failed else "status=200"),
                    "ERROR" if failed else "INFO",
                )
            elif kind < 0.8:
                self._log(at, "TEMPLATE", "RENDER", rnd.randint(1, 6), "SUCCESS", "Rendered greeting")
            elif kind < 0.9:
                self._log(
                    at, "FAMILY", "PROFILE", rnd.randint(2, 9), "SUCCESS", f"user=u{rnd.randint(1, 12)} prefs loaded"
                )
            else:
                self._log(
                    at, "ROUTING", "DECIDE", rnd.randint(1, 4), "SUCCESS", rnd.choice(["tool=search", "tool=calc"])
                )
        self._rss += 0.6 if degraded else -0.3
        self._rss = min(max(self._rss, 38.0), 112.0)
        self._log(start + 0.999, "MEMORY", "SAMPLE", 0, "INFO", f"rss_mb={self._rss:.1f}")
