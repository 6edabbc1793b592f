"""The line the writer produces: SPEC section 1 format, escaping, refusals, timestamps."""

from __future__ import annotations

import math

import pytest

from execlog_tui.core.entry import Entry
from execlog_tui.core.parser import parse_line
from execlog_tui.core.timefmt import parse_timestamp
from execlog_tui.writer import ExecutionLogger
from execlog_tui.writer.format import MAX_DURATION_MS, TimestampFormatter, escape_details, format_duration

T0 = 1757412000.0  # 2025-09-09T10:00:00Z


def fixed_clock(values):
    it = iter(values)
    return lambda: next(it)


def test_line_is_exact_and_parses(tmp_path):
    path = tmp_path / "execution.log"
    with ExecutionLogger(path, clock=fixed_clock([T0 + 0.048, T0 + 61.5])) as log:
        log.log("BOOTSTRAP", "CORE", 48, "SUCCESS", "Core identity loaded")
        log.log("cache", "hit", 0.25, "success", "L1 cache hit | key=a")
    lines = path.read_text().splitlines()
    assert lines == [
        "2025-09-09T10:00:00.048Z|BOOTSTRAP|CORE|48|SUCCESS|Core identity loaded",
        "2025-09-09T10:01:01.500Z|CACHE|HIT|0.25|SUCCESS|L1 cache hit | key=a",
    ]
    for line in lines:
        assert isinstance(parse_line(line), Entry)


def test_details_are_escaped_onto_one_line(tmp_path):
    path = tmp_path / "execution.log"
    with ExecutionLogger(path, clock=lambda: T0) as log:
        log.log("API", "CALL", 1, "FAILURE", "line one\nline two\\path\r")
    raw = path.read_bytes()
    assert raw.count(b"\n") == 1
    entry = parse_line(raw.decode().rstrip("\n"))
    assert isinstance(entry, Entry)
    assert entry.details == "line one\\nline two\\\\path\\r"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (12, "12"),
        (13.5, "13.5"),
        (0.1 + 0.2, "0.3"),
        (1e-5, "0"),
        (2.0, "2"),
        (1e14, "100000000000000"),
        (float(MAX_DURATION_MS), str(MAX_DURATION_MS)),
        (MAX_DURATION_MS, str(MAX_DURATION_MS)),
    ],
)
def test_durations_fit_the_grammar(value, text):
    assert format_duration(value) == text


@pytest.mark.parametrize(
    "value", [-1, -0.5, math.nan, math.inf, "12", None, True, 1e308, 10**400, MAX_DURATION_MS + 1, 1e20]
)
def test_bad_durations_are_refused(value):
    with pytest.raises(ValueError, match="duration_ms"):
        format_duration(value)


@pytest.mark.parametrize(
    ("component", "action", "status", "word"),
    [
        ("MY COMP", "A", "SUCCESS", "component"),
        ("", "A", "SUCCESS", "component"),
        ("C", "A|B", "SUCCESS", "action"),
        ("C", "A", "", "status"),
        ("C", "A\n", "SUCCESS", "action"),
        (None, "A", "SUCCESS", "component"),
    ],
)
def test_tokens_that_would_break_the_format_are_refused(tmp_path, component, action, status, word):
    path = tmp_path / "execution.log"
    with ExecutionLogger(path) as log:
        with pytest.raises(ValueError, match=word):
            log.log(component, action, 1, status)
        with pytest.raises(ValueError, match="level"):
            log.log("C", "A", 1, "SUCCESS", level="LOUD")
    assert path.read_bytes() == b""


def test_timestamp_rounding_and_cache():
    fmt = TimestampFormatter()
    assert fmt(T0) == "2025-09-09T10:00:00.000Z"
    assert fmt(T0 + 0.003) == "2025-09-09T10:00:00.003Z"  # not .002 from float noise
    assert fmt(T0 + 0.9999) == "2025-09-09T10:00:01.000Z"
    assert fmt(T0 + 86400 * 30 + 0.5) == "2025-10-09T10:00:00.500Z"
    assert parse_timestamp(fmt(T0 + 1.234)) == int((T0 + 1.234) * 1000 + 0.5)


def test_escape_leaves_plain_text_alone():
    assert escape_details("rss_mb=47.2 user=u3") == "rss_mb=47.2 user=u3"
    assert escape_details(42) == "42"
