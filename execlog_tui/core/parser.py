"""SPEC section 1: one line to an `Entry` or a `ParseError`, with a one-regex fast path."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

from execlog_tui.core import grammar
from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.timefmt import TIMESTAMP_RE, timestamp_from_match

SCAN_ABI = 5  # the C scanner's interface this package speaks (`_scan.ABI`, bumped with every change of it)
try:
    from execlog_tui import _scan as scan_extension

    if getattr(scan_extension, "ABI", None) != SCAN_ABI:  # an extension built from an older _scan.c
        scan_extension = None  # type: ignore[assignment]  # as if not built: the Python paths, same results
except ImportError:  # built without a C compiler: Python does everything
    scan_extension = None  # type: ignore[assignment]  # the module or None: mypy cannot type an optional extension

__all__ = ["SCAN_ABI", "scan_extension"]  # and the public names below, imported by name

LINE_LIMIT = 64 * 1024
CUT_MARKER = " [cut]"

# A well-formed line in one match: the timestamp's second, fraction and zone, then the five fields.
_SEP = re.escape(grammar.FIELD_SEP)
_TOKEN = rf"[^{_SEP}\s]+"
_FAST_RE = re.compile(
    rf"({grammar.TIMESTAMP_SECOND})(?:\.([0-9]{{1,{grammar.TIMESTAMP_FRACTION_DIGITS}}}))?({grammar.TIMESTAMP_ZONE})?"
    rf"{_SEP}({_TOKEN}){_SEP}({_TOKEN}){_SEP}({grammar.DURATION}){_SEP}({_TOKEN}){_SEP}(.*)",
    re.DOTALL,
)
_DURATION_RE = re.compile(grammar.DURATION)
_TOKEN_BAD_RE = re.compile(r"\s")

fast_match = _FAST_RE.fullmatch
_DURATION_SHAPE_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")  # the shape, without the grammar's digit bound

# Upper-cased component/action/status tokens, shared: a log has few distinct ones, and a ring of
# 100,000 entries would otherwise hold 300,000 small copies of the same strings.
_TOKENS: dict[str, str] = {}


def token(text: str) -> str:
    up = _TOKENS.get(text)
    if up is None:
        up = sys.intern(text.upper())
        if len(_TOKENS) < 50_000:
            _TOKENS[text] = up
    return up


def parse_line(line: str, cut: bool = False) -> Entry | ParseError | None:
    """Parse one line without its newline (a trailing CR is dropped here). None for a blank line."""
    if line.endswith("\r"):
        line = line[:-1]
    m = fast_match(line)
    if m is not None:
        prefix, fraction, zone, component, action, duration, status, details = m.groups()
        ts = timestamp_from_match(prefix, fraction, zone)
        if ts is not None:
            return Entry(ts, token(component), token(action), float(duration), token(status), details, line, cut)
    if not line.strip():
        return None
    return ParseError(line, _reason(line), cut)


def _reason(line: str) -> str:
    """Why a line is not an entry: the first rule of SPEC section 1 it breaks."""
    fields = line.split(grammar.FIELD_SEP, grammar.FIELDS - 1)
    if len(fields) < grammar.FIELDS:
        return f"expected {grammar.FIELDS} fields separated by '{grammar.FIELD_SEP}', found {len(fields)}"
    ts_text, component, action, duration, status, _details = fields
    m = TIMESTAMP_RE.fullmatch(ts_text)
    if m is None:
        return f"not a timestamp: {ts_text[:40]!r}"
    if timestamp_from_match(ts_text[:19], m.group(7), m.group(8)) is None:
        return (
            f"impossible date, time or offset: {ts_text[:40]!r} (the date and its UTC instant must be in the"
            f" years {grammar.TIMESTAMP_YEAR_MIN:04d}-{grammar.TIMESTAMP_YEAR_MAX})"
        )
    for name, value in (("component", component), ("action", action)):
        if not value:
            return f"empty {name}"
        if _TOKEN_BAD_RE.search(value):
            return f"{name} contains white space: {value[:40]!r}"
    if not _DURATION_RE.fullmatch(duration):
        if _DURATION_SHAPE_RE.fullmatch(duration):
            digits = len(duration.partition(".")[0])
            most = grammar.DURATION_MAX_INT_DIGITS
            return f"duration_ms is too large: {digits} digits before the point (at most {most})"
        return f"duration_ms is not a number of milliseconds: {duration[:40]!r}"
    if not status:
        return "empty status"
    if _TOKEN_BAD_RE.search(status):
        return f"status contains white space: {status[:40]!r}"
    return "malformed line"  # not reached for lines the fast path refused for a reason above


def entry_timestamps(lines: Sequence[str]) -> list[int | None]:
    """`line_timestamp` of each line: the C scanner's for the lines it is sure are entries (plain
    UTC ones, by far the most), Python's for the others."""
    if scan_extension is None:
        return [line_timestamp(line) for line in lines]
    out: list[int | None] = scan_extension.line_timestamps(lines)
    if None not in out:  # every line judged in C (a healthy log's tail): no step per line in Python
        return out
    for i, ts in enumerate(out):
        if ts is None:
            out[i] = line_timestamp(lines[i])
    return out


def line_timestamp(line: str) -> int | None:
    """The timestamp of a raw line when it is an entry; None for a blank line or a parse error."""
    m = fast_match(line)
    if m is not None:
        return timestamp_from_match(m.group(1), m.group(2), m.group(3))
    item = parse_line(line)
    return item.ts if type(item) is Entry else None
