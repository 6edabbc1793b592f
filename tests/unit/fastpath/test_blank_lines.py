"""Blank lines (SPEC 1: only white space, ignored) on the fast path: exact counts, and no line-by-line path.

A gzip bomb of newlines (4 GB, 4 billion blank lines) did not finish `-b` in 400 s: the set's ordering
peek read the whole archive a line at a time (blank lines have no length, so its byte bound never came),
and a CRLF file's blank lines went through the per-line path one by one. These tests assert what is
done with blank lines, and how often the per-line path is called for them, never how long it takes.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execlog_tui import _scan
from execlog_tui.core import fastpath, linecount
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.timefmt import format_ts

from .helpers import BASE, feed_both

pytestmark = pytest.mark.skipif(not fastpath.available(), reason="C scanner not built (pip install -e .)")

ROOT = Path(__file__).resolve().parents[3]
BLANKS = ["", "\r", " ", "\t \t", "\x0c", "\x0b", "\x1c\x1d\x1e\x1f", " \r"]


def _entry(i: int, status: str = "SUCCESS") -> str:
    return f"{format_ts(BASE + 7 * i)}|API|CALL|{i % 40 + 1}|{status}|seq={i}"


def _counting_engine() -> tuple[MetricsEngine, dict[str, int]]:
    engine = MetricsEngine()
    calls = {"lines": 0}
    original = engine.feed_lines

    def counting(batch, until=None):  # noqa: ANN001, ANN202
        calls["lines"] += len(batch)
        return original(batch, until)

    engine.feed_lines = counting  # type: ignore[method-assign]
    return engine, calls


@pytest.mark.parametrize("blank", BLANKS, ids=repr)
def test_runs_of_blank_lines_are_skipped_in_one_pass(blank: str) -> None:
    lines: list[str] = []
    for i in range(40):
        lines += [blank] * 5_000
        lines.append(_entry(i, "FAILURE" if i % 3 == 0 else "SUCCESS"))
        lines.append("garbage between the blanks")
    lines += [blank] * 1_000
    fast_doc, ref_doc, _, _ = feed_both(lines)
    assert fast_doc == ref_doc
    engine, calls = _counting_engine()
    fastpath.FastFeeder(engine).feed_block("\n".join(lines).encode())
    assert engine.entries == 40 and engine.parse_errors == 40
    # 201,080 lines, 200,000 of them blank: none of those goes to the per-line path (the last line
    # of the block, which has no newline, may).
    assert calls["lines"] <= 81 + 1


def test_skip_blank_stops_at_the_first_line_that_is_not_blank() -> None:
    block = b"\n \r\n\t\n x\n\n"
    assert fastpath.skip_blank(block, 0) == 6  # " x" is not blank: it starts at 6
    assert fastpath.skip_blank(block, 6) == 6
    assert fastpath.skip_blank(block, 9) == 10
    assert fastpath.skip_blank(b"  ", 0) == 0  # the block's last line, no newline: left to the caller
    assert fastpath.skip_blank(b"\xc2\xa0\n", 0) == 0  # U+00A0: the per-line path decides (blank too)


def test_blank_line_rule_is_the_parsers() -> None:
    """Every byte skip_blank takes for white space is white space to the per-line path (str.strip)."""
    for byte in range(256):
        line = bytes([byte]) + b"\n"
        skipped = fastpath.skip_blank(line, 0) == len(line)
        assert skipped == (byte < 0x80 and not chr(byte).strip()), byte


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(st.sampled_from([0, 0, 0, 1, 2, 3, 4, 5, 8, 9, 17]), max_size=60),
    limit=st.sampled_from([1, 2, 3, 4, 8, 16]),
)
def test_dense_line_count_is_the_c_counters(parts: list[int], limit: int) -> None:
    block = b"\n".join(b"x" * n for n in parts)
    assert fastpath.count_lines(block, limit) == _scan.count_lines(block, limit)
    assert linecount._count_dense(block, limit) == _scan.count_lines(block, limit)


def _batch(path: Path, env: dict[str, str]) -> dict:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    if "EXECLOG_NO_FASTPATH" not in env:
        full_env.pop("EXECLOG_NO_FASTPATH", None)
    out = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "-b", "--json", str(path)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("env", [{}, {"EXECLOG_NO_FASTPATH": "1"}], ids=["fastpath", "per-line"])
def test_a_gzip_of_blank_lines_counts_exactly_its_entries(tmp_path: Path, env: dict[str, str]) -> None:
    # An archive that is blank lines (LF, CRLF, spaces) but for a few entries and errors, in two gzip
    # members, 3.5 MB of newlines inflated: more than the ordering peek's 64 KiB before the first entry.
    first = b"\n" * 3_000_000 + b"\r\n" * 200_000 + b" \t \n" * 50_000 + (_entry(0) + "\n").encode()
    second = (
        b"\n" * 100_000
        + (_entry(1, "FAILURE") + "\r\n").encode()
        + b"not an entry\n"
        + b"\r\n" * 100_000
        + (_entry(2) + "\n").encode()
        + b"\n" * 10
    )
    (tmp_path / "execution.log.1.gz").write_bytes(gzip.compress(first) + gzip.compress(second))
    (tmp_path / "execution.log").write_bytes(b"\n\n" + (_entry(3) + "\n").encode() + b"\n" * 5)
    doc = _batch(tmp_path, env)
    src = doc["source"]
    assert src["entries"] == 4
    assert src["parse_errors"] == 1
    assert src["warnings"] == []
    assert src["first"] == format_ts(BASE) and src["last"] == format_ts(BASE + 21)


def test_merged_sets_skip_blank_lines_unparsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Several sets in one directory are merged line by line (no fast path): their blank lines are left
    # out before the parser (64 MB of newlines took 25 s parsed one by one).
    from execlog_tui.sources import timeline
    from execlog_tui.sources.logset import discover

    (tmp_path / "a.log.1.gz").write_bytes(gzip.compress(b"\n" * 300_000 + b"\r\n" * 1000 + b" \t\n" * 1000))
    (tmp_path / "a.log").write_text(_entry(0) + "\n\n" + "not an entry\n")
    (tmp_path / "b.log").write_text("\r\n" * 500 + _entry(1) + "\n")
    calls = {"n": 0}
    original = timeline.parse_line

    def counting(line, cut=False):  # noqa: ANN001, ANN202
        calls["n"] += 1
        return original(line, cut)

    monkeypatch.setattr(timeline, "parse_line", counting)
    items = list(timeline.merge_sets(discover([str(tmp_path)]), []))
    assert [type(i).__name__ for i in items] == ["Entry", "ParseError", "Entry"]
    assert calls["n"] == 3  # the two entries and the parse error, no blank line
    doc = _batch(tmp_path, {})
    assert (doc["source"]["entries"], doc["source"]["parse_errors"]) == (2, 1)
