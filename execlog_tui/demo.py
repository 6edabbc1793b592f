"""`execlog-top --demo`: a simulated service writing a real, rotating execution log through our writer.

It backfills a few minutes of history so the first screen has data, then writes live entries at about
60 per second with an incident every minute or so, on a two-minute script: an API error burst that opens
(and later closes) an inferred breaker and a slow spell in the first minute; a cache degradation with
degraded mode and an explicit CACHE breaker cycle in the second.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

from execlog_tui.writer import ExecutionLogger

CYCLE_S = 120
RATE = 60  # operations per second, roughly


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

    def __enter__(self) -> DemoService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._logger = ExecutionLogger(
            self.log_path,
            max_bytes=512 * 1024,
            backups=5,
            compress=True,
            retention_days=None,
            error_hook=lambda _m: None,
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
            self._logger.close()
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
            self._second(next_t, live=True)
            next_t += 1
            self._stop.wait(max(0.0, next_t - time.time()))

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
        assert self._logger is not None
        self._logger.log_at(at, component, action, round(duration, 1), status, details, level)
        self.written += 1

    def _bootstrap(self, at: float, slow: bool = False) -> None:
        core, par, val = (48, 90, 105) if not slow else (120, 210, 95)
        self._log(at, "BOOTSTRAP", "START", 0, "INFO", "Bootstrap sequence initiated")
        self._log(at + core / 1000, "BOOTSTRAP", "CORE", core, "SUCCESS", "Core identity loaded")
        self._log(at + (core + par) / 1000, "BOOTSTRAP", "PARALLEL", par, "SUCCESS", "6 threads completed")
        total = core + par + val
        self._log(at + total / 1000, "BOOTSTRAP", "VALIDATE", val, "SUCCESS", "All checks passed")
        self._log(at + total / 1000, "BOOTSTRAP", "COMPLETE", total, "SUCCESS", f"Ready in {total}ms")

    def _second(self, start: float, live: bool = False) -> None:
        rnd = self.rnd
        phase = int(start) % CYCLE_S
        burst = 5 <= phase < 11
        slow = 15 <= phase < 55
        degraded = 65 <= phase < 110
        if phase == 0 and int(start) // CYCLE_S % 3 == 0:
            # A restart every six minutes: its bootstrap stays in the newest archives (older ones rotate away).
            self._bootstrap(start, slow=rnd.random() < 0.5)
        if phase == 75:
            self._log(start, "SYSTEM", "MODE", 0, "WARNING", "Entering degraded mode: cache hit rate falling")
        if phase == 110:
            self._log(start, "SYSTEM", "MODE", 0, "INFO", "Leaving degraded mode")
        if phase == 80:
            self._log(start + 0.001, "CACHE", "CIRCUIT_OPEN", 0, "WARNING", "Circuit breaker opened")
        if phase == 95:
            self._log(start + 0.001, "CACHE", "CIRCUIT_TEST", 2, "INFO", "Testing recovery")
            self._log(start + 0.003, "CACHE", "CIRCUIT_CLOSE", 0, "SUCCESS", "Service restored")
        n = max(1, int(rnd.gauss(RATE, 6)))
        for i in range(n):
            at = start + i / n
            kind = rnd.random()
            if kind < 0.45:
                hit = rnd.random() < (0.3 if degraded else 0.9)
                self._log(at, "CACHE", "LOOKUP", rnd.randint(0, 2), "INFO", f"Looking for key_{rnd.randint(1, 500)}")
                if hit:
                    self._log(at + 0.001, "CACHE", "HIT", 0, "SUCCESS", rnd.choice(["L1 cache hit", "L2 cache hit"]))
                else:
                    self._log(at + 0.001, "CACHE", "MISS", 0, "INFO", "Cache miss all tiers")
                    self._log(at + 0.002, "CACHE", "FETCH", rnd.randint(8, 30), "SUCCESS", "Fetched from source")
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
