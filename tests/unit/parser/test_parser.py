"""SPEC section 1, rule by rule; a property test that random lines never raise and entries round-trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import parse_line
from execlog_tui.core.timefmt import format_ts, parse_timestamp, parse_user_time


def test_well_formed_line() -> None:
    e = parse_line("2025-09-09T10:00:00.254Z|BOOTSTRAP|COMPLETE|254|SUCCESS|Ready in 254ms")
    assert isinstance(e, Entry)
    assert (e.component, e.action, e.duration_ms, e.status, e.details) == (
        "BOOTSTRAP",
        "COMPLETE",
        254.0,
        "SUCCESS",
        "Ready in 254ms",
    )
    assert format_ts(e.ts) == "2025-09-09T10:00:00.254Z"


def test_pipes_in_details_crlf_case_and_empty_details() -> None:
    e = parse_line("2025-09-09T10:00:00Z|cache|hit|1.5|success|a|b||c\r")
    assert isinstance(e, Entry)
    assert (e.component, e.action, e.status, e.details, e.duration_ms) == ("CACHE", "HIT", "SUCCESS", "a|b||c", 1.5)
    e = parse_line("2025-09-09T10:00:00Z|A|B|0|INFO|")
    assert isinstance(e, Entry) and e.details == ""


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2025-09-09T10:00:00", "2025-09-09T10:00:00.000Z"),  # no zone means UTC
        ("2025-09-09T10:00:00.1", "2025-09-09T10:00:00.100Z"),
        ("2025-09-09T10:00:00.123456789Z", "2025-09-09T10:00:00.123Z"),  # truncated, not rounded
        ("2025-09-09T10:00:00.999999+02:00", "2025-09-09T08:00:00.999Z"),
        ("2025-09-09T23:30:00-01:30", "2025-09-10T01:00:00.000Z"),
        ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"),
    ],
)
def test_timestamps_zones_and_fractions(text: str, iso: str) -> None:
    assert format_ts(parse_timestamp(text)) == iso


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("2025-09-09T10:00:00Z|A|B|1|SUCCESS", "expected 6 fields"),
        ("just text", "expected 6 fields"),
        ("2025-09-09 10:00:00|A|B|1|SUCCESS|x", "not a timestamp"),
        ("2025-09-09t10:00:00|A|B|1|SUCCESS|x", "not a timestamp"),
        ("2025-09-09T10:00:00+0200|A|B|1|SUCCESS|x", "not a timestamp"),
        ("2025-W37-2T10:00:00|A|B|1|SUCCESS|x", "not a timestamp"),
        ("2025-09-09T10:00:00.1234567890|A|B|1|SUCCESS|x", "not a timestamp"),
        ("2025-02-30T10:00:00Z|A|B|1|SUCCESS|x", "impossible date"),
        ("2025-09-09T24:00:00Z|A|B|1|SUCCESS|x", "impossible date"),
        ("2025-09-09T10:00:60Z|A|B|1|SUCCESS|x", "impossible date"),
        ("2025-09-09T10:00:00+25:00|A|B|1|SUCCESS|x", "impossible date"),
        ("2025-09-09T10:00:00Z||B|1|SUCCESS|x", "empty component"),
        ("2025-09-09T10:00:00Z|A||1|SUCCESS|x", "empty action"),
        ("2025-09-09T10:00:00Z|A|B|1||x", "empty status"),
        ("2025-09-09T10:00:00Z|A B|B|1|SUCCESS|x", "component contains white space"),
        ("2025-09-09T10:00:00Z|A|B C|1|SUCCESS|x", "action contains white space"),
        ("2025-09-09T10:00:00Z|A|B|1|SUC CESS|x", "status contains white space"),
        *[
            (f"2025-09-09T10:00:00Z|A|B|{d}|SUCCESS|x", "duration_ms")
            for d in ("-1", "+1", "1e3", "1_000", "nan", "inf", "1.", ".5", "", " 1", "１")
        ],
    ],
)
def test_every_parse_error_kind(line: str, reason: str) -> None:
    item = parse_line(line)
    assert isinstance(item, ParseError), item
    assert item.raw == line
    assert reason in item.reason


def test_blank_lines_are_ignored() -> None:
    assert parse_line("") is None
    assert parse_line("   \t") is None
    assert parse_line("\r") is None


def test_replacement_characters_are_text() -> None:
    raw = b"2025-09-09T10:00:00Z|API|CALL|1|SUCCESS|bad \xff\xfe bytes".decode("utf-8", errors="replace")
    e = parse_line(raw)
    assert isinstance(e, Entry) and "\ufffd" in e.details


def test_user_times() -> None:
    ref = parse_timestamp("2025-09-09T10:04:30.002Z")
    assert format_ts(parse_user_time("10:03:50", ref)) == "2025-09-09T10:03:50.000Z"
    assert format_ts(parse_user_time("2025-09-08T01:02:03Z", ref)) == "2025-09-08T01:02:03.000Z"
    for bad in ("yesterday", "25:00", "2025-02-30T00:00:00"):
        with pytest.raises(ValueError):
            parse_user_time(bad, ref)


_token = st.text(
    alphabet=st.characters(blacklist_categories=("Zs", "Cc", "Zl", "Zp"), blacklist_characters="|\x1c\x1d\x1e\x1f\x85"),
    min_size=1,
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_lines_never_raise(text: str) -> None:
    for line in text.split("\n"):
        item = parse_line(line)
        assert item is None or isinstance(item, (Entry, ParseError))


@settings(max_examples=300, deadline=None)
@given(
    ts=st.integers(min_value=0, max_value=4_102_444_800_000),
    component=_token,
    action=_token,
    status=_token,
    duration=st.one_of(
        st.integers(min_value=0, max_value=10**9).map(str),
        st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False).map(str),
    ),
    details=st.text(alphabet=st.characters(blacklist_characters="\n\r"), max_size=80),
)
def test_well_formed_lines_round_trip(
    ts: int, component: str, action: str, status: str, duration: str, details: str
) -> None:
    line = f"{format_ts(ts)}|{component}|{action}|{duration}|{status}|{details}"
    e = parse_line(line)
    assert isinstance(e, Entry), (line, e)
    assert (e.ts, e.component, e.action, e.status, e.details) == (
        ts,
        component.upper(),
        action.upper(),
        status.upper(),
        details,
    )
    assert e.duration_ms == float(duration)
