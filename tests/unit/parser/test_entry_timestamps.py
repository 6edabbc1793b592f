"""The C scanner's `line_timestamps` (used to classify a history's tail) is sure only of lines Python's
parser takes for entries at the same instant: on near-valid lines (every field perturbed) it says
None or exactly `line_timestamp`, and `entry_timestamps` is `line_timestamp` line by line."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execlog_tui.core.parser import entry_timestamps, line_timestamp, scan_extension

needs_c = pytest.mark.skipif(
    scan_extension is None and shutil.which("gcc") is None and shutil.which("cc") is None, reason="no C compiler here"
)

_digits = st.text("0123456789", min_size=1, max_size=3)
_year = st.one_of(
    st.sampled_from(["2025", "0000", "0001", "9999", "1969", "2024"]), st.text("0123456789x", min_size=4, max_size=4)
)
_two = st.one_of(
    st.sampled_from(["00", "01", "12", "13", "23", "24", "28", "29", "30", "31", "59", "60", "99"]),
    st.text("0123456789 ", min_size=2, max_size=2),
)
_fraction = st.one_of(st.just(""), st.builds(lambda d: "." + d, st.text("0123456789", min_size=0, max_size=11)))
_zone = st.sampled_from(["", "Z", "z", "+02:00", "-00:30", "+24:00", " "])
_token = st.one_of(
    st.sampled_from(["API", "cache", "Auth", "CIRCUIT_OPEN", "HIT", "SUCCESS", "error", "x"]),
    st.text(st.characters(codec="utf-8", exclude_characters="\n"), min_size=0, max_size=4),
)
_duration = st.one_of(
    st.text("0123456789", min_size=1, max_size=11),
    st.sampled_from(["1.5", "0.25", "-1", "1e3", "", " 1", "1 "]),
)
_sep = st.sampled_from(["T", "T", "T", " ", "t"])


@st.composite
def near_lines(draw: st.DrawFn) -> str:
    ts = (
        f"{draw(_year)}-{draw(_two)}-{draw(_two)}{draw(_sep)}{draw(_two)}:{draw(_two)}:{draw(_two)}"
        f"{draw(_fraction)}{draw(_zone)}"
    )
    fields = [ts, draw(_token), draw(_token), draw(_duration), draw(_token)]
    if draw(st.booleans()):
        fields.append(draw(st.text(st.characters(exclude_characters="\n"), max_size=12)))
    line = "|".join(fields[: draw(st.integers(1, len(fields)))]) if draw(st.integers(0, 9)) == 0 else "|".join(fields)
    return line + draw(st.sampled_from(["", "", "\r", "|", "|x"]))


@needs_c
@settings(max_examples=1500, deadline=None)
@given(st.lists(near_lines(), max_size=20))
def test_the_scanner_is_sure_only_of_entries_at_the_parsers_instant(lines: list[str]) -> None:
    assert scan_extension is not None, "rebuild the extension: pip install -e ."
    sure = scan_extension.line_timestamps(lines)
    assert len(sure) == len(lines)
    for line, ts in zip(lines, sure, strict=True):
        assert ts is None or ts == line_timestamp(line), line
    assert entry_timestamps(lines) == [line_timestamp(line) for line in lines]


@needs_c
def test_the_scanner_judges_plain_lines_itself() -> None:
    assert scan_extension is not None
    lines = [
        "2025-09-09T10:00:00Z|API|CALL|5|SUCCESS|ok",
        "2025-09-09T10:00:00.5|cache|HIT|0|success|",
        "2025-09-09T10:00:01.123456789Z|Auth|LOGIN|999999999|ERROR|details | with | bars",
        "1969-12-31T23:59:59.999|API|CALL|1|SUCCESS|before 1970",
        "2024-02-29T00:00:00|API|CALL|1|SUCCESS|a leap day\r",
    ]
    assert scan_extension.line_timestamps(lines) == [line_timestamp(line) for line in lines]
    assert None not in scan_extension.line_timestamps(lines)
    # What it leaves to Python: zones, fractional or long durations, impossible dates, non-ASCII text.
    others = [
        "2025-09-09T10:00:00+02:00|API|CALL|5|SUCCESS|zone",
        "2025-09-09T10:00:00Z|API|CALL|1.5|SUCCESS|fraction",
        "2025-09-09T10:00:00Z|API|CALL|1234567890|SUCCESS|ten digits",
        "2023-02-29T00:00:00Z|API|CALL|1|SUCCESS|no such day",
        "2025-09-09T10:00:00Z|API|CALL|1|SUCCESS|café",
        "0000-01-01T00:00:00Z|API|CALL|1|SUCCESS|year 0",
    ]
    assert scan_extension.line_timestamps(others) == [None] * len(others)
    assert entry_timestamps(others) == [line_timestamp(line) for line in others]
