"""The configuration model of SPEC section 8, with the seed's values as defaults.

Loading a YAML file into it lives in `config_file.py`; this module holds only the typed values and the
small grammar of the seed's notation (bands, conditions, breaker rules), so the engine can use them.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from execlog_tui.core.entry import KNOWN_COMPONENTS

BAND_NAMES = ("optimal", "acceptable", "warning", "error")
# The unit an alert condition's figure is written in (SPEC 7); None: a rate, written without one.
CONDITION_UNITS: dict[str, str | None] = {
    "error_rate": "%",
    "cache_hit_rate": "%",
    "memory_usage": "MB",
    "response_time": "ms",
    "bootstrap": "ms",
    "p95_response_time": "ms",
    "requests_per_second": None,
}

_BAND_RE = re.compile(
    r"\s*(?:(?P<op><=|>=|<|>)\s*(?P<v>[0-9]+(?:\.[0-9]+)?)|(?P<lo>[0-9]+(?:\.[0-9]+)?)\s*-\s*(?P<hi>[0-9]+(?:\.[0-9]+)?))"
    r"\s*(?P<unit>ms|%|MB)?\s*"
)
_CONDITION_RE = re.compile(
    r"\s*(?P<name>[a-z_][a-z0-9_]*)\s*(?P<op>>=|<=|>|<)\s*(?P<v>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>ms|%|MB)?\s*"
)
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
# Which figure of the 1m window each condition or band name reads (SPEC sections 5 and 7).
FIGURE_OF = {
    "error_rate": "error_rate",
    "cache_hit_rate": "cache_hit_rate",
    "memory_usage": "memory_mb",
    "response_time": "avg_response_ms",
    "bootstrap": "bootstrap_ms",
    "requests_per_second": "requests_per_second",
    "p95_response_time": "p95_response_ms",
}


class NotationError(ValueError):
    """A value that does not fit the seed's notation; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class BandRule:
    """One band's condition as written: `< N`, `> N`, `<= N`, `>= N` or `N-M` (both ends included)."""

    text: str
    op: str  # one of < > <= >= or "-" for a range
    low: float
    high: float
    unit: str | None

    def holds(self, value: float) -> bool:
        if self.op == "-":
            return self.low <= value <= self.high
        return _OPS[self.op](value, self.low)

    @classmethod
    def parse(cls, text: str) -> BandRule:
        m = _BAND_RE.fullmatch(str(text))
        if m is None:
            raise NotationError(f"a band like '< 250ms', '250-300ms' or '> 85%', got {text!r}")
        if m.group("op"):
            v = float(m.group("v"))
            return cls(str(text), m.group("op"), v, v, m.group("unit"))
        lo, hi = float(m.group("lo")), float(m.group("hi"))
        if lo > hi:
            raise NotationError(f"a range with its low end first, got {text!r}")
        return cls(str(text), "-", lo, hi, m.group("unit"))


@dataclass(frozen=True, slots=True)
class Bands:
    """Four band rules; a value takes the first that holds, in order, and `error` when none does."""

    optimal: BandRule
    acceptable: BandRule
    warning: BandRule
    error: BandRule

    def classify(self, value: float | None) -> str | None:
        if value is None:
            return None
        for name in BAND_NAMES:
            if getattr(self, name).holds(value):
                return name
        return "error"

    @classmethod
    def of(cls, optimal: str, acceptable: str, warning: str, error: str) -> Bands:
        return cls(*(BandRule.parse(t) for t in (optimal, acceptable, warning, error)))


@dataclass(frozen=True, slots=True)
class Condition:
    """An alert condition `NAME OP VALUE[unit]` on a figure of the 1m window."""

    text: str
    name: str
    op: str
    value: float
    unit: str | None

    @property
    def figure(self) -> str:
        return FIGURE_OF[self.name]

    def holds(self, value: float | None) -> bool:
        return value is not None and _OPS[self.op](value, self.value)

    @classmethod
    def parse(cls, text: str) -> Condition:
        m = _CONDITION_RE.fullmatch(str(text))
        if m is None:
            raise NotationError(f"a condition like 'error_rate > 5%', got {text!r}")
        if m.group("name") not in FIGURE_OF:
            raise NotationError(f"a condition on one of {', '.join(sorted(FIGURE_OF))}, got {m.group('name')!r}")
        return cls(" ".join(str(text).split()), m.group("name"), m.group("op"), float(m.group("v")), m.group("unit"))


def default_thresholds() -> dict[str, Bands]:
    return {
        "bootstrap": Bands.of("< 250ms", "250-300ms", "300-400ms", "> 400ms"),
        "cache_hit_rate": Bands.of("> 85%", "80-85%", "70-80%", "< 70%"),
        "memory_usage": Bands.of("< 50MB", "50-80MB", "80-100MB", "> 100MB"),
        "response_time": Bands.of("< 50ms", "50-100ms", "100-200ms", "> 200ms"),
    }


def default_conditions() -> tuple[Condition, ...]:
    return tuple(
        Condition.parse(t)
        for t in ("error_rate > 5%", "cache_hit_rate < 70%", "memory_usage > 100MB", "response_time > 200ms")
    )


@dataclass(frozen=True, slots=True)
class LogConfig:
    max_size_bytes: int = 100 * 1024 * 1024
    rotation_files: int = 7
    compression: str = "gzip_rotated"
    retention_days: int = 7
    components: tuple[str, ...] = KNOWN_COMPONENTS
    # An entry dated more than this ahead of the wall clock moves no clock (SPEC 3, `max_future`).
    max_future_ms: int = 5 * 60 * 1000


@dataclass(frozen=True, slots=True)
class BreakerRules:
    """The seed's transitions: `3 failures in 10 seconds` to open, `After 30 seconds` to test."""

    failures: int = 3
    window_s: float = 10.0
    half_open_after_s: float = 30.0


@dataclass(frozen=True, slots=True)
class MonitoringConfig:
    conditions: tuple[Condition, ...] = field(default_factory=default_conditions)
    channels: tuple[str, ...] = ("console", "log_file", "monitoring_dashboard")
    alert_log: str | None = None  # path of the alert log (channel log_file); None: no file is written
    max_components: int = 1000  # SPEC 4: distinct components tracked before the rest fold into OTHER


@dataclass(frozen=True, slots=True)
class Safeguards:
    memory_limit_mb: float = 100.0  # the monitor's own RSS limit (per session)
    degraded_below_hit_rate: float = 60.0  # graceful_degradation trigger: `Cache < 60% hit rate`
    log_file_limit_bytes: int = 100 * 1024 * 1024


# SPEC 10: a checkpoint whose configured name differs from the actions that writers log for it.
HIT_MISS = "HIT_MISS"  # the checkpoint whose actions are HIT and MISS (its hits and misses are counted)
CHECKPOINT_ACTIONS: dict[str, tuple[str, ...]] = {HIT_MISS: ("HIT", "MISS"), "VALIDATION": ("VALIDATION", "VALIDATE")}
BOOTSTRAP_PATH = "bootstrap"
BOOTSTRAP_TIMEOUT_MS = 30_000  # SPEC 10: a path named bootstrap without a timeout has 30 seconds


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One checkpoint of a critical path, reported under its configured `name` (SPEC 10)."""

    name: str
    description: str = ""

    @property
    def actions(self) -> tuple[str, ...]:
        """The actions (upper case) of the path's component that match it."""
        key = self.name.upper()
        return CHECKPOINT_ACTIONS.get(key, (key,))


@dataclass(frozen=True, slots=True)
class CriticalPath:
    """A configured critical path (SPEC 10): the checkpoints, in order, of one component's runs."""

    name: str
    component: str  # upper case, as the engine sees components
    checkpoints: tuple[Checkpoint, ...]
    timeout_ms: int | None = None  # the effective timeout: bootstrap's default already applied

    @classmethod
    def of(
        cls,
        name: str,
        component: str,
        checkpoints: tuple[str, ...],
        timeout_ms: int | None = None,
        descriptions: tuple[str, ...] = (),
    ) -> CriticalPath:
        """A path as configured; a path named bootstrap without a timeout gets 30 seconds (SPEC 10)."""
        if timeout_ms is None and name == BOOTSTRAP_PATH:
            timeout_ms = BOOTSTRAP_TIMEOUT_MS
        described = descriptions + ("",) * (len(checkpoints) - len(descriptions))
        return cls(
            name,
            component.upper(),
            tuple(Checkpoint(c, d) for c, d in zip(checkpoints, described, strict=False)),
            timeout_ms,
        )


_SEED_PATHS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "bootstrap",
        "BOOTSTRAP",
        (
            ("START", "Bootstrap initiated"),
            ("CORE", "Core identity loaded"),
            ("PARALLEL", "Parallel threads complete"),
            ("VALIDATION", "Validation passed"),
            ("COMPLETE", "System ready"),
        ),
    ),
    (
        "cache_operations",
        "CACHE",
        (
            ("LOOKUP", "Cache lookup initiated"),
            ("HIT_MISS", "Cache hit/miss determined"),
            ("FETCH", "Fetching from source"),
            ("UPDATE", "Updating cache tiers"),
            ("COMPLETE", "Operation complete"),
        ),
    ),
    (
        "memory_learning",
        "MEMORY",
        (
            ("DETECT", "Pattern detection started"),
            ("MATCH", "Pattern matched"),
            ("LEARN", "Learning initiated"),
            ("PERSIST", "Persisted to storage"),
            ("COMPLETE", "Learning complete"),
        ),
    ),
)


def default_critical_paths() -> tuple[CriticalPath, ...]:
    """The seed's three paths, with the seed's descriptions."""
    return tuple(
        CriticalPath.of(name, component, tuple(c for c, _ in cps), None, tuple(d for _, d in cps))
        for name, component, cps in _SEED_PATHS
    )


@dataclass(frozen=True, slots=True)
class Config:
    log: LogConfig = field(default_factory=LogConfig)
    thresholds: dict[str, Bands] = field(default_factory=default_thresholds)
    monitoring: MonitoringConfig = field(default_factory=MonitoringConfig)
    breaker: BreakerRules = field(default_factory=BreakerRules)
    safeguards: Safeguards = field(default_factory=Safeguards)
    critical_paths: tuple[CriticalPath, ...] = field(default_factory=default_critical_paths)
    source: str | None = None  # the file it came from, None for the defaults
