"""The parsed form of one log line, and the status vocabularies of SPEC section 1 and 4."""

from __future__ import annotations

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


def is_error(status: str) -> bool:
    return status in ERROR_STATUSES


def is_completed(component: str, status: str) -> bool:
    return status in COMPLETION_STATUSES and component != "BOOTSTRAP"
