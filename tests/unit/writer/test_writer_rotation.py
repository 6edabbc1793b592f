"""Rotation naming, exact archive counts, retention, crash recovery and compression failure."""

from __future__ import annotations

import fcntl
import gzip
import multiprocessing
import os
import resource
import signal
import time

from writer_helpers import archive_names, entries, members, read_lines

from execlog_tui.writer import ExecutionLogger

LINE_DETAILS = "x" * 60


def write_numbered(log: ExecutionLogger, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        log.log("PERF", "TICK", i % 7, "SUCCESS", f"seq={i} {LINE_DETAILS}")


def seqs(path) -> list[int]:
    return [int(e.details.split()[0][4:]) for e in entries(str(path)) if e.action == "TICK"]


def test_delaycompress_naming_and_exactly_backups_archives(tmp_path):
    path = tmp_path / "execution.log"
    with ExecutionLogger(path, max_bytes=4096, backups=7) as log:
        write_numbered(log, 2000)  # ~190 KB: dozens of rotations
    names = archive_names(str(path))
    assert names == ["execution.log.1"] + [f"execution.log.{i}.gz" for i in range(2, 8)]
    # The newest lines are all there and in order; the oldest went with retention, nothing in between.
    got = seqs(path)
    assert got == list(range(got[0], 2000))
    assert got[0] > 0
    for name in members(str(path)):
        if name.endswith(".gz"):
            assert gzip.open(name).read()  # complete, valid gzip
    # Every file after a rotation starts with the ROTATE line, at INFO.
    for name in [str(path)] + [n for n in members(str(path))[1:]]:
        with open(name, "rb") as fh:
            data = fh.read()
        text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        assert text.split(b"\n", 1)[0].endswith(b"|SYSTEM|ROTATE|0|INFO|Log rotated")


def test_all_compressed_and_uncompressed_options(tmp_path):
    a = tmp_path / "a" / "execution.log"
    b = tmp_path / "b" / "execution.log"
    a.parent.mkdir()
    b.parent.mkdir()
    with ExecutionLogger(a, max_bytes=4096, backups=3, compress_first=True) as log:
        write_numbered(log, 300)
    with ExecutionLogger(b, max_bytes=4096, backups=3, compress=False) as log:
        write_numbered(log, 300)
    assert archive_names(str(a)) == [f"execution.log.{i}.gz" for i in (1, 2, 3)]
    assert archive_names(str(b)) == [f"execution.log.{i}" for i in (1, 2, 3)]
    assert seqs(a) == seqs(b) and seqs(a)[-1] == 299


def test_files_stay_within_max_bytes(tmp_path):
    path = tmp_path / "execution.log"
    with ExecutionLogger(path, max_bytes=4096, backups=50, compress=False) as log:
        write_numbered(log, 600)
    for name in members(str(path)):
        assert os.path.getsize(name) <= 4096
    assert seqs(path) == list(range(600))


def test_retention_by_age_on_start_and_on_rotation(tmp_path):
    path = tmp_path / "execution.log"
    with ExecutionLogger(path, max_bytes=4096, backups=20, retention_days=7) as log:
        write_numbered(log, 400)
    before = archive_names(str(path))
    assert len(before) >= 6
    old = time.time() - 8 * 86400
    for name in ("execution.log.4.gz", "execution.log.5.gz"):
        os.utime(tmp_path / name, (old, old))
    young = time.time() - 6 * 86400
    os.utime(tmp_path / "execution.log.3.gz", (young, young))
    with ExecutionLogger(path, max_bytes=4096, backups=20, retention_days=7) as log:
        after_start = archive_names(str(path))
        assert "execution.log.4.gz" not in after_start and "execution.log.5.gz" not in after_start
        assert "execution.log.3.gz" in after_start
        # An archive that ages while the logger runs goes at the next rotation.
        os.utime(tmp_path / "execution.log.2.gz", (old, old))
        assert log.wait_compressed()
        n = len(archive_names(str(path)))
        log.rotate()
        assert log.wait_compressed()  # .2.gz is shifted to .3.gz, then expired; the live file becomes .1
        assert "execution.log.3.gz" not in archive_names(str(path))
        assert len(archive_names(str(path))) == n  # one archive in, one out


def test_recovery_removes_orphan_tmp_keeps_live_one_and_settles_duplicates(tmp_path):
    path = tmp_path / "execution.log"
    with ExecutionLogger(path, max_bytes=4096, backups=20, compress=False) as log:
        write_numbered(log, 200)
    expected = seqs(path)
    plain3 = (tmp_path / "execution.log.3").read_bytes()
    # A crash mid-compression: a half-written temporary file.
    (tmp_path / "execution.log.2.gz.tmp").write_bytes(b"\x1f\x8b\x08\x00half")
    # A crash between commit and unlink: both NAME.4 and a (here: wrong) NAME.4.gz.
    (tmp_path / "execution.log.4.gz").write_bytes(gzip.compress(b"stale\n"))
    # A compression another process is running right now: its temporary file is locked.
    live_tmp = tmp_path / "execution.log.5.gz.tmp"
    fd = os.open(live_tmp, os.O_WRONLY | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    # A writer killed in the middle of a line.
    with open(path, "ab") as fh:
        fh.write(b"2025-09-09T10:00:00.000Z|PERF|TI")
    try:
        with ExecutionLogger(path, max_bytes=4096, backups=20, compress=True) as log:
            assert log.wait_compressed()
            log.log("PERF", "TICK", 1, "SUCCESS", f"seq=999999 {LINE_DETAILS}")
        assert not (tmp_path / "execution.log.2.gz.tmp").exists()
        assert live_tmp.exists()  # still owned by its (live) compressor
        assert gzip.open(tmp_path / "execution.log.3.gz").read() == plain3
        assert (
            not (tmp_path / "execution.log.4.gz").exists()
            or b"stale" not in gzip.open(tmp_path / "execution.log.4.gz").read()
        )
    finally:
        os.close(fd)
        os.unlink(live_tmp)
    # The torn line stays one bad line; the line written after it is whole.
    lines = [line for _, line in read_lines(str(path))]
    assert "2025-09-09T10:00:00.000Z|PERF|TI" in lines
    assert lines[-1].endswith(f"seq=999999 {LINE_DETAILS}")
    good = [line for line in lines if line != "2025-09-09T10:00:00.000Z|PERF|TI"]
    got = [int(line.split("|")[5].split()[0][4:]) for line in good if "|TICK|" in line]
    assert got == expected + [999999]


def _compress_with_small_fsize_limit(path: str, queue) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG, as on a full disk, instead of dying
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
    reports: list[str] = []
    log = ExecutionLogger(path, max_bytes=10**9, backups=20, error_hook=reports.append)
    log.wait_compressed()
    log.close()
    queue.put(reports)


def test_compression_failure_keeps_the_archive_and_reports_it(tmp_path):
    path = tmp_path / "execution.log"
    with ExecutionLogger(path, max_bytes=64 * 1024, backups=20, compress=False) as log:
        for i in range(1400):
            log.log("PERF", "TICK", 1, "SUCCESS", f"seq={i} {os.urandom(24).hex()}")
    plain2 = (tmp_path / "execution.log.2").read_bytes()
    assert len(plain2) > 20_000  # its gzip cannot fit under the 2 KB limit below
    path.write_bytes(b"")  # the report line must fit under the limit too
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_compress_with_small_fsize_limit, args=(str(path), queue))
    proc.start()
    reports = queue.get(timeout=30)
    proc.join(30)
    assert proc.exitcode == 0
    assert any("compression of" in r and "execution.log.2" in r for r in reports), reports
    assert (tmp_path / "execution.log.2").read_bytes() == plain2
    assert not (tmp_path / "execution.log.2.gz").exists()
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert "|SYSTEM|COMPRESS|0|WARNING|Compression of execution.log.2 failed" in path.read_text()
