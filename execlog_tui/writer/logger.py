"""`ExecutionLogger`: writes the execution log, rotates it without losing a line, alerts on errors.

The supported concurrency model:

- Threads: any number, on one `ExecutionLogger` (a lock serialises lines; compression runs in its own
  background thread).
- Processes: any number of processes (each with its own `ExecutionLogger`, or one inherited through
  `fork`, which reopens its files in the child) may write the same `path` on one local file system.
  Each line is one `write()` on an `O_APPEND` descriptor, so lines never interleave. Writers hold a
  shared `flock` on `NAME.lock` for the duration of each write; a rotation holds it exclusively, bumps a
  generation number kept in that same file (memory-mapped, so checking it costs no system call), and
  renames. A writer that sees a new generation reopens `NAME` before writing, so no line is ever written
  into a file that is being compressed, and exactly one process performs each rotation.
- Not supported: NFS and other file systems without POSIX `O_APPEND` and `flock`; an external
  logrotate on the same files; deleting `NAME.lock` while writers run.

With `multiprocess=False` the per-line `flock` is skipped (faster); then only one process may write.
"""

from __future__ import annotations

import atexit
import errno
import fcntl
import mmap
import os
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, NamedTuple, Self

from execlog_tui.core.config import Config
from execlog_tui.core.config_file import load_config
from execlog_tui.writer import rotation
from execlog_tui.writer.format import (
    TimestampFormatter,
    check_token,
    clamp_duration,
    encode_line,
    escape_details,
    format_duration,
)

ALERT_LEVELS = frozenset({"ERROR", "CRITICAL"})
LOG_LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})
ROTATE_DETAILS = "Log rotated"
_GEN_BYTES = 8
# The lock file: the generation (8 bytes), then a flag byte set while the live file ends in a torn line.
_TORN_AT = _GEN_BYTES
_LOCK_BYTES = 16
# `errors` keeps the newest messages; `error_count` counts them all.
ERRORS_KEPT = 100
# The error hook hears the first message of a burst, then at most one summary per interval.
HOOK_INTERVAL_S = 60.0
_RETENTION_CHECK_S = 3600.0
_ROTATION_RETRY_S = 10.0


class Alert(NamedTuple):
    """What the alert hook receives for an ERROR or CRITICAL entry (the seed's `alert()`)."""

    timestamp: str
    level: str
    component: str
    action: str
    duration_ms: str
    status: str
    details: str


def config_options(config: Config | str | os.PathLike[str] | None) -> dict[str, Any]:
    """The constructor's rotation arguments from a configuration (a `Config`, a YAML path, or None for
    the defaults): LOG_CONFIGURATION `max_size` -> `max_bytes`, `rotation` (`7_files`) -> `backups`,
    `compression` (`gzip_rotated` or `none`) -> `compress`, `retention` (`7_days`) -> `retention_days`,
    SAFEGUARDS.log_overflow `limit` (`100MB per file`) -> `max_file_bytes`, the hard cap."""
    if config is None:
        cfg = Config()
    elif isinstance(config, Config):
        cfg = config
    else:
        cfg = load_config(os.fspath(config))
    return {
        "max_bytes": cfg.log.max_size_bytes,
        "backups": cfg.log.rotation_files,
        "compress": cfg.log.compression != "none",
        "retention_days": cfg.log.retention_days,
        "max_file_bytes": cfg.safeguards.log_file_limit_bytes,
    }


def _report_to_stderr(message: str) -> None:
    print(f"execlog writer: {message}", file=sys.stderr, flush=True)


@dataclass(slots=True)
class Operation:
    """The handle of `ExecutionLogger.timed`: the body may change what gets written."""

    status: str = "SUCCESS"
    details: str = ""
    level: str = "INFO"


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _elapsed_ms(start: float, end: float) -> float:
    # Hundredths of a millisecond: finer digits would only show the float noise of epoch clocks. Clamped
    # into what format_duration takes: a clock stepping back (or an injected one jumping) never raises.
    return round(clamp_duration((end - start) * 1000.0), 2)


class Run:
    """One run of a critical path (SPEC section 10), written as it happens so the monitor follows it.

    The first checkpoint is written when the run is created (duration 0: the run has just begun, and a
    run that hangs is visible at once); each later checkpoint when it is reached, with the milliseconds
    since the previous line of the run (`checkpoint`), or with the duration of a timed body (`step`);
    the last checkpoint (COMPLETE) with the run's total, as the seed's BOOTSTRAP|COMPLETE|254 (status INFO
    outside BOOTSTRAP: see COMPLETE_STATUS). Used as a context manager, leaving the body completes the
    run; an exception leaving it writes the component's `FAILURE` line (status and level ERROR, the run's
    total, the stage in the details) and propagates, so the monitor sees the run `failed` at its stage.
    A run ends once (complete or failed); a checkpoint after that is a RuntimeError.

    `bootstrap()`, `lookup()` and `learning()` are the seed's three paths on top of this; `run()` gives one
    for a path of your own configuration's CRITICAL_PATHS.
    """

    # Details of checkpoints written without any; the FAILURE line's first words.
    DEFAULT_DETAILS: ClassVar[Mapping[str, str]] = {}
    FAILED: ClassVar[str] = "Operation failed"
    # The last checkpoint's status. INFO: it marks the end of a run whose steps were each written as the
    # completed operations they are (HIT, FETCH, UPDATE: SUCCESS), and SPEC section 4 counts no INFO entry
    # in avg_response_ms, so a run's total is not counted once more on top of its steps.
    COMPLETE_STATUS: ClassVar[str] = "INFO"

    def __init__(
        self,
        logger: ExecutionLogger,
        component: str,
        first: str,
        details: str | None = None,
        *,
        last: str = "COMPLETE",
        status: str = "INFO",
    ) -> None:
        self._logger = logger
        self.component = check_token("component", component)
        self.first = check_token("action", first)
        self.last = check_token("action", last)
        self._now = logger._timer
        self._start = self._now()
        self._last = self._start
        self._raised: tuple[BaseException, str] | None = None  # the exception a step let through
        self._step: str | None = None  # the step whose body runs now
        self.state = "running"  # then "complete" or "failed"
        self.stage = self.first  # the last checkpoint written
        self._write(self.first, 0, status, details, "INFO")

    # ------------------------------------------------------------------ checkpoints

    def checkpoint(
        self, action: str, details: str | None = None, status: str = "SUCCESS", level: str = "INFO"
    ) -> float:
        """Write checkpoint `action` with the milliseconds since the previous line of the run; returns them."""
        act = check_token("action", action)
        self._check_running(act)
        now = self._now()
        ms = _elapsed_ms(self._last, now)
        self._last = now
        self._write(act, ms, status, details, level)
        return ms

    @contextmanager
    def step(self, action: str, details: str | None = None, status: str = "SUCCESS") -> Iterator[Operation]:
        """Time the body as checkpoint `action`, written when the body ends, with the body's duration.
        The body may change `op.status`, `op.details`, `op.level` (as in `ExecutionLogger.timed`). An
        exception passes through and the step writes nothing: the run's `with` writes the FAILURE."""
        act = check_token("action", action)
        self._check_running(act)
        op = Operation(status=status, details=self._details(act, details))
        start = self._now()
        outer, self._step = self._step, act
        try:
            yield op
        except BaseException as exc:
            self._raised = (exc, act)
            raise
        finally:
            self._step = outer
        if self.state != "running":
            return  # the body ended the run itself (`fail()`): nothing after the run's end
        now = self._now()
        self._last = now
        self._write(act, _elapsed_ms(start, now), op.status, op.details, op.level)

    def complete(self, details: str | None = None) -> float:
        """Write the last checkpoint (COMPLETE) with the run's total, and end the run; returns the total."""
        self._check_running(self.last)
        total = _elapsed_ms(self._start, self._now())
        self.state = "complete"
        self._write(self.last, total, self.COMPLETE_STATUS, details or self._complete_details(total), "INFO")
        return total

    def fail(self, details: str = "") -> float:
        """End the run failed: `COMPONENT|FAILURE|total|ERROR|<FAILED> after STAGE: details`, level ERROR
        (the alert hook hears it). For an error handled without an exception; returns the total."""
        self._check_running("FAILURE")
        return self._fail(f"during {self._step}" if self._step else f"after {self.stage}", details)

    @property
    def elapsed_ms(self) -> float:
        """Milliseconds since the run started (its first checkpoint)."""
        return _elapsed_ms(self._start, self._now())

    # ------------------------------------------------------------------ the seed's wording

    def _details(self, action: str, details: str | None) -> str:
        return details if details is not None else self.DEFAULT_DETAILS.get(action, "")

    def _complete_details(self, total: float) -> str:
        return f"Complete in {total:g}ms"

    # ------------------------------------------------------------------ mechanics

    def _check_running(self, action: str) -> None:
        if self.state != "running":
            raise RuntimeError(f"{self.component} run already ended ({self.state}); cannot write {action}")

    def _write(self, action: str, ms: float, status: str, details: str | None, level: str) -> None:
        self._logger.log(self.component, action, ms, status, self._details(action, details), level)
        if action != "FAILURE":
            self.stage = action

    def _fail(self, where: str, details: str) -> float:
        total = _elapsed_ms(self._start, self._now())
        self.state = "failed"
        text = f"{self.FAILED} {where}: {details}" if details else f"{self.FAILED} {where}"
        self._write("FAILURE", total, "ERROR", text, "ERROR")
        return total

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.state != "running":
            return
        if exc is None:
            self.complete()
            return
        # Not COMPLETE: a failed run must not be shown as a run time (BOOTSTRAP|COMPLETE is the figure).
        where = f"during {self._raised[1]}" if self._raised is not None and self._raised[0] is exc else None
        self._fail(where or f"after {self.stage}", _describe(exc))


class Bootstrap(Run):
    """`ExecutionLogger.bootstrap()`: the seed's START, then CORE, PARALLEL, VALIDATE (each with the
    time since the previous checkpoint), then COMPLETE with the total, as in the seed's sample entries."""

    DEFAULT_DETAILS: ClassVar[Mapping[str, str]] = {
        "START": "Bootstrap sequence initiated",
        "CORE": "Core identity loaded",
        "PARALLEL": "Parallel threads complete",
        "VALIDATE": "All checks passed",
    }
    FAILED = "Bootstrap failed"
    COMPLETE_STATUS = "SUCCESS"  # the seed's BOOTSTRAP|COMPLETE|254|SUCCESS (BOOTSTRAP is never a completion)

    def __init__(self, logger: ExecutionLogger, details: str | None = None) -> None:
        super().__init__(logger, "BOOTSTRAP", "START", details)

    def core(self, details: str | None = None) -> float:
        return self.checkpoint("CORE", details)

    def parallel(self, details: str | None = None) -> float:
        return self.checkpoint("PARALLEL", details)

    def validate(self, details: str | None = None) -> float:
        return self.checkpoint("VALIDATE", details)

    def _complete_details(self, total: float) -> str:
        return f"Ready in {total:g}ms"


class Lookup(Run):
    """`ExecutionLogger.lookup(key)`: CACHE LOOKUP, then HIT or MISS (`hit()`, `miss()`: the probe's
    time since LOOKUP), on a miss the timed `fetch()` and `update()` bodies, then COMPLETE with the total.
    `result` is "hit", "miss" or None (neither said)."""

    DEFAULT_DETAILS: ClassVar[Mapping[str, str]] = {
        "HIT": "Cache hit",
        "MISS": "Cache miss all tiers",
        "FETCH": "Fetched from source",
        "UPDATE": "Updated cache tiers",
    }
    FAILED = "Cache operation failed"

    def __init__(self, logger: ExecutionLogger, key: object, details: str | None = None) -> None:
        self.key = str(key)
        self.result: str | None = None
        super().__init__(logger, "CACHE", "LOOKUP", details if details is not None else f"Looking for {self.key}")

    def hit(self, details: str | None = None, *, tier: str | None = None) -> float:
        """CACHE|HIT|ms|SUCCESS; `tier="L1"` writes "L1 cache hit"."""
        self.result = "hit"
        return self.checkpoint("HIT", details if details is not None or tier is None else f"{tier} cache hit")

    def miss(self, details: str | None = None) -> float:
        """CACHE|MISS|ms|INFO (a miss is not a completed operation: the fetch that follows is)."""
        self.result = "miss"
        return self.checkpoint("MISS", details, status="INFO")

    def fetch(self, details: str | None = None) -> AbstractContextManager[Operation]:
        """`with op.fetch(): value = source()`: CACHE|FETCH with the body's duration."""
        return self.step("FETCH", details)

    def update(self, details: str | None = None) -> AbstractContextManager[Operation]:
        """`with op.update(): tiers.put(key, value)`: CACHE|UPDATE with the body's duration."""
        return self.step("UPDATE", details)

    def _complete_details(self, total: float) -> str:
        outcome = f" ({self.result})" if self.result else ""
        return f"Operation complete in {total:g}ms{outcome}"


class Learning(Run):
    """`ExecutionLogger.learning(pattern)`: MEMORY DETECT, MATCH (`match()`: the detection's time since
    DETECT), the timed `learn()` and `persist()` bodies, then COMPLETE with the total."""

    DEFAULT_DETAILS: ClassVar[Mapping[str, str]] = {
        "MATCH": "Pattern matched",
        "LEARN": "Pattern learned",
        "PERSIST": "Saved to long-term",
    }
    FAILED = "Learning failed"

    def __init__(self, logger: ExecutionLogger, pattern: object, details: str | None = None) -> None:
        self.pattern = str(pattern)
        super().__init__(logger, "MEMORY", "DETECT", details if details is not None else f"Pattern: {self.pattern}")

    def match(self, details: str | None = None, *, times: int | None = None) -> float:
        """MEMORY|MATCH|ms|SUCCESS; `times=4` writes "Pattern matched 4 times"."""
        text = details if details is not None or times is None else f"Pattern matched {times} times"
        return self.checkpoint("MATCH", text)

    def learn(self, details: str | None = None) -> AbstractContextManager[Operation]:
        """`with run.learn(): model.update(...)`: MEMORY|LEARN with the body's duration."""
        return self.step("LEARN", details)

    def persist(self, details: str | None = None) -> AbstractContextManager[Operation]:
        """`with run.persist(): store.save(...)`: MEMORY|PERSIST with the body's duration."""
        return self.step("PERSIST", details)

    def _complete_details(self, total: float) -> str:
        return f"Learning complete in {total:g}ms"


class ExecutionLogger:
    """Writes `timestamp|component|action|duration_ms|status|details` lines to `path` and rotates it
    into `path.1`, `path.2.gz`, ... (or `path.1.gz`, ... with `compress_first=True`).

    Rotation happens before a line would take the live file past `max_bytes` (0: never by size) or past
    `max_file_bytes`, the hard cap (None: none); while rotation fails, lines go on into the live file up
    to the cap and are dropped (counted in `dropped_lines`) past it. `backups` archives are kept (0: none),
    none older than `retention_days`. `from_config` takes all of these from the monitor's configuration.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = "execution.log",
        max_bytes: int = 100 * 1024 * 1024,
        backups: int = 7,
        compress: bool = True,
        retention_days: float | None = 7,
        alert_hook: Callable[[Alert], object] | None = None,
        clock: Callable[[], float] | None = None,
        *,
        compress_first: bool = False,
        multiprocess: bool = True,
        error_hook: Callable[[str], object] | None = None,
        compress_level: int | None = None,
        max_file_bytes: int | None = None,
    ) -> None:
        if not isinstance(max_bytes, int) or max_bytes < 0:
            raise ValueError(f"max_bytes must be a whole number of bytes >= 0 (0: never rotate), got {max_bytes!r}")
        if not isinstance(backups, int) or backups < 0:
            raise ValueError(f"backups must be a whole number >= 0 (0: keep no archive), got {backups!r}")
        if max_file_bytes is not None and (not isinstance(max_file_bytes, int) or max_file_bytes < 1):
            raise ValueError(f"max_file_bytes must be a whole number of bytes >= 1 or None, got {max_file_bytes!r}")
        if retention_days is not None and (not isinstance(retention_days, (int, float)) or retention_days < 0):
            raise ValueError(f"retention_days must be a number of days >= 0 or None, got {retention_days!r}")
        self.path = os.path.abspath(os.fspath(path))
        self.max_bytes = max_bytes
        self.backups = backups
        # The hard cap (SAFEGUARDS.log_overflow): the live file rotates before a line would pass it, and
        # while rotation is failing a line that would pass it is dropped (counted) instead of written.
        self.max_file_bytes = max_file_bytes
        self._rotate_at = max_bytes if max_file_bytes is None or 0 < max_bytes <= max_file_bytes else max_file_bytes
        self.compress = compress
        self.compress_first = compress_first
        self.retention_s = retention_days * 86400.0 if retention_days else None
        self.multiprocess = multiprocess
        self.compress_level = compress_level
        self._alert_hook = alert_hook
        self._error_hook = error_hook or _report_to_stderr
        self._clock = clock or time.time
        # Durations of `timed` and `bootstrap` follow an injected clock, so a scripted demo is repeatable.
        self._timer = clock or time.perf_counter
        self._format_ts = TimestampFormatter()
        # The newest ERRORS_KEPT messages reported (newest last); error_count counts every one of them,
        # dropped_lines the lines not written (a full disk, a bad clock reading).
        self.errors: deque[str] = deque(maxlen=ERRORS_KEPT)
        self.error_count = 0
        self.dropped_lines = 0
        self._report_lock = threading.Lock()
        self._hook_quiet_until = 0.0
        self._suppressed = 0
        self._dropped_in_burst = 0

        self._closed = False
        self._fd = -1
        self._lock_fd = -1
        self._gen_map: mmap.mmap | None = None
        self._cv = threading.Condition()
        self._requests = 0
        self._served = 0
        self._compressor: threading.Thread | None = None
        self._open_files()
        self._recover()
        # Weak references: the hooks must not keep a logger alive that its owner has dropped.
        ref = weakref.ref(self)

        def after_fork_in_child() -> None:
            logger = ref()
            if logger is not None:
                logger._after_fork()

        def close_at_exit() -> None:
            logger = ref()
            if logger is not None:
                logger.close()

        os.register_at_fork(after_in_child=after_fork_in_child)
        atexit.register(close_at_exit)

    @classmethod
    def from_config(
        cls,
        path: str | os.PathLike[str] = "execution.log",
        config: Config | str | os.PathLike[str] | None = None,
        *,
        alert_hook: Callable[[Alert], object] | None = None,
        clock: Callable[[], float] | None = None,
        compress_first: bool = False,
        multiprocess: bool = True,
        error_hook: Callable[[str], object] | None = None,
        compress_level: int | None = None,
    ) -> ExecutionLogger:
        """A logger for `path` whose rotation, compression, retention and file cap are the monitor's own
        configuration (SPEC section 8; see `config_options`). `config` is a `Config`, the path of a YAML
        file (read with the monitor's loader: a bad file raises its ConfigError, with file, line and key),
        or None for the seed's defaults. The other arguments are the constructor's."""
        return cls(
            path,
            alert_hook=alert_hook,
            clock=clock,
            compress_first=compress_first,
            multiprocess=multiprocess,
            error_hook=error_hook,
            compress_level=compress_level,
            **config_options(config),
        )

    # ----------------------------------------------------------------- files and locks

    def _open_files(self) -> None:
        self._tlock = threading.Lock()
        self._lock_fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            if os.fstat(self._lock_fd).st_size < _LOCK_BYTES:
                os.ftruncate(self._lock_fd, _LOCK_BYTES)
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        self._gen_map = mmap.mmap(self._lock_fd, _LOCK_BYTES)
        self._gen = -1
        self._size = 0
        self._rotate_retry_at = 0.0
        self._next_retention = time.monotonic() + _RETENTION_CHECK_S

    def _read_gen(self) -> int:
        assert self._gen_map is not None
        return int.from_bytes(self._gen_map[:_GEN_BYTES], "little")

    def _torn(self) -> bool:
        assert self._gen_map is not None
        return self._gen_map[_TORN_AT] != 0

    def _set_torn(self, torn: bool) -> None:
        assert self._gen_map is not None
        self._gen_map[_TORN_AT] = 1 if torn else 0

    def _bump_gen(self) -> None:
        assert self._gen_map is not None
        self._gen_map[:_GEN_BYTES] = ((self._read_gen() + 1) & 0xFFFFFFFFFFFFFFFF).to_bytes(_GEN_BYTES, "little")

    def _reopen(self) -> None:
        """Open the live file as it is now; called with the lock file held (shared or exclusive)."""
        if self._fd >= 0:
            os.close(self._fd)
        self._gen = self._read_gen()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._size = os.fstat(self._fd).st_size

    @contextmanager
    def _exclusive(self, lock_fd: int) -> Iterator[None]:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_fd, fcntl.LOCK_UN)

    def _recover(self) -> None:
        """On start: remove orphaned temporary files, settle duplicate archives, apply retention, end a
        line that a killed writer left half-written, and resume any compression left undone."""
        with self._exclusive(self._lock_fd):
            slots, tmps = rotation.scan(self.path)
            rotation.remove_orphan_tmps(tmps)
            rotation.resolve_duplicates(self.path, slots)
            rotation.expire(self.path, slots, self.backups, self.retention_s, time.time())
            self._reopen()
            if self._size > 0 and self._last_byte() != b"\n":
                # Without this, the next line would be glued to the torn one and lost with it. On a
                # full disk the flag makes the first line written end it instead.
                self._set_torn(True)
                try:
                    self._size += self._write(b"")
                except OSError:
                    pass
            elif self._torn():
                self._set_torn(False)  # a stale flag: the file ends whole (an archive took the fragment)
        self._request_compression()

    def _last_byte(self) -> bytes:
        with open(self.path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1)

    def _after_fork(self) -> None:
        """In a forked child: the descriptors are shared with the parent (and so are its flock locks),
        and the compressor thread does not exist here. Open our own."""
        if self._closed:
            return
        self._compressor = None
        self._cv = threading.Condition()
        self._requests = self._served = 0
        for fd in (self._fd, self._lock_fd):
            if fd >= 0:
                os.close(fd)  # our copies only: the parent's flock stays with its own descriptors
        if self._gen_map is not None:
            self._gen_map.close()
        self._fd = -1
        self._open_files()
        with self._exclusive(self._lock_fd):
            self._reopen()

    # ----------------------------------------------------------------- writing

    def log(
        self,
        component: str,
        action: str,
        duration_ms: float,
        status: str,
        details: object = "",
        level: str = "INFO",
    ) -> None:
        """Write one line. `level` is not written: ERROR and CRITICAL call the alert hook."""
        self.log_at(self._clock(), component, action, duration_ms, status, details, level)

    def log_at(
        self,
        epoch_seconds: float,
        component: str,
        action: str,
        duration_ms: float,
        status: str,
        details: object = "",
        level: str = "INFO",
    ) -> None:
        """`log` with the line's time given (a `logging` record's creation time, a replayed entry)."""
        comp = check_token("component", component)
        act = check_token("action", action)
        stat = check_token("status", status)
        lvl = level.upper() if isinstance(level, str) else level
        if lvl not in LOG_LEVELS:
            raise ValueError(f"level must be one of {', '.join(sorted(LOG_LEVELS))}, got {level!r}")
        dur = format_duration(duration_ms)
        text = escape_details(details)
        try:
            ts = self._format_ts(epoch_seconds)
        except ValueError as exc:
            # A broken clock is the environment's fault, like a full disk: counted, not raised.
            with self._tlock:
                self.dropped_lines += 1
                self._dropped_in_burst += 1
            self._report(f"{exc}; line dropped")
            return
        self._emit(encode_line(f"{ts}|{comp}|{act}|{dur}|{stat}|{text}\n"))
        if lvl in ALERT_LEVELS and self._alert_hook is not None:
            try:
                self._alert_hook(Alert(ts, lvl, comp, act, dur, stat, text))
            except Exception as exc:  # an alert channel failing must not take the service down
                self._report(f"alert hook failed: {type(exc).__name__}: {exc}")

    def _emit(self, data: bytes) -> None:
        n = len(data)
        with self._tlock:
            if self._closed:
                raise ValueError(f"ExecutionLogger for {self.path} is closed")
            try:
                if self.retention_s is not None and time.monotonic() >= self._next_retention:
                    # Age retention also holds for a service that writes too little to ever rotate.
                    self._next_retention = time.monotonic() + _RETENTION_CHECK_S
                    self._expire_now()
                if self.multiprocess:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_SH)
                    try:
                        if self._read_gen() != self._gen:
                            self._reopen()  # another process rotated
                        if not self._needs_rotation(n):
                            self._write(data)
                            self._size = os.lseek(self._fd, 0, os.SEEK_CUR)
                            if self._dropped_in_burst:
                                self._resumed()
                            return
                    finally:
                        fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                elif not self._needs_rotation(n):
                    self._size += self._write(data)
                    if self._dropped_in_burst:
                        self._resumed()
                    return
                self._rotate_and_write(data)
                if self._dropped_in_burst:
                    self._resumed()
            except OSError as exc:
                self.dropped_lines += 1
                self._dropped_in_burst += 1
                self._report(f"could not write to {self.path}: {exc.strerror or exc}; line dropped")

    def _needs_rotation(self, n: int) -> bool:
        """Whether a line of `n` bytes must rotate the file first. OSError(EFBIG) when it cannot be
        written at all: it would pass `max_file_bytes` while rotation waits for its retry."""
        at = self._rotate_at
        if at <= 0 or self._size <= 0 or self._size + n <= at:
            return False
        if time.monotonic() >= self._rotate_retry_at:
            return True
        self._check_cap(n)
        return False

    def _check_cap(self, n: int) -> None:
        cap = self.max_file_bytes
        if cap is not None and self._size > 0 and self._size + n > cap:
            raise OSError(errno.EFBIG, f"the file is at its {cap:,}-byte limit (max_file_bytes) and cannot rotate")

    def _write(self, data: bytes) -> int:
        """One line, whole. A short write (a full disk) is continued; if the rest cannot be written,
        the file ends in a fragment, and the flag in the lock file says so: the next line written, by
        any process, starts with a newline, so the fragment stays one bad line of its own and the lines
        after it are whole (a blank line, at worst, where two writers both end it)."""
        prefixed = self._torn()
        if prefixed:
            data = b"\n" + data
        done = 0
        try:
            done = os.write(self._fd, data)
            while done < len(data):  # only on a full disk or a signal; finish the line rather than tear it
                n = os.write(self._fd, data[done:])
                if n <= 0:  # pragma: no cover - a regular file either writes or raises
                    raise OSError(errno.EIO, "short write")
                done += n
        except OSError:
            if prefixed and done == 1:
                self._set_torn(False)  # the fragment got its newline; only this line is lost
            elif done > 0:
                self._set_torn(True)
            raise
        if prefixed:
            self._set_torn(False)
        return done

    def _rotate_and_write(self, data: bytes) -> None:
        with self._exclusive(self._lock_fd):
            if self._read_gen() != self._gen:
                self._reopen()
            self._size = os.fstat(self._fd).st_size  # exact: nobody writes while we hold it exclusively
            if self._needs_rotation(len(data)):
                try:
                    # The ROTATE line takes the time of the line that triggered it: no extra clock
                    # reading (a scripted clock stays in step) and the new file stays in time order.
                    self._rotate_locked(data[: data.index(b"|")].decode())
                except OSError as exc:
                    self._rotate_retry_at = time.monotonic() + _ROTATION_RETRY_S
                    cap = self.max_file_bytes
                    blocked = cap is not None and self._size + len(data) > cap
                    then = "dropping lines past max_file_bytes" if blocked else "still writing to it"
                    self._report(f"rotation of {self.path} failed: {exc}; {then}")
                    self._check_cap(len(data))
            self._write(data)
            self._size = os.fstat(self._fd).st_size
        self._request_compression()

    def _rotate_locked(self, ts: str | None = None) -> None:
        # The generation moves first: if this process dies anywhere below, the others reopen `path`
        # instead of writing on into a file that may have become an archive.
        self._bump_gen()
        slots, _ = rotation.scan(self.path)
        rotation.resolve_duplicates(self.path, slots)
        rotation.shift(self.path, slots, self.backups)
        os.rename(self.path, rotation.archive_path(self.path, 1, False))
        self._reopen()
        self._set_torn(False)  # a torn last line went into the archive; the new file starts clean
        if ts is None:
            ts = self._format_ts(self._clock())
        self._write(f"{ts}|SYSTEM|ROTATE|0|INFO|{ROTATE_DETAILS}\n".encode())
        slots, _ = rotation.scan(self.path)
        rotation.expire(self.path, slots, self.backups, self.retention_s, time.time())

    def _expire_now(self) -> None:
        lock_fd = self._lock_fd
        with self._exclusive(lock_fd):
            slots, _ = rotation.scan(self.path)
            rotation.expire(self.path, slots, self.backups, self.retention_s, time.time())

    def rotate(self) -> None:
        """Rotate now, whatever the size (an empty live file is not rotated)."""
        with self._tlock, self._exclusive(self._lock_fd):
            if self._read_gen() != self._gen:
                self._reopen()
            if os.fstat(self._fd).st_size > 0:
                self._rotate_locked()
        self._request_compression()

    # ----------------------------------------------------------------- compression

    def _request_compression(self) -> None:
        if not self.compress:
            return
        with self._cv:
            self._requests += 1
            self._cv.notify_all()
            if self._compressor is None or not self._compressor.is_alive():
                self._compressor = threading.Thread(
                    target=self._compress_loop,
                    name=f"execlog-compress:{os.path.basename(self.path)}",
                    daemon=True,
                )
                self._compressor.start()

    def _compress_loop(self) -> None:
        # A separate descriptor for the lock file: flock locks belong to an open file description, and
        # sharing the writers' one would let this thread's LOCK_EX silently convert their LOCK_SH.
        lock_fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                with self._cv:
                    while self._served >= self._requests:
                        if self._closed:
                            return
                        self._cv.wait()
                    target = self._requests
                try:
                    self._compress_pass(lock_fd)
                except OSError as exc:
                    self._report(f"compression pass on {self.path} failed: {exc}")
                with self._cv:
                    self._served = target
                    self._cv.notify_all()
        finally:
            os.close(lock_fd)

    def _compress_pass(self, lock_fd: int) -> None:
        first = 1 if self.compress_first else 2
        skip: set[int] = set()
        while True:
            with self._exclusive(lock_fd):
                claim = rotation.claim_next(self.path, first, skip)
            if claim is None:
                return
            try:
                rotation.compress_into(claim, self.compress_level)
            except OSError as exc:
                rotation.release(claim, remove_tmp=True)
                src = rotation.archive_path(self.path, claim.index, False)
                self._report(f"compression of {src} failed: {exc.strerror or exc}; kept it uncompressed")
                try:
                    self.log(
                        "SYSTEM",
                        "COMPRESS",
                        0,
                        "WARNING",
                        f"Compression of {os.path.basename(src)} failed, kept uncompressed: {exc.strerror or exc}",
                    )
                except (ValueError, OSError):
                    pass
                return  # a full disk will not be emptier for the next archive; retry at the next rotation
            with self._exclusive(lock_fd):
                try:
                    rotation.commit(self.path, claim)
                finally:
                    rotation.release(claim, remove_tmp=False)

    def wait_compressed(self, timeout: float = 60.0) -> bool:
        """Block until every compression requested so far has been attempted (tests, shutdown)."""
        with self._cv:
            return self._cv.wait_for(
                lambda: self._served >= self._requests or self._compressor is None or not self._compressor.is_alive(),
                timeout,
            )

    # ----------------------------------------------------------------- helpers of the seed's critical paths

    @contextmanager
    def timed(self, component: str, action: str, details: str = "", status: str = "SUCCESS") -> Iterator[Operation]:
        """Time the body: SUCCESS with its duration, or FAILURE (level ERROR) with the exception's
        message, which is then re-raised. The body may change `op.status`, `op.details`, `op.level`."""
        check_token("component", component)
        check_token("action", action)
        op = Operation(status=status, details=details)
        start = self._timer()
        try:
            yield op
        except BaseException as exc:
            ms = _elapsed_ms(start, self._timer())
            self.log(component, action, ms, "FAILURE", _describe(exc), level="ERROR")
            raise
        ms = _elapsed_ms(start, self._timer())
        self.log(component, action, ms, op.status, op.details, level=op.level)

    def bootstrap(self, details: str | None = None) -> Bootstrap:
        """Start the bootstrap sequence (writes BOOTSTRAP|START); use as a context manager."""
        return Bootstrap(self, details)

    def lookup(self, key: object, details: str | None = None) -> Lookup:
        """Start a cache lookup of `key` (writes CACHE|LOOKUP|0|INFO|Looking for KEY); use as a context
        manager: `op.hit()` or `op.miss()`, on a miss `with op.fetch(): ...` and `with op.update(): ...`."""
        return Lookup(self, key, details)

    def learning(self, pattern: object, details: str | None = None) -> Learning:
        """Start learning `pattern` (writes MEMORY|DETECT|0|INFO|Pattern: PATTERN); use as a context manager:
        `run.match(times=4)`, `with run.learn(): ...`, `with run.persist(): ...`."""
        return Learning(self, pattern, details)

    def run(self, component: str, first: str = "START", details: str | None = None, *, last: str = "COMPLETE") -> Run:
        """Start a run of a critical path of your own (CRITICAL_PATHS in the configuration): writes
        COMPONENT|FIRST|0|INFO; then `checkpoint()`, `step()`, and COMPLETE (`last`) on leaving the `with`."""
        return Run(self, component, first, details, last=last)

    # ----------------------------------------------------------------- lifecycle

    def _report(self, message: str) -> None:
        """Keep the message (bounded) and tell the error hook, at most once per HOOK_INTERVAL_S: a full
        disk fails every line, and a message per line would flood the hook (stderr by default)."""
        with self._report_lock:
            self.error_count += 1
            self.errors.append(message)
            now = time.monotonic()
            if now < self._hook_quiet_until:
                self._suppressed += 1
                return
            if self._suppressed:
                message += f" ({self._suppressed:,} more messages in the last {HOOK_INTERVAL_S:g}s)"
            self._suppressed = 0
            self._hook_quiet_until = now + HOOK_INTERVAL_S
        self._call_error_hook(message)

    def _resumed(self) -> None:
        """A line was written after a burst of dropped ones: one message ends the burst, with counts."""
        with self._report_lock:
            dropped, self._dropped_in_burst = self._dropped_in_burst, 0
            suppressed, self._suppressed = self._suppressed, 0
            self._hook_quiet_until = 0.0
        more = f"; {suppressed:,} messages not shown, last: {self.errors[-1]}" if suppressed and self.errors else ""
        self._call_error_hook(f"writing to {self.path} resumed after {dropped:,} dropped lines{more}")

    def _call_error_hook(self, message: str) -> None:
        try:
            self._error_hook(message)
        except Exception:
            pass

    def close(self) -> None:
        """Finish pending compression, then close the files. Idempotent."""
        with self._tlock:
            if self._closed:
                return
            self._closed = True
        with self._report_lock:
            suppressed, self._suppressed = self._suppressed, 0
        if suppressed and self.errors:
            self._call_error_hook(f"{suppressed:,} messages not shown, last: {self.errors[-1]}")
        with self._cv:
            self._cv.notify_all()  # the worker finishes what was requested, then sees _closed and ends
            worker = self._compressor
        if worker is not None and worker.is_alive() and worker is not threading.current_thread():
            worker.join()
        with self._tlock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
            if self._gen_map is not None:
                self._gen_map.close()
                self._gen_map = None
            if self._lock_fd >= 0:
                os.close(self._lock_fd)
                self._lock_fd = -1

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> ExecutionLogger:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        cap = f", max_file_bytes={self.max_file_bytes}" if self.max_file_bytes is not None else ""
        return f"ExecutionLogger({self.path!r}, max_bytes={self.max_bytes}, backups={self.backups}{cap})"
