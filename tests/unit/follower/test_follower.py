"""LogFollower on real files: partial lines, cuts, rotation, compression, copytruncate, deletion."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from execlog_tui.sources.follower import (
    APPEARED,
    ARCHIVE_READ,
    DELETED,
    DIRECTORY_REPLACED,
    REAPPEARED,
    RECOVERED,
    ROTATED,
    TRUNCATED,
    WAITING,
    WARNING,
    LogFollower,
)
from execlog_tui.sources.reader import SourceWarning, read_batches
from tests.unit.follower.helpers import Collector, line


def write(p: Path, text: str | bytes) -> None:
    with open(p, "ab") as f:
        f.write(text.encode() if isinstance(text, str) else text)


def lines_text(a: int, b: int) -> str:
    return "".join(line(i) + "\n" for i in range(a, b))


def test_partial_line_waits_for_its_newline_and_multibyte_is_not_mangled(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_bytes(b"")
    with LogFollower(p) as f:
        text = "2025-09-09T10:00:00Z|API|CALL|1|SUCCESS|caf\u00e9 \u20ac\n".encode()
        cut_at = text.index("\u20ac".encode()) + 1  # inside the euro sign
        write(p, text[:cut_at])
        assert f.poll().lines == []
        write(p, text[cut_at:])
        assert f.poll().lines == [text[:-1].decode()]


def test_crlf_and_invalid_utf8(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_bytes(b"")
    with LogFollower(p) as f:
        write(p, b"a\r\nb\xff\n")
        assert f.poll().lines == ["a", "b\ufffd"]


def test_long_line_is_cut_once_its_newline_arrives_with_the_readers_warning(tmp_path: Path) -> None:
    # The one cut rule (sources/lines.py), as the history reader: the line is cut at the limit in bytes
    # (a character the cut goes through becomes U+FFFD) and taken when its newline arrives (SPEC 1).
    p = tmp_path / "execution.log"
    p.write_bytes(b"")
    with LogFollower(p, line_limit=100) as f:
        long = "x" * 99 + "\u00e9" + "y" * 300  # the cut at 100 bytes falls inside the e-acute
        write(p, "short\n" + long[:150])
        b1 = f.poll()
        write(p, long[150:] + "\nnext\n")
        b2 = f.poll()
        # The cut is said as soon as the line passes the limit (SPEC 1: a followed line may never end).
        assert b1.lines == ["short"] and b1.cut == set()
        assert [(e.kind, e.path, e.message) for e in b1.events] == [(WARNING, str(p), "line 2 cut at 100 bytes")]
        assert b2.lines == ["x" * 99 + "\ufffd", "next"] and b2.cut == {0} and b2.events == []
    history: list[SourceWarning] = []
    lines = [line for batch, _cut in read_batches(p, history, line_limit=100) for line in batch]
    assert lines == ["short", *b2.lines]
    assert [w.message for w in history] == [e.message for e in b1.events]


def test_long_lines_within_one_block(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_bytes(b"")
    with LogFollower(p, line_limit=10) as f:
        write(p, "a\n" + "b" * 30 + "\nc\n")
        b = f.poll()
        assert b.lines == ["a", "b" * 10, "c"] and b.cut == {1}


def test_start_at_end_and_history_limit(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_text(lines_text(0, 3) + "half-wri")
    with LogFollower(p, start_at_end=True) as f:
        lim = f.history_limit
        assert lim is not None and lim.applies_to(os.stat(p))
        # History reads [0, offset): exactly the complete lines; the half line is the follower's.
        assert p.read_bytes()[: lim.offset].decode() == lines_text(0, 3)
        write(p, "tten\n")
        assert f.poll().lines == ["half-written"]


def test_missing_file_is_waited_for(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    with LogFollower(p) as f:
        assert f.history_limit is None
        b = f.poll()
        assert [e.kind for e in b.events] == [WAITING] and b.lines == []
        assert f.poll().events == []  # said once
        p.write_text(lines_text(0, 2))
        b = f.poll()
        assert b.lines == [line(0), line(1)] and [e.kind for e in b.events] == [APPEARED]


def test_rename_rotation_reads_old_handle_to_end(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_text(lines_text(0, 2))
    with LogFollower(p) as f:
        c = Collector(f)
        c.poll()
        old = open(p, "a")
        os.rename(p, tmp_path / "execution.log.1")
        p.write_text(lines_text(3, 5))  # the writer reopened... but first a late line to the old file:
        old.write(line(2) + "\n")
        old.close()
        c.poll()
        assert c.lines == [line(i) for i in range(5)]
        assert ROTATED in c.events


def test_several_rotations_between_looks_with_compression(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_text(lines_text(0, 2))
    with LogFollower(p) as f:
        c = Collector(f)
        c.poll()
        write(p, lines_text(2, 4))
        # Rotation 1: A -> .1, B new.  Rotation 2: .1 -> .2, B -> .1, C new.  Then everything compressed
        # except the newest (delaycompress), and B compressed too in a second variant below.
        os.rename(p, tmp_path / "execution.log.1")
        p.write_text(lines_text(4, 7))
        os.rename(tmp_path / "execution.log.1", tmp_path / "execution.log.2")
        os.rename(p, tmp_path / "execution.log.1")
        p.write_text(lines_text(7, 9))
        os.rename(tmp_path / "execution.log.1", tmp_path / "execution.log.2.tmp")
        os.rename(tmp_path / "execution.log.2", tmp_path / "execution.log.3")
        os.rename(tmp_path / "execution.log.2.tmp", tmp_path / "execution.log.2")
        os.rename(p, tmp_path / "execution.log.1")
        p.write_text(lines_text(9, 10))
        for k in (3, 2):  # A (ours, via its fd) and B (never seen) compressed, originals removed
            src = tmp_path / f"execution.log.{k}"
            with open(src, "rb") as fi, gzip.open(f"{src}.gz", "wb") as fo:
                shutil.copyfileobj(fi, fo)
            src.unlink()
        # Mid-compression of .1 (C): the partial .gz must be ignored, .1 read.
        (tmp_path / "execution.log.1.gz").write_bytes(gzip.compress(b"junk")[:8])
        c.poll()
        assert c.lines == [line(i) for i in range(10)], c.lines
        assert c.events.count(ARCHIVE_READ) == 2


def test_copytruncate_recovers_from_copy_and_skips_nuls(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_text(lines_text(0, 2))
    with LogFollower(p) as f:
        c = Collector(f)
        c.poll()
        write(p, lines_text(2, 4))  # not yet read when logrotate copies
        shutil.copyfile(p, tmp_path / "execution.log.1")
        size = p.stat().st_size
        os.truncate(p, 0)
        # A writer without O_APPEND keeps its offset: a hole of NULs, then its next lines.
        with open(p, "r+b") as w:
            w.seek(size)
            w.write(lines_text(4, 6).encode())
        c.poll()
        assert c.lines == [line(i) for i in range(6)]
        assert TRUNCATED in c.events and RECOVERED in c.events


def test_truncate_without_copy_restarts_at_zero(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_text(lines_text(0, 3))
    with LogFollower(p) as f:
        c = Collector(f)
        c.poll()
        os.truncate(p, 0)
        write(p, lines_text(10, 11))
        c.poll()
        assert c.lines == [line(0), line(1), line(2), line(10)]
        assert TRUNCATED in c.events


def test_rewritten_file_longer_than_offset_is_noticed(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_text(lines_text(0, 1))
    with LogFollower(p) as f:
        c = Collector(f)
        c.poll()
        with open(p, "r+") as w:  # same inode, new content, longer than what we read
            w.write(lines_text(100, 103))
        c.poll()
        assert c.lines == [line(0), line(100), line(101), line(102)]
        assert TRUNCATED in c.events


def test_deleted_then_reappears(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_text(lines_text(0, 1))
    with LogFollower(p) as f:
        c = Collector(f)
        c.poll()
        w = open(p, "a")
        p.unlink()
        w.write(line(1) + "\n")  # the writer still has it open
        w.flush()
        c.poll()
        assert c.lines == [line(0), line(1)] and DELETED in c.events
        w.close()
        p.write_text(lines_text(2, 3))
        c.poll()
        assert c.lines == [line(0), line(1), line(2)] and REAPPEARED in c.events


def test_replaced_directory_is_followed(tmp_path: Path) -> None:
    d = tmp_path / "logs"
    d.mkdir()
    p = d / "execution.log"
    p.write_text(lines_text(0, 1))
    with LogFollower(p) as f:
        c = Collector(f)
        c.poll()
        d.rename(tmp_path / "logs.old")
        d.mkdir()
        (d / "execution.log.1").write_text(lines_text(50, 51))  # the new directory's own history
        p.write_text(lines_text(1, 2))
        c.poll()
        assert c.lines == [line(0), line(1)] and DIRECTORY_REPLACED in c.events


def test_wait_is_woken_by_a_write_from_another_process(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_text("")
    with LogFollower(p, poll_interval=5.0) as f:  # a long safety net: only watchfiles can wake it fast
        assert f.wait(0.3) is False  # also gives the watcher thread time to start watching
        subprocess.run([sys.executable, "-c", f"open({str(p)!r}, 'a').write('x\\n')"], check=True)
        t0 = time.monotonic()
        assert f.wait(4.0) is True
        assert time.monotonic() - t0 < 3.0  # woken by the event, not by the end of the wait
        assert f.poll().lines == ["x"]


def test_unreadable_or_odd_names_give_one_clear_event(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.mkdir()
    with LogFollower(p) as f:
        b = f.poll()
        assert [e.kind for e in b.events] == [WAITING] and "directory" in b.events[0].message
        p.rmdir()
        p.write_text(line(0) + "\n")
        assert f.poll().lines == [line(0)]


def _damaged_gzip(text: str) -> bytes:
    data = bytearray(gzip.compress(text.encode(), compresslevel=6))
    middle = len(data) // 2
    data[middle : middle + 64] = b"\xff" * 64  # garbage where a deflate block is expected
    return bytes(data)


def test_damaged_archive_never_seen_yields_what_it_can_with_the_readers_warning(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_text(lines_text(0, 2))
    with LogFollower(p) as f:
        c = Collector(f)
        c.poll()
        # Two rotations between looks: B (never seen) is compressed, and the archive is damaged.
        os.rename(p, tmp_path / "execution.log.1")
        p.write_text(lines_text(2, 20002))
        os.rename(tmp_path / "execution.log.1", tmp_path / "execution.log.2")
        os.rename(p, tmp_path / "execution.log.1")
        p.write_text(lines_text(20002, 20004))
        archive = tmp_path / "execution.log.1.gz"
        archive.write_bytes(_damaged_gzip(lines_text(2, 20002)))
        (tmp_path / "execution.log.1").unlink()
        b = c.poll()
        history: list[SourceWarning] = []
        salvaged = [text for batch, _cut in read_batches(archive, history) for text in batch]
        assert 5000 < len(salvaged) < 20000
        assert c.lines == [line(0), line(1), *salvaged, line(20002), line(20003)]
        warnings = [(e.path, e.message) for e in b.events if e.kind == WARNING]
        assert len(history) == 1 and history[0].message.startswith("damaged gzip archive: read up to line ")
        assert warnings == [(history[0].file, history[0].message)]
        assert ARCHIVE_READ in c.events


def test_follower_reads_the_members_the_log_set_names(tmp_path: Path) -> None:
    """One rotated-name grammar: what appears beside the live file is read by the follower exactly
    when the log set's discovery counts it as a member (temporary names, other sets and hidden bases
    are not)."""
    from execlog_tui.sources.logset import build_set

    p = tmp_path / "execution.log"
    p.write_text(lines_text(0, 1))
    names = {
        "execution.log.1": True,
        "execution.log-20250909": True,
        "execution.log.2.gz": True,
        "execution.log.3.tmp": False,
        "execution.log.4.gz.part": False,
        "execution.log.old": False,
        "other.log.1": False,
        ".execution.log.5": False,
    }
    with LogFollower(p) as f:
        c = Collector(f)
        c.poll()
        for k, name in enumerate(names):
            text = line(100 + k, f" {name}") + "\n"
            data = gzip.compress(text.encode()) if name.endswith(".gz") else text.encode()
            (tmp_path / name).write_bytes(data)
        members = {m.path.name for m in build_set(tmp_path, "execution.log").archives}
        assert members == {n for n, is_member in names.items() if is_member}
        os.rename(p, tmp_path / "execution.log.9")  # a rotation makes the follower scan the directory
        p.write_text(lines_text(1, 2))
        c.poll()
        read = {text.split(" ", 1)[1] for text in c.lines if " " in text}
        assert read == members


def test_a_line_growing_past_the_limit_is_warned_about_while_it_grows(tmp_path: Path) -> None:
    """SPEC 1: the cut is said as soon as the followed line passes the limit, not only once (if ever)
    its newline arrives; and once only."""
    p = tmp_path / "execution.log"
    p.write_text("")
    f = LogFollower(p, line_limit=1000)
    messages: list[str] = []
    try:
        with p.open("a") as w:
            w.write("2025-09-09T10:00:01.000Z|API|CALL|1|SUCCESS|")
            w.flush()
            for _ in range(4):
                w.write("y" * 400)
                w.flush()
                b = f.poll()
                assert not b.lines
                messages += [e.message for e in b.events if e.kind == "warning"]
            assert messages == ["line 1 cut at 1000 bytes"]
            w.write("\n2025-09-09T10:00:02.000Z|API|CALL|1|SUCCESS|z\n")
            w.flush()
            b = f.poll()
            assert [len(x) for x in b.lines] == [1000, 45] and b.cut == {0}
            assert not [e for e in b.events if e.kind == "warning"]
    finally:
        f.close()
