"""The line grammar in one module (core/grammar.py): the C scanner's header is generated from it."""

from __future__ import annotations

import re
from pathlib import Path

from execlog_tui.core import grammar
from execlog_tui.core.entry import ParseError

PKG = Path(grammar.__file__).resolve().parents[1]


def test_committed_c_header_is_the_generated_one() -> None:
    # Regenerate with: python -m execlog_tui.core.grammar > execlog_tui/_scan_grammar.h
    assert (PKG / "_scan_grammar.h").read_text() == grammar.c_header()


def test_c_scanner_takes_its_statuses_and_separator_from_the_header() -> None:
    source = (PKG / "_scan.c").read_text()
    assert '#include "_scan_grammar.h"' in source
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL)  # comments may name them
    for word in sorted(grammar.STATUS_CODES | grammar.LEVELS):
        assert f'"{word}"' not in code, word
    assert f"'{grammar.FIELD_SEP}'" not in code


def test_parser_and_sql_use_the_grammar() -> None:
    from execlog_tui.core import parser
    from execlog_tui.query import load

    assert grammar.TIMESTAMP_SECOND in parser.fast_match.__self__.pattern  # type: ignore[attr-defined]
    assert grammar.DURATION in load._HEAD
    line = "2025-09-09T10:00:00.000Z|api|call|12.5|success|a|b"
    item = parser.parse_line(line)
    assert item is not None and item.ts is not None
    short = parser.parse_line("2025-09-09T10:00:00Z|API|CALL|1|INFO")
    assert isinstance(short, ParseError)
    assert short.reason == f"expected {grammar.FIELDS} fields separated by '{grammar.FIELD_SEP}', found 5"
