"""The parsed form of one log line, and the status vocabularies of SPEC section 1 and 4."""

from __future__ import annotations

import re
from typing import NamedTuple

# The status vocabularies live with the rest of the line grammar (core/grammar.py).
from execlog_tui.core.grammar import COMPLETION_STATUSES as COMPLETION_STATUSES
from execlog_tui.core.grammar import ERROR_STATUSES as ERROR_STATUSES
from execlog_tui.core.grammar import LEVELS as LEVELS
from execlog_tui.core.grammar import STATUS_CODES as STATUS_CODES

KNOWN_COMPONENTS = (
    "SYSTEM",
    "BOOTSTRAP",
    "CACHE",
    "MEMORY",
    "FAMILY",
    "ROUTING",
    "TEMPLATE",
    "API",
    "PERF",
    "SECURITY",
)


class Entry(NamedTuple):
    """One well-formed line.

    A NamedTuple rather than a frozen dataclass: it is built once per line on the hottest path, and a
    tuple is several times cheaper to create than a slotted frozen dataclass.
    """

    ts: int  # epoch milliseconds, UTC
    component: str  # upper case
    action: str  # upper case
    duration_ms: float
    status: str  # upper case
    details: str  # as written (after CRLF removal and the line limit)
    raw: str  # the line as read, for display
    cut: bool = False  # the line was longer than the line limit and was cut


class ParseError(NamedTuple):
    """A line that does not fit SPEC section 1: kept as raw text, counted, never in a metric."""

    raw: str
    reason: str
    cut: bool = False

    @property
    def ts(self) -> None:
        return None


# Which entries count toward which figure (SPEC 4): the one home of these rules. The engine counts with
# them and the evidence (execlog_tui/evidence.py) selects with them, so a figure and its evidence agree.
NOT_AN_OPERATION = "BOOTSTRAP"  # its entries are checkpoints of a run, never completed operations
CACHE = "CACHE"
CACHE_HIT, CACHE_MISS = "HIT", "MISS"
BOOTSTRAP_COMPLETE = ("BOOTSTRAP", "COMPLETE")  # the entry whose duration is the bootstrap figure
# A memory report: the last `rss_mb=`, `memory_mb=` or `mem_mb=` of an entry's details.
MEMORY_RE = re.compile(r"(?<![A-Za-z0-9_])(?:rss_mb|memory_mb|mem_mb)=([0-9]+(?:\.[0-9]+)?)")


def is_error(status: str) -> bool:
    return status in ERROR_STATUSES


def is_completed(component: str, status: str) -> bool:
    """A completed operation: a status code, ERROR or CRITICAL, of any component but BOOTSTRAP."""
    return status in COMPLETION_STATUSES and component != NOT_AN_OPERATION


def cache_result(component: str, action: str) -> str | None:
    """CACHE_HIT or CACHE_MISS for a cache lookup's outcome (the hit rate's terms), None otherwise."""
    if component == CACHE and action in (CACHE_HIT, CACHE_MISS):
        return action
    return None


def memory_figure(details: str) -> float | None:
    """The memory an entry reports (its last memory figure), None when it reports none."""
    if "_mb=" not in details:
        return None
    figures = MEMORY_RE.findall(details)
    return float(figures[-1]) if figures else None


def is_bootstrap_complete(component: str, action: str) -> bool:
    return (component, action) == BOOTSTRAP_COMPLETE
