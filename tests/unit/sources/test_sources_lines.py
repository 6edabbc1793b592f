"""The one line splitter (sources/lines.py): decoded and raw modes agree, one cut rule, one cut warning."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from execlog_tui.core import fastpath
from execlog_tui.sources.lines import LineSplitter, SourceWarning
from execlog_tui.sources.reader import read_batches, read_raw_batches


def split_all(data: bytes, piece: int, limit: int, raw: bool) -> tuple[list[str], list[int], list[SourceWarning]]:
    warnings: list[SourceWarning] = []
    s = LineSplitter("f", warnings, limit)
    lines: list[str] = []
    cut: list[int] = []
    for i in range(0, len(data), piece):
        batch = s.feed_raw(data[i : i + piece]) if raw else s.feed(data[i : i + piece])
        if batch is None:
            continue
        if isinstance(batch[0], bytes):
            block, n = batch
            assert isinstance(n, int)
            decoded = block.decode("utf-8", errors="replace").split("\n")
            assert len(decoded) == n
            lines.extend(decoded)
        else:
            assert isinstance(batch[1], set)
            cut.extend(len(lines) + j for j in sorted(batch[1]))
            lines.extend(batch[0])
    last = s.close()
    if last is not None:
        cut.extend(len(lines) + j for j in sorted(last[1]))
        lines.extend(last[0])
    return lines, cut, warnings


DATA = (
    b"".join(
        (b"x" * (i * 37 % 300) + b"\xc3\xa9" * (i % 5) + (b"\r" if i % 7 == 0 else b"") + b"\n") for i in range(400)
    )
    + b"tail without newline"
)


@pytest.mark.parametrize("piece", [1, 7, 100, 4096, 1 << 20])
@pytest.mark.parametrize("limit", [64, 250, 10_000])
def test_raw_and_decoded_modes_give_the_same_lines_cuts_and_warnings(piece: int, limit: int) -> None:
    decoded = split_all(DATA, piece, limit, raw=False)
    raw = split_all(DATA, piece, limit, raw=True)
    assert raw == decoded
    lines, cut, warnings = decoded
    assert all(len(lines[i].encode("utf-8", errors="surrogateescape")) <= limit + 2 for i in cut)
    assert len(warnings) == min(len(cut), 10) + (1 if len(cut) > 10 else 0)


def test_count_lines_is_minus_one_for_a_long_line() -> None:
    if not fastpath.available():
        assert fastpath.count_lines(b"a\nb", 10) == -1
        return
    assert fastpath.count_lines(b"a\nbb\nccc", 10) == 3
    assert fastpath.count_lines(b"a\n" + b"b" * 11, 10) == -1


def test_strip_cr_and_skip_line() -> None:
    warnings: list[SourceWarning] = []
    s = LineSplitter("f", warnings, 8, strip_cr=True)
    s.skip_line()
    assert s.feed(b"rest of a line shown already") is None
    assert s.feed(b"...\r\na\r\n" + b"b" * 20 + b"\r\nc") == (["a", "b" * 8], {1})
    assert s.close() == (["c"], set())
    assert [w.message for w in warnings] == ["line 2 cut at 8 bytes"]


def test_warnings_without_line_numbers_when_reading_starts_mid_file() -> None:
    warnings: list[SourceWarning] = []
    s = LineSplitter("f", warnings, 4, numbered=False)
    assert s.feed(b"abcdefgh\n") == (["abcd"], {0})
    assert warnings == [SourceWarning("f", "a line cut at 4 bytes")]


def test_raw_batches_of_a_gzip_file_are_the_decoded_ones(tmp_path: Path) -> None:
    p = tmp_path / "execution.log.1.gz"
    p.write_bytes(gzip.compress(DATA))
    w1: list[SourceWarning] = []
    w2: list[SourceWarning] = []
    decoded = [line for batch, _cut in read_batches(p, w1, 250) for line in batch]
    raw: list[str] = []
    for payload, _n in read_raw_batches(p, w2, 250):
        raw.extend(payload.decode("utf-8", errors="replace").split("\n") if isinstance(payload, bytes) else payload)
    assert raw == decoded and w1 == w2


@pytest.mark.parametrize("piece", [1, 3, 4096, 1 << 20])
@pytest.mark.parametrize("raw", [False, True], ids=["decoded", "raw"])
def test_empty_lines_only_then_a_cut_line(piece: int, raw: bool) -> None:
    # Chunks of nothing but newlines take a shortcut (no split): the count, the line numbers of the
    # warnings and the lines after them stay exact.
    data = b"\n" * 5000 + b"y" * 300 + b"\n" + b"\n" * 777 + b"last"
    lines, cut, warnings = split_all(data, piece, 100, raw)
    assert len(lines) == 5000 + 1 + 777 + 1
    assert lines[:5000] == [""] * 5000 and lines[5000] == "y" * 100 and lines[-1] == "last"
    assert set(lines[5001:-1]) == {""}
    assert cut == [5000]
    assert [w.message for w in warnings] == ["line 5001 cut at 100 bytes"]
