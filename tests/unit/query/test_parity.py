"""Rows are exactly the engine's parse: same entries, same parse errors, same line numbers, fast or slow path."""

from __future__ import annotations

import gzip
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execlog_tui.query import run_query

from .conftest import ERR_SQL, ROTATED, ROW_SQL, parser_rows

TRICKY = [
    "2025-09-09T10:00:00.000Z|CACHE|HIT|0|SUCCESS|plain",
    "",
    "   ",
    "2025-09-09T10:00:00Z|cache|hit|1.5|success|lower case tokens",
    "2025-09-09T10:00:00.123456789+02:00|API|CALL|12|FAILURE|nine fraction digits and an offset",
    "2025-09-09T10:00:00.1-05:30|API|CALL|12.25|TIMEOUT|short fraction, negative offset",
    "2025-09-09T10:00:00.5|API|CALL|3|INFO|details|with|pipes|",
    "2025-09-09T10:00:00|API|CALL|3|INFO|",
    "2025-09-09T10:00:00|API|CALL|3|INFO",
    "2025-02-30T10:00:00Z|API|CALL|3|INFO|impossible date",
    "0000-01-01T10:00:00Z|API|CALL|3|INFO|year zero",
    "2025-09-09T24:00:00Z|API|CALL|3|INFO|hour 24",
    "2025-09-09T10:00:00+24:00|API|CALL|3|INFO|offset 24h",
    "2025-09-09T10:00:00+0200|API|CALL|3|INFO|offset without colon",
    "2025-09-09 10:00:00|API|CALL|3|INFO|space separator",
    "2025-09-09T10:00:00Z|API CALL|X|3|INFO|space in component",
    "2025-09-09T10:00:00Z|API\u00a0X|CALL|3|INFO|no-break space in component",
    "2025-09-09T10:00:00Z|API\x0bX|CALL|3|INFO|vertical tab in component",
    "2025-09-09T10:00:00Z|stra\u00dfe|CALL|3|INFO|non-ASCII component (upper differs)",
    "2025-09-09T10:00:00Z|\u00e9t\u00e9|CALL|3|INFO|accented component",
    "2025-09-09T10:00:00Z|API|CALL|-3|INFO|negative duration",
    "2025-09-09T10:00:00Z|API|CALL|1e3|INFO|exponent",
    "2025-09-09T10:00:00Z|API|CALL|3.|INFO|trailing dot",
    "2025-09-09T10:00:00Z|API|CALL|nan|INFO|nan",
    "2025-09-09T10:00:00Z||CALL|3|INFO|empty component",
    "2025-09-09T10:00:00Z|API|CALL|3||empty status",
    "2025-09-09T10:00:00Z|API|CALL|3|INFO|unicode d\u00e9tails \u2603 and NUL \x00 and tab\t and ESC \x1b[31m",
    "2025-09-09T10:00:00Z|API|CALL|3|INFO|[bold]markup[/bold] rss_mb=12 user=u7",
    "garbage",
    "2025-09-09T10:00:00Z|API|CALL|0000012.500|WEIRDSTATUS|leading zeros",
    "\u00a02025-09-09T10:00:00Z|API|CALL|3|INFO|leading no-break space",
    # The SQL grammar's own form (24-character timestamp with ms and Z) and its near misses.
    "2025-09-09T10:00:00.000Z|API|CALL|" + "9" * 400 + "|INFO|duration overflows a float",
    "2025-09-09T10:00:00.000Z|API|CALL|" + "9" * 300 + "|INFO|duration of 300 digits",
    " 025-09-09T10:00:00.000Z|API|CALL|3|INFO|leading space in the year",
    "2025-09-09T10:00:00.000Z|API|CALL|3|INFO",
    "2025-09-09T10:00:00.000Z|API|CALL|3|INFO|",
    "2025-09-09T10:00:00.000Z|API\x1fX|CALL|3|INFO|unit separator in component",
    "2025-09-09T10:00:00.000Z|API|CALL|1.5.5|INFO|two dots",
    "2025-02-29T10:00:00.000Z|API|CALL|3|INFO|not a leap year",
    "2024-02-29T23:59:59.999Z|Api|Call|3|Info|leap day, mixed case",
    "0000-01-01T00:00:00.000Z|API|CALL|3|INFO|year zero, SQL form",
    "0001-01-01T00:00:00.000Z|API|CALL|3|INFO|year one, SQL form",
    "9999-12-31T23:59:59.999Z|API|CALL|3|INFO|year 9999, SQL form",
]


def check(paths: list, line_limit: int | None = None) -> tuple:
    kw = {} if line_limit is None else {"line_limit": line_limit}
    want_rows, want_errs = parser_rows(paths, **kw)
    got_rows = run_query(paths, ROW_SQL, **kw)
    got_errs = run_query(paths, ERR_SQL, **kw)
    assert got_rows.rows == want_rows
    assert got_errs.rows == want_errs
    return got_rows, got_errs


def test_rotated_set_rows_are_the_parsers() -> None:
    rows, errs = check([ROTATED])
    assert len(rows.rows) == 19026 and len(errs.rows) == 3
    assert rows.stats.fast_files == 5 and rows.stats.slow_files == 0


def test_tricky_lines_fast_path(tmp_path: Path) -> None:
    f = tmp_path / "execution.log"
    f.write_text("\n".join(TRICKY) + "\n", encoding="utf-8")
    rows, errs = check([f])
    assert rows.stats.fast_files == 1  # DuckDB read it; the refused lines went to the parser
    assert rows.stats.rescued_lines > 0
    assert len(rows.rows) >= 8 and len(errs.rows) >= 15
    assert all(r[3].isupper() for r in rows.rows)


def test_crlf_file_fast_path(tmp_path: Path) -> None:
    f = tmp_path / "execution.log"
    f.write_bytes(("\r\n".join(TRICKY) + "\r\n").encode())
    rows, _ = check([f])
    assert rows.stats.fast_files == 1


def test_gzip_by_magic_not_name_and_blank_lines(tmp_path: Path) -> None:
    live = tmp_path / "execution.log"
    live.write_text("\n\n" + TRICKY[0] + "\n\n" + TRICKY[3] + "\n")
    (tmp_path / "execution.log.1").write_bytes(gzip.compress("\n".join(TRICKY).encode()))  # gzip, no .gz
    (tmp_path / "execution.log.2.gz").write_text(TRICKY[0] + "\n")  # plain, named .gz
    rows, _ = check([tmp_path])
    assert [r[1] for r in rows.rows if r[0] == str(live)] == [3, 5]


def test_files_duckdb_cannot_read_take_the_readers_path(tmp_path: Path) -> None:
    good = "\n".join(TRICKY[:8]).encode()
    (tmp_path / "execution.log.5").write_bytes(b"\xef\xbb\xbf" + good)  # byte-order mark
    (tmp_path / "execution.log.4").write_bytes(good + b"\n2025-09-09T10:00:01Z|API|X|1|INFO|bad \xff byte\n")
    (tmp_path / "execution.log.3").write_bytes(good.replace(b"\n", b"\r\n", 2))  # mixed endings
    (tmp_path / "execution.log.2.gz").write_bytes(gzip.compress(good * 50)[:-40])  # truncated gzip
    (tmp_path / "execution.log.1").write_bytes(b"")  # empty archive
    (tmp_path / "execution.log").write_bytes(good + b"\n2025-09-09T10:00:02Z|API|X|1|INFO|" + b"y" * 300 + b"\n")
    rows, errs = check([tmp_path], line_limit=200)  # the last line is cut at 200 bytes, still an entry
    assert rows.stats.slow_files >= 5
    messages = " ".join(w.message for w in rows.warnings)
    assert "truncated" in messages and "empty archive" in messages and "cut at 200" in messages
    assert any("\ufffd" in r[7] for r in rows.rows)  # the invalid byte became a replacement character


def test_two_sets_are_both_read(tmp_path: Path) -> None:
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text(TRICKY[0] + "\n")
    b.write_text(TRICKY[3] + "\n")
    rows, _ = check([tmp_path])
    assert {r[0] for r in rows.rows} == {str(a), str(b)}


_pieces = st.sampled_from(
    [
        "2025-09-09T10:00:00",
        "2025-09-09T10:00:00.123Z",
        "2025-13-01T00:00:00",
        "2024-02-29T23:59:59+01:00",
        "|",
        "||",
        "API",
        "cache",
        "HIT",
        "12",
        "3.5",
        ".5",
        "SUCCESS",
        "error",
        " ",
        "\t",
        "\u00a0",
        "\u2028",
        "\x0b",
        "\x1c",
        "\x1f",
        "\x01",
        "\r",
        "\u00df",
        "user=u1",
        "\\n",
        "\x00",
        "Z",
        "+05:30",
        "-",
        ":",
        "T",
        "é",
    ]
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_pieces, min_size=1, max_size=14).map("".join), min_size=1, max_size=60))
def test_generated_lines_match_the_parser(tmp_path_factory, lines: list[str]) -> None:
    d = tmp_path_factory.mktemp("gen")
    f = d / "execution.log"
    # Valid-shaped lines too, so the fast path has something to accept in most examples.
    f.write_text("\n".join(["2025-09-09T10:00:00.000Z|API|CALL|1|SUCCESS|x", *lines]) + "\n", encoding="utf-8")
    check([f])


def test_line_ending_in_the_old_delimiter_keeps_it(tmp_path: Path) -> None:
    # DuckDB drops a column delimiter that ends a line: the fast path must not use a byte a log may hold.
    f = tmp_path / "execution.log"
    f.write_text("2025-09-09T10:00:00\x1f\n2025-09-09T10:00:00Z|API|CALL|3|INFO|tail\x1f\n", encoding="utf-8")
    rows, errs = check([f])
    assert rows.rows[0][7] == "tail\x1f" and errs.rows[0][2] == "2025-09-09T10:00:00\x1f"


def test_file_failing_mid_query_moves_to_the_readers_path(tmp_path: Path) -> None:
    # Invalid UTF-8 far past the first block: DuckDB only finds it while the query runs.
    good = "2025-09-09T10:00:00.000Z|API|CALL|1|SUCCESS|x\n" * 5000
    f = tmp_path / "execution.log"
    f.write_bytes(good.encode() + b"2025-09-09T10:00:01Z|API|X|1|INFO|bad \xff byte\n" + good.encode())
    rows, _ = check([f])
    assert rows.stats.slow_files == 1 and len(rows.rows) == 10001
    assert run_query([f], "SELECT count(*) FROM entries").rows == [(10001,)]


# The fast path's own timestamp form: calendar and clock edges the SQL must judge as the parser does.
TS24_VALID = [
    "2025-09-09T10:00:00.000Z",
    "2024-02-29T23:59:59.999Z",
    "2000-02-29T00:00:00.001Z",
    "0001-01-01T00:00:00.000Z",
    "9999-12-31T23:59:59.999Z",
    "1969-12-31T23:59:59.999Z",
    "1970-01-01T00:00:00.000Z",
    "2025-04-30T12:34:56.789Z",
]
TS24_INVALID = [
    "2025-02-29T10:00:00.000Z",
    "1900-02-29T10:00:00.000Z",
    "2025-04-31T10:00:00.000Z",
    "0000-01-01T00:00:00.000Z",
    "2025-09-09T24:00:00.000Z",
    "2025-09-09T23:60:00.000Z",
    "2025-09-09T23:59:60.000Z",
    "2025-00-10T10:00:00.000Z",
    "2025-09-00T10:00:00.000Z",
    "2025-13-01T10:00:00.000Z",
    "2025-09-09T10:00:00.000z",
    "2025-09-09t10:00:00.000Z",
    "2025-09-09T10:00:00,000Z",
    "+025-09-09T10:00:00.000Z",
    "2025-9-09T10:00:00.0000Z",
]


def test_common_timestamp_form_is_judged_in_sql_like_the_parser(tmp_path: Path) -> None:
    ok = tmp_path / "ok" / "execution.log"
    ok.parent.mkdir()
    ok.write_text("".join(f"{t}|api|Call|{i}.5|success|d{i}\n" for i, t in enumerate(TS24_VALID)))
    rows, errs = check([ok])
    assert len(rows.rows) == len(TS24_VALID) and not errs.rows
    assert rows.stats.rescued_lines == 0  # every one stayed in SQL: no parser call
    bad = tmp_path / "bad" / "execution.log"
    bad.parent.mkdir()
    bad.write_text("".join(f"{t}|API|CALL|1|SUCCESS|x\n" for t in TS24_VALID + TS24_INVALID))
    rows, errs = check([bad])
    assert len(rows.rows) == len(TS24_VALID) and len(errs.rows) == len(TS24_INVALID)


def test_calendar_in_the_sql_grammar_is_the_parsers(tmp_path: Path) -> None:
    """The SQL grammar checks the calendar itself (no strptime per line): every date and clock edge in
    the 24-character form gives the parser's verdict, and the SQL path (not the parser) takes every
    valid one, with the timestamp DuckDB computes agreeing with the parser's."""
    years = ["0000", "0001", "0004", "0100", "0400", "1900", "1996", "2000", "2023", "2024", "2100", "9999"]
    lines = [
        f"{y}-{m:02d}-{d:02d}T10:00:00.000Z|API|CALL|1|INFO|date"
        for y in years
        for m in range(0, 14)
        for d in range(0, 33)
    ]
    lines += [
        f"2024-06-30T{h:02d}:{mi:02d}:{s:02d}.999Z|API|CALL|1|INFO|clock"
        for h in range(0, 26)
        for mi in (0, 59, 60)
        for s in (0, 59, 60)
    ]
    f = tmp_path / "execution.log"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, errs = check([f])
    # 11 years without year 0, five of them leap (0004 0400 1996 2000 2024); 24 hours x 2 minutes x 2 seconds.
    assert len(rows.rows) == 11 * 365 + 5 + 24 * 2 * 2
    # Only the refused lines reached the Python parser: the SQL grammar accepted every valid one.
    assert rows.stats.rescued_lines == len(errs.rows)
