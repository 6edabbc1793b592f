"""SPEC 1's time range: the written date and its UTC instant in the years 0001-9999, dates before 1970
ordinary; and the duration grammar's bound (at most 308 digits before the point)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execlog_tui.core import grammar
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import parse_line
from execlog_tui.core.timefmt import MAX_TS_MS, MIN_TS_MS, format_ts, parse_timestamp, parse_user_time

OUT_OF_RANGE = [
    "9999-12-31T23:00:00.000-12:00",  # UTC year 10000
    "9999-12-31T23:59:59.999-00:01",
    "0001-01-01T00:00:00.000+14:00",  # UTC year 0
    "0001-01-01T00:00:00+00:01",
    "0000-01-01T00:00:00Z",  # written year 0
]
IN_RANGE = {
    "0001-01-01T00:00:00.000Z": "0001-01-01T00:00:00.000Z",
    "0001-01-01T00:00:00-23:59": "0001-01-01T23:59:00.000Z",
    "9999-12-31T23:59:59.999Z": "9999-12-31T23:59:59.999Z",
    "9999-12-31T00:00:00+23:59": "9999-12-30T00:01:00.000Z",
    "1969-12-31T23:59:59.999Z": "1969-12-31T23:59:59.999Z",
    "0999-06-15T12:00:00Z": "0999-06-15T12:00:00.000Z",
}


@pytest.mark.parametrize("ts", OUT_OF_RANGE)
def test_a_timestamp_whose_utc_instant_leaves_the_years_0001_9999_is_a_parse_error(ts: str) -> None:
    item = parse_line(f"{ts}|API|CALL|5|SUCCESS|x")
    assert isinstance(item, ParseError)
    assert "impossible date, time or offset" in item.reason
    e = MetricsEngine()
    e.feed_lines([f"{ts}|API|CALL|5|SUCCESS|x", "2025-09-09T10:00:00.000Z|API|CALL|5|SUCCESS|x"])
    assert (e.parse_errors, e.entries) == (1, 1)
    with pytest.raises(ValueError, match="0001-9999"):
        parse_user_time(ts, None)


@pytest.mark.parametrize(("ts", "utc"), IN_RANGE.items())
def test_the_range_ends_and_dates_before_1970_are_ordinary(ts: str, utc: str) -> None:
    item = parse_line(f"{ts}|API|CALL|5|SUCCESS|x")
    assert isinstance(item, Entry)
    assert format_ts(item.ts) == utc  # four-digit years, also before 1000
    assert parse_timestamp(utc) == item.ts


def _oracle(y: int, mo: int, d: int, h: int, mi: int, s: int, frac: str, zone: str) -> int | None:
    """The instant of a timestamp by datetime (the reference), None when SPEC 1 refuses it."""
    if not 1 <= y <= 9999:
        return None
    try:
        local = datetime(y, mo, d, h, mi, s, tzinfo=UTC)
    except ValueError:
        return None
    off = 0
    if zone not in ("", "Z"):
        hh, mm = int(zone[1:3]), int(zone[4:6])
        if hh > 23 or mm > 59:
            return None
        off = (1 if zone[0] == "+" else -1) * (hh * 60 + mm)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    ms = (local - epoch) // timedelta(milliseconds=1) + (int((frac + "00")[:3]) if frac else 0) - off * 60_000
    # The UTC instant in the years 0001-9999, by datetime's own range.
    try:
        utc = epoch + timedelta(milliseconds=ms)
    except OverflowError:
        return None
    return ms if 1 <= utc.year <= 9999 else None


ZONES = st.sampled_from(["", "Z", "+00:00", "-00:00", "+14:00", "-14:00", "+23:59", "-23:59", "+12:30", "+24:00"])


@settings(max_examples=400, deadline=None)
@given(
    y=st.integers(0, 9999) | st.sampled_from([0, 1, 1969, 1970, 9999]),
    mo=st.integers(1, 12),
    d=st.integers(1, 31),
    h=st.integers(0, 23),
    mi=st.integers(0, 59),
    s=st.integers(0, 59),
    frac=st.sampled_from(["", "0", "999", "5", "123456789"]),
    zone=ZONES,
)
def test_the_parser_agrees_with_datetime_across_the_whole_range(
    y: int, mo: int, d: int, h: int, mi: int, s: int, frac: str, zone: str
) -> None:
    text = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}" + (f".{frac}" if frac else "") + zone
    want = _oracle(y, mo, d, h, mi, s, frac, zone)
    assert parse_timestamp(text) == want
    item = parse_line(f"{text}|API|CALL|5|SUCCESS|x")
    assert (item.ts if isinstance(item, Entry) else None) == want  # type: ignore[union-attr]
    if want is not None:
        assert MIN_TS_MS <= want <= MAX_TS_MS
        assert format_ts(want) is not None  # every instant the parser gives can be written


def test_a_duration_of_309_digits_is_a_parse_error_and_308_is_an_entry() -> None:
    big = "9" * grammar.DURATION_MAX_INT_DIGITS
    assert isinstance(parse_line(f"2025-09-09T10:00:00Z|API|CALL|{big}|SUCCESS|x"), Entry)
    assert isinstance(parse_line(f"2025-09-09T10:00:00Z|API|CALL|{big}.5|SUCCESS|x"), Entry)
    too = parse_line("2025-09-09T10:00:00Z|API|CALL|1" + "0" * 308 + "|SUCCESS|x")  # 1e308: finite, 309 digits
    assert isinstance(too, ParseError)
    assert too.reason == "duration_ms is too large: 309 digits before the point (at most 308)"
    e = MetricsEngine()
    e.feed_lines(["2025-09-09T10:00:00Z|API|CALL|1" + "0" * 308 + "|SUCCESS|x"])
    assert (e.parse_errors, e.entries) == (1, 0)


def test_an_overflowing_duration_sum_has_no_average_and_no_band() -> None:
    """Three durations near 1e308 overflow the sum: avg null, and its band null too (SPEC 5)."""
    big = "9" * 308
    e = MetricsEngine()
    e.feed_lines([f"2025-09-09T10:00:0{i}Z|API|CALL|{big}|SUCCESS|x" for i in range(3)])
    w = e.snapshot().windows["1m"]
    assert w.entries == 3 and w.avg_response_ms is None
    assert w.bands["response_time"] is None


def test_a_critical_alert_before_1970_resolves_like_any_other() -> None:
    """`critical:C` resolves once its CRITICAL line leaves the 1m window; its second before 1970 is
    negative and was taken for "none yet" (a -1 sentinel), so the alert never resolved."""
    e = MetricsEngine()
    e.feed_lines(
        [
            "1969-12-31T23:58:00.000Z|API|CALL|5|CRITICAL|x",
            "1969-12-31T23:59:30.000Z|API|CALL|5|SUCCESS|x",
        ]
    )
    (alert,) = [a for a in e.snapshot().alerts if a.name == "critical:API"]
    assert alert.resolved is not None and format_ts(alert.resolved) == "1969-12-31T23:59:00.000Z"
