"""One execution-log line (SPEC section 1) from a writer's arguments: validation, escaping, timestamp."""

from __future__ import annotations

import math
import re
import time

from execlog_tui.core.timefmt import MAX_TS_MS, MIN_TS_MS

# A component, action or status is a token: non-empty, no white space, no '|' (it would shift the columns).
_TOKEN_RE = re.compile(r"[^|\s]+")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r"})

# The instants SPEC section 1 allows, 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z: the reader's.
MIN_EPOCH_MS = MIN_TS_MS
MAX_EPOCH_MS = MAX_TS_MS
# The longest duration_ms the writer writes: the span of those instants, about 10,000 years. No operation
# timed by a clock inside the format's calendar lasts longer, and so every written duration is exact to
# the millisecond as a float (< 2**53) and a day's sum of them cannot overflow (the reader takes up to
# 308 digits, where three durations near 1e308 already overflow a sum to infinity: issue 13).
MAX_DURATION_MS = MAX_EPOCH_MS - MIN_EPOCH_MS


def check_token(name: str, value: object) -> str:
    """`value` upper-cased if it is a valid token; ValueError naming the column otherwise."""
    if not isinstance(value, str) or _TOKEN_RE.fullmatch(value) is None:
        raise ValueError(f"{name} must be a non-empty word without spaces or '|', got {value!r}")
    return value.upper()


def format_duration(value: object) -> str:
    """Milliseconds as SPEC section 1 allows them: digits, optionally '.' and digits, never negative,
    and at most MAX_DURATION_MS (see there). ValueError otherwise, as for any other bad argument."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"duration_ms must be a number of milliseconds, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"duration_ms must not be negative, got {value!r}")
        if value > MAX_DURATION_MS:
            raise ValueError(f"duration_ms must be at most {MAX_DURATION_MS} (10,000 years), got {value!r}")
        return str(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"duration_ms must be a finite, non-negative number, got {value!r}")
    if value > MAX_DURATION_MS:
        raise ValueError(f"duration_ms must be at most {MAX_DURATION_MS} (10,000 years), got {value!r}")
    if value.is_integer():
        return str(int(value))
    # Fixed notation: repr() would give '1e-05', which the grammar refuses.
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text


def clamp_duration(ms: float) -> float:
    """A measured duration as `format_duration` takes it: a clock stepping back is 0, a clock jumping
    past the calendar (an injected one) is MAX_DURATION_MS, NaN is 0. For durations the writer measures
    itself: a broken clock must not raise out of a service's `with` block."""
    if ms >= 0:
        return ms if ms <= MAX_DURATION_MS else float(MAX_DURATION_MS)
    return 0.0  # negative, or NaN (every comparison with NaN is false)


def escape_details(details: object) -> str:
    """SPEC section 1: a newline is written as `\\n` and a backslash as `\\\\` (and CR as `\\r`)."""
    text = details if isinstance(details, str) else str(details)
    if "\\" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


def encode_line(line: str) -> bytes:
    """A line as UTF-8. A surrogate (a lone one, or a byte that `surrogateescape` smuggled in from a
    file name) has no UTF-8 form: it is written as its escape, `\\udcff` (details' backslashes are
    escaped, so this cannot be confused with text). The common case costs one `encode`."""
    try:
        return line.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", line).encode("utf-8")


class TimestampFormatter:
    """Epoch seconds to `YYYY-MM-DDTHH:MM:SS.mmmZ`, caching the second: neighbours share it."""

    __slots__ = ("_second", "_prefix")

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, epoch_seconds: float) -> str:
        """ValueError for a time outside the years 0001-9999 (a line the readers would refuse)."""
        if not isinstance(epoch_seconds, (int, float)) or not math.isfinite(epoch_seconds):
            raise ValueError(f"clock reading {epoch_seconds!r} is not a time")
        # Rounded to the millisecond: an injected clock stepping by 0.001 s accumulates float error,
        # and truncation would turn 10.003 into 10.002.
        ms = math.floor(epoch_seconds * 1000.0 + 0.5)
        if not MIN_EPOCH_MS <= ms <= MAX_EPOCH_MS:
            raise ValueError(f"clock reading {epoch_seconds!r} is outside the years 0001-9999")
        second, millis = divmod(ms, 1000)
        if second != self._second:
            t = time.gmtime(second)
            # Not strftime: glibc writes the year 1 as '1', not '0001'.
            self._prefix = (
                f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
            )
            self._second = second
        return f"{self._prefix}.{millis:03d}Z"
