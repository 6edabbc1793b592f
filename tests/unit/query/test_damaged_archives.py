"""Damaged gzip archives in queries: what comes before the damage is queried, with the reader's warning."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from execlog_tui.query import run_query
from execlog_tui.sources.reader import SourceWarning, read_batches

from .test_parity import check


def lines_of(n: int) -> bytes:
    return "".join(
        f"2025-09-09T10:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z|CACHE|HIT|{i % 7}|SUCCESS|line {i}\n"
        for i in range(n)
    ).encode()


def flipped(data: bytes, at: int, n: int = 64) -> bytes:
    out = bytearray(data)
    for i in range(at, at + n):
        out[i] ^= 0xFF
    return bytes(out)


@pytest.mark.parametrize("where", ["middle", "early"])
def test_damaged_archive_yields_the_lines_before_the_damage(tmp_path: Path, where: str) -> None:
    data = gzip.compress(lines_of(20000), compresslevel=6)
    at = len(data) // 2 if where == "middle" else 40  # "early": inside the first 64 KiB DuckDB would peek at
    archive = tmp_path / "execution.log.1.gz"
    archive.write_bytes(flipped(data, at))
    (tmp_path / "execution.log").write_bytes(lines_of(3))
    history: list[SourceWarning] = []
    read = 0
    for batch, _cut in read_batches(archive, history):
        read += sum(1 for line in batch if line.strip())
    assert len(history) == 1 and history[0].message.startswith("damaged gzip archive: read up to line ")
    rows, _errs = check([tmp_path])  # rows and parse errors exactly the project reader's and parser's
    from_archive = sum(1 for r in rows.rows if r[0] == str(archive))
    # Exactly what the reader yields (one truth): the lines before the damage, whether the inflater finds
    # it on the spot or only the checksum does (then the member was held back, and is passed on up to
    # its first line that is not an entry: SPEC 2 and issue 13).
    assert from_archive == read
    assert [(w.file, w.message) for w in rows.warnings if w.file == str(archive)] == [
        (history[0].file, history[0].message)
    ]


def test_truncated_archive_counts_what_it_holds(tmp_path: Path) -> None:
    archive = tmp_path / "execution.log.1.gz"
    archive.write_bytes(gzip.compress(lines_of(5000))[:-4000])
    history: list[SourceWarning] = []
    expected = sum(len(b) for b, _cut in read_batches(archive, history))
    got = run_query([tmp_path], "SELECT count(*) FROM entries")
    assert got.rows == [(expected,)] and expected > 1000  # every line before the end is a whole entry
    assert [w.message for w in got.warnings] == [w.message for w in history]
    assert history[0].message.startswith("archive ends early (truncated gzip): read up to line ")
