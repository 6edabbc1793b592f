"""read_batches and peek_first_timestamp on real files: plain, gzip, damaged, odd bytes and giant lines."""

from __future__ import annotations

import gzip
import io
import os
import zlib
from pathlib import Path

import pytest

from execlog_tui.sources.reader import (
    MAX_CUT_WARNINGS,
    SourceWarning,
    peek_first_timestamp,
    read_batches,
)


def sample_lines(n: int, start: int = 0) -> list[str]:
    return [
        f"2025-09-09T10:{(start + i) // 60 % 60:02d}:{(start + i) % 60:02d}.{i % 1000:03d}Z"
        f"|CACHE|HIT|{i % 7}|SUCCESS|line {start + i} user=u{i % 13}"
        for i in range(n)
    ]


def read_all(path: Path, **kw: object) -> tuple[list[str], list[int], list[SourceWarning]]:
    """Every line, the global indexes of the cut ones, and the warnings."""
    warnings: list[SourceWarning] = []
    lines: list[str] = []
    cut: list[int] = []
    for batch, batch_cut in read_batches(path, warnings, **kw):  # type: ignore[arg-type]
        cut.extend(len(lines) + i for i in sorted(batch_cut))
        lines.extend(batch)
    return lines, cut, warnings


def text_of(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


# --- plain files ---------------------------------------------------------------------------------


def test_plain_file_lines_without_newlines(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    expected = sample_lines(500)
    p.write_bytes(text_of(expected))
    lines, cut, warnings = read_all(p, chunk_size=1000)
    assert lines == expected
    assert cut == [] and warnings == []


def test_last_line_without_newline_is_a_line(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_bytes(b"a\nb\nlast")
    assert read_all(p)[0] == ["a", "b", "last"]
    assert read_all(p, chunk_size=3)[0] == ["a", "b", "last"]


def test_crlf_keeps_cr_for_the_parser(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_bytes(b"one\r\ntwo\r\n")
    assert read_all(p)[0] == ["one\r", "two\r"]


def test_invalid_utf8_becomes_replacement_characters(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_bytes(b"ok\nbad \xff\xfe end\ntrunc \xe2\x82\nnext\n")
    lines, _cut, warnings = read_all(p)
    assert lines == ["ok", "bad \ufffd\ufffd end", "trunc \ufffd", "next"]
    assert warnings == []


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 4, 5, 7])
def test_multibyte_character_across_chunk_boundaries(tmp_path: Path, chunk_size: int) -> None:
    p = tmp_path / "execution.log"
    # "€" is 3 bytes and "😀" 4: tiny chunks cut them everywhere, which must not matter.
    expected = ["x€y", "😀😀", "é", "plain"]
    p.write_bytes(text_of(expected))
    assert read_all(p, chunk_size=chunk_size)[0] == expected


def test_unreadable_path_is_a_warning(tmp_path: Path) -> None:
    missing = tmp_path / "gone.log"
    lines, _cut, warnings = read_all(missing)
    assert lines == []
    assert warnings == [SourceWarning(str(missing), "cannot read: no such file or directory")]
    lines, _cut, warnings = read_all(tmp_path)  # a directory where a file was expected
    assert lines == [] and "cannot read" in warnings[0].message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_permission_denied_is_a_warning(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_bytes(b"x\n")
    p.chmod(0)
    lines, _cut, warnings = read_all(p)
    assert lines == [] and warnings[0].message == "cannot read: permission denied"


# --- long lines ----------------------------------------------------------------------------------


def test_long_line_is_cut_at_the_limit(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_bytes(b"short\n" + b"L" * 150 + b"\nafter\n" + b"M" * 101 + b"\n" + b"N" * 100 + b"\n")
    lines, cut, warnings = read_all(p, line_limit=100)
    assert lines == ["short", "L" * 100, "after", "M" * 100, "N" * 100]
    assert cut == [1, 3]
    assert [w.message for w in warnings] == ["line 2 cut at 100 bytes", "line 4 cut at 100 bytes"]


@pytest.mark.parametrize("chunk_size", [7, 64, 100, 333, 4096])
def test_line_longer_than_the_chunk(tmp_path: Path, chunk_size: int) -> None:
    p = tmp_path / "execution.log"
    giant = b"G" * 5000
    p.write_bytes(b"a\n" + giant + b"\nb\n" + giant + b"tail-of-giant\n" + giant)
    lines, cut, warnings = read_all(p, line_limit=100, chunk_size=chunk_size)
    assert lines == ["a", "G" * 100, "b", "G" * 100, "G" * 100]
    assert cut == [1, 3, 4]
    assert len(warnings) == 3 and warnings[2].message == "line 5 cut at 100 bytes"


def test_long_line_of_multibyte_characters_is_cut_in_bytes(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    # 40 euro signs are 120 bytes and only 40 characters: the limit is in bytes.
    p.write_bytes("€".encode() * 40 + b"\n" + "€".encode() * 33 + b"\n")
    lines, cut, _warnings = read_all(p, line_limit=100)
    assert cut == [0]
    assert lines[0] == "€" * 33 + "\ufffd"  # 99 bytes of whole characters, then a split one
    assert lines[1] == "€" * 33  # 99 bytes: under the limit


def test_cut_warnings_are_capped_with_a_summary(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_bytes((b"X" * 50 + b"\n") * (MAX_CUT_WARNINGS + 5))
    lines, cut, warnings = read_all(p, line_limit=10)
    assert len(cut) == MAX_CUT_WARNINGS + 5
    assert len(warnings) == MAX_CUT_WARNINGS + 1
    assert warnings[-1].message == "5 more lines cut at 10 bytes"


def test_default_limit_is_64_kib(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_bytes(b"x" * 65536 + b"\n" + b"y" * 65537 + b"\n")
    lines, cut, warnings = read_all(p)
    assert [len(line) for line in lines] == [65536, 65536]
    assert cut == [1]
    assert warnings[0].message == "line 2 cut at 65536 bytes"


# --- gzip ----------------------------------------------------------------------------------------


def test_gzip_recognised_by_magic_not_name(tmp_path: Path) -> None:
    expected = sample_lines(300)
    zipped = tmp_path / "execution.log.1"  # gzip without .gz
    zipped.write_bytes(gzip.compress(text_of(expected)))
    plain = tmp_path / "execution.log.2.gz"  # plain text with .gz
    plain.write_bytes(text_of(expected))
    assert read_all(zipped, chunk_size=1000) == (expected, [], [])
    assert read_all(plain, chunk_size=1000) == (expected, [], [])


def test_several_gzip_members_are_one_stream(tmp_path: Path) -> None:
    expected = sample_lines(900)
    p = tmp_path / "execution.log.3.gz"
    # The member boundaries fall mid-line: members join into one byte stream before lines are split.
    data = text_of(expected)
    p.write_bytes(gzip.compress(data[:1001]) + gzip.compress(data[1001:5000]) + gzip.compress(data[5000:]))
    for chunk_size in (64, 4 << 20):
        assert read_all(p, chunk_size=chunk_size) == (expected, [], [])


def test_zero_padding_after_a_member_is_accepted(tmp_path: Path) -> None:
    p = tmp_path / "execution.log.1.gz"
    p.write_bytes(gzip.compress(b"a\nb\n") + b"\x00" * 512)
    assert read_all(p) == (["a", "b"], [], [])


def test_big_gzip_streams_in_bounded_chunks(tmp_path: Path) -> None:
    expected = sample_lines(40000)
    p = tmp_path / "execution.log.1.gz"
    p.write_bytes(gzip.compress(text_of(expected), compresslevel=1))
    warnings: list[SourceWarning] = []
    total = 0
    lines: list[str] = []
    for batch, _cut in read_batches(p, warnings, chunk_size=64 * 1024):
        # every batch comes from at most one chunk plus a carried partial line
        assert sum(len(line) + 1 for line in batch) <= 64 * 1024 + 200
        total += len(batch)
        lines.extend(batch)
    assert lines == expected and warnings == []


def test_truncated_gzip_yields_lines_before_the_end_and_a_warning(tmp_path: Path) -> None:
    expected = sample_lines(20000)
    data = gzip.compress(text_of(expected))
    p = tmp_path / "execution.log.2.gz"
    p.write_bytes(data[: len(data) // 2])
    lines, _cut, warnings = read_all(p, chunk_size=4 << 20)
    assert 5000 < len(lines) < 20000
    # every line yielded is a complete, correct line: the partial line at the cut is dropped
    assert lines == expected[: len(lines)]
    assert len(warnings) == 1 and warnings[0].file == str(p)
    assert warnings[0].message == f"archive ends early (truncated gzip): read up to line {len(lines)}"
    # what zlib itself can recover from the same bytes: we lose nothing more than the partial line
    recoverable = zlib.decompressobj(wbits=31).decompress(data[: len(data) // 2])
    assert len(lines) == recoverable.count(b"\n")


def test_truncated_inside_the_header(tmp_path: Path) -> None:
    p = tmp_path / "execution.log.1.gz"
    p.write_bytes(gzip.compress(b"a\n")[:5])
    lines, _cut, warnings = read_all(p)
    assert lines == [] and warnings[0].message.startswith("archive ends early")


def test_corrupted_bytes_in_the_middle(tmp_path: Path) -> None:
    expected = sample_lines(20000)
    data = bytearray(gzip.compress(text_of(expected), compresslevel=6))
    middle = len(data) // 2
    data[middle : middle + 64] = b"\xff" * 64  # garbage where a deflate block is expected
    p = tmp_path / "execution.log.4.gz"
    p.write_bytes(bytes(data))
    lines, _cut, warnings = read_all(p)
    assert len(warnings) == 1 and warnings[0].file == str(p)
    assert warnings[0].message.startswith("damaged gzip archive: read up to line ")
    # the lines before the damage are all there and intact (the ones near it may be garbled by it)
    good = 0
    while good < len(lines) and lines[good] == expected[good]:
        good += 1
    assert good > 5000
    # and nothing decodable was lost: zlib fed one byte at a time gets no further
    d = zlib.decompressobj(wbits=31)
    recovered = bytearray()
    try:
        for i in range(len(data)):
            recovered += d.decompress(data[i : i + 1])
    except zlib.error:
        pass
    assert len(lines) == bytes(recovered).count(b"\n")


def test_damaged_second_member_keeps_the_first(tmp_path: Path) -> None:
    first = sample_lines(100)
    p = tmp_path / "execution.log.1.gz"
    p.write_bytes(gzip.compress(text_of(first)) + b"this is not gzip at all\n")
    lines, _cut, warnings = read_all(p)
    assert lines == first
    assert warnings[0].message.startswith("damaged gzip archive: read up to line 100: ")


def test_crc_mismatch_is_reported(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(b"a\nb\n"))
    data[-8] ^= 0xFF  # the CRC32 in the trailer
    p = tmp_path / "execution.log.1.gz"
    p.write_bytes(bytes(data))
    lines, _cut, warnings = read_all(p)
    assert lines == ["a", "b"]
    assert warnings[0].message.startswith("damaged gzip archive")


def test_empty_archives(tmp_path: Path) -> None:
    zero = tmp_path / "execution.log.2.gz"
    zero.write_bytes(b"")
    nothing = tmp_path / "execution.log.3"
    nothing.write_bytes(gzip.compress(b""))
    for p in (zero, nothing):
        assert read_all(p) == ([], [], [SourceWarning(str(p), "empty archive")])
    live = tmp_path / "execution.log"
    live.write_bytes(b"")
    assert read_all(live) == ([], [], [])  # an empty live file is normal
    assert read_all(live, archive=True)[2] == [SourceWarning(str(live), "empty archive")]


def test_gzip_with_header_fields(tmp_path: Path) -> None:
    # gzip(1) writes the original name (FNAME) and mtime; zlib must parse the header, not us.
    buf = io.BytesIO()
    with gzip.GzipFile(filename="execution.log.1", mode="wb", fileobj=buf, mtime=1) as g:
        g.write(b"x|y\n")
    p = tmp_path / "execution.log.1.gz"
    p.write_bytes(buf.getvalue())
    assert read_all(p)[0] == ["x|y"]


# --- peek ----------------------------------------------------------------------------------------


def test_peek_first_timestamp_skips_non_entries(tmp_path: Path) -> None:
    p = tmp_path / "execution.log.1.gz"
    p.write_bytes(gzip.compress(b"garbage\n\n2025-09-09T10:00:00.254Z|BOOTSTRAP|COMPLETE|254|SUCCESS|x\n"))
    assert peek_first_timestamp(p) == 1757412000254
    empty = tmp_path / "e"
    empty.write_bytes(b"")
    assert peek_first_timestamp(empty) is None
    assert peek_first_timestamp(tmp_path / "missing") is None


def test_peek_reads_only_the_start(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_bytes(b"junk line\n" * 20000 + b"2025-09-09T10:00:00Z|A|B|1|INFO|x\n")
    assert peek_first_timestamp(p) is None
    assert peek_first_timestamp(p, max_bytes=1 << 20) == 1757412000000


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_peek_is_bounded_by_bytes_on_blank_lines(tmp_path: Path, compress: bool) -> None:
    # Blank lines have no length: the peek's bound must count their newlines (it read a gzip bomb of
    # newlines to its end, a line at a time, before the set could even be ordered).
    data = b"\n" * 70_000 + b"\r\n" * 10 + b"2025-09-09T10:00:00Z|A|B|1|INFO|x\n"
    p = tmp_path / "execution.log.1.gz"
    p.write_bytes(gzip.compress(data) if compress else data)
    assert peek_first_timestamp(p) is None
    assert peek_first_timestamp(p, max_bytes=70_100) == 1757412000000
    assert peek_first_timestamp(p, max_bytes=70_020) is None  # the entry is cut by the bound: not looked at


@pytest.mark.parametrize("chunk_size", [4096, 65536])
def test_highly_compressible_archive_loses_nothing(tmp_path: Path, chunk_size: int) -> None:
    # ~1000:1 compression: one compressed piece inflates to far more than a chunk, so the reader must
    # drain the inflater's pending output without losing or duplicating any of it.
    data = (b"x" * 60 + b"\n") * 150_000 + b"2025-09-09T10:00:00Z|A|B|1|INFO|end\n"
    p = tmp_path / "execution.log.1.gz"
    p.write_bytes(gzip.compress(data, compresslevel=9))
    assert len(p.read_bytes()) * 200 < len(data)
    lines, cut, warnings = read_all(p, chunk_size=chunk_size)
    assert len(lines) == 150_001 and lines[-1].endswith("|end") and lines[0] == "x" * 60
    assert cut == [] and warnings == []


def test_closing_a_raw_read_whose_queue_is_full_does_not_hang(tmp_path: Path) -> None:
    """The inflating thread queues a bounded number of batches; a consumer that stops reading and closes
    the iterator waits for that thread. Its last put (the end of the file) waited on the full queue
    without looking at the stop: an archive of exactly one batch more than the queue holds, read one
    batch and closed, hung `-b` for good (found by a review)."""
    import gzip
    import os
    import threading
    import time

    from execlog_tui.sources.reader import CHUNK_SIZE, read_raw_batches

    line = b"2025-09-09T10:00:00.000Z|API|GET|1|SUCCESS|" + b"x" * 57 + b"\n"
    path = tmp_path / "execution.log.1.gz"
    path.write_bytes(gzip.compress(line * (9 * CHUNK_SIZE // len(line) - 2), 1))
    assert sum(1 for _ in read_raw_batches(path, [], 65536, archive=True, hold=0)) == 9
    size = path.stat().st_size
    it = read_raw_batches(path, [], 65536, archive=True, hold=0)
    next(it)

    def read_to_its_end() -> bool:  # the inflating thread has read the whole file (its queue is full then)
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                    pos = open(f"/proc/self/fdinfo/{fd}").read().split()[1]
                    return int(pos) >= size
            except OSError:
                continue
        return True  # closed: read to its end

    def waiting() -> bool:  # the inflating thread sleeps (on the full queue, once the file is read)
        for t in threading.enumerate():
            if t.name == "execlog-inflate" and t.native_id is not None:
                with open(f"/proc/self/task/{t.native_id}/stat") as f:
                    return f.read().rsplit(")", 1)[1].split()[0] == "S"
        return True

    deadline = time.monotonic() + 30
    settled = 0
    while settled < 5:  # read to its end, then asleep five polls in a row: blocked on the queue
        assert time.monotonic() < deadline, "the archive was not read"
        settled = settled + 1 if read_to_its_end() and waiting() else 0
        time.sleep(0.01)
    closer = threading.Thread(target=it.close, daemon=True)
    closer.start()
    closer.join(10)
    assert not closer.is_alive(), "closing the read hung"
