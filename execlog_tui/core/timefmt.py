"""Timestamps: SPEC section 1's grammar to epoch milliseconds, and back to ISO 8601 with `Z`."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime

from execlog_tui.core import grammar

# SPEC 1's timestamp (core/grammar.py), with a group for each of its date and time fields.
TIMESTAMP_RE = re.compile(
    grammar.TIMESTAMP_SECOND.replace("[0-9]{4}", "([0-9]{4})").replace("[0-9]{2}", "([0-9]{2})")
    + rf"(?:\.([0-9]{{1,{grammar.TIMESTAMP_FRACTION_DIGITS}}}))?({grammar.TIMESTAMP_ZONE})?"
)
_TIME_OF_DAY_RE = re.compile(r"([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?")

# The UTC instants a timestamp may denote (SPEC 1: years 0001-9999), in epoch milliseconds. Dates
# before 1970 are negative, and ordinary.
MIN_TS_MS = calendar.timegm((grammar.TIMESTAMP_YEAR_MIN, 1, 1, 0, 0, 0, 0, 0, 0)) * 1000
MAX_TS_MS = calendar.timegm((grammar.TIMESTAMP_YEAR_MAX, 12, 31, 23, 59, 59, 0, 0, 0)) * 1000 + 999

# 'YYYY-MM-DDTHH:MM:SS' -> epoch seconds (or None when impossible). Log lines share their second
# with thousands of neighbours, so this cache turns date validation into one dict lookup per line.
_SECOND_CACHE: dict[str, int | None] = {}
_MISSING = object()  # not cached yet (every int, negative ones too, is an epoch second)


def _epoch_seconds(prefix: str) -> int | None:
    cached = _SECOND_CACHE.get(prefix, _MISSING)
    if cached is not _MISSING:
        return cached  # type: ignore[return-value]  # an int or None: what was stored
    try:
        y, mo, d = int(prefix[0:4]), int(prefix[5:7]), int(prefix[8:10])
        h, mi, s = int(prefix[11:13]), int(prefix[14:16]), int(prefix[17:19])
        if h > 23 or mi > 59 or s > 59 or not grammar.TIMESTAMP_YEAR_MIN <= y <= grammar.TIMESTAMP_YEAR_MAX:
            value: int | None = None
        else:
            datetime(y, mo, d)  # validates the day of the month
            value = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    except ValueError:
        value = None
    if len(_SECOND_CACHE) > 200_000:
        _SECOND_CACHE.clear()
    _SECOND_CACHE[prefix] = value
    return value


def offset_ms(zone: str | None) -> int | None:
    """Milliseconds to subtract from local time to get UTC; None for an impossible offset."""
    if not zone or zone == "Z":
        return 0
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    if hours > 23 or minutes > 59:
        return None
    sign = 1 if zone[0] == "+" else -1
    return sign * (hours * 3600 + minutes * 60) * 1000


def parse_timestamp(text: str) -> int | None:
    """Epoch milliseconds for a SPEC section 1 timestamp, or None when it is not one."""
    m = TIMESTAMP_RE.fullmatch(text)
    if m is None:
        return None
    return timestamp_from_match(text[:19], m.group(7), m.group(8))


def timestamp_from_match(prefix: str, fraction: str | None, zone: str | None) -> int | None:
    seconds = _epoch_seconds(prefix)
    if seconds is None:
        return None
    ms = seconds * 1000
    if fraction:
        ms += int((fraction + "00")[:3])  # finer than a millisecond is truncated
    if zone and zone != "Z":
        off = offset_ms(zone)
        if off is None:
            return None
        ms -= off
        if not in_range(ms):
            return None  # the written date is in range, its UTC instant is not (SPEC 1)
    return ms


def in_range(ms: int) -> bool:
    """Whether `ms` is an instant a timestamp may denote (SPEC 1's years 0001-9999, in UTC)."""
    return MIN_TS_MS <= ms <= MAX_TS_MS


def format_ts(ms: int | None) -> str | None:
    """ISO 8601, UTC, milliseconds and `Z` (SPEC section 9); years 0001-9999 (what the parser accepts)."""
    if ms is None:
        return None
    seconds, millis = divmod(ms, 1000)
    return time_struct_prefix(seconds) + f".{millis:03d}Z"


def time_struct_prefix(seconds: int) -> str:
    # isoformat, not strftime: %Y does not pad years before 1000 to four digits on every platform.
    return datetime.fromtimestamp(seconds, tz=UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def format_time_of_day(ms: int | None) -> str:
    if ms is None:
        return "--:--:--"
    seconds, millis = divmod(ms, 1000)
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%H:%M:%S") + f".{millis:03d}"


def parse_user_time(text: str, reference_ms: int | None) -> int:
    """A time given on the command line: an ISO timestamp, or a time of day on the date of
    `reference_ms` (the set's newest entry). UTC unless a zone is given. Raises ValueError."""
    text = text.strip()
    full = parse_timestamp(text)
    if full is not None:
        return full
    m = TIMESTAMP_RE.fullmatch(text.replace(" ", "T", 1))
    if m is not None:
        raise ValueError(
            f"impossible date, time or offset: {text!r} (the date and its UTC instant must be in the years"
            f" {grammar.TIMESTAMP_YEAR_MIN:04d}-{grammar.TIMESTAMP_YEAR_MAX})"
        )
    m = _TIME_OF_DAY_RE.fullmatch(text)
    if m is None:
        raise ValueError(f"not a time: {text!r} (expected YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM] or HH:MM[:SS[.fff]])")
    if reference_ms is None:
        raise ValueError(f"a time of day ({text!r}) needs a log with at least one entry to give its date")
    h, mi = int(m.group(1)), int(m.group(2))
    s = int(m.group(3) or 0)
    if h > 23 or mi > 59 or s > 59:
        raise ValueError(f"impossible time of day: {text!r}")
    day_start = reference_ms - reference_ms % 86_400_000
    ms = day_start + ((h * 60 + mi) * 60 + s) * 1000
    if m.group(4):
        ms += int((m.group(4) + "00")[:3])
    return ms
