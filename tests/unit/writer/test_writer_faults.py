"""The writer under faults it cannot prevent: a full disk (a real tmpfs), a broken clock, bad input."""

from __future__ import annotations

import logging
import math
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from execlog_tui.core.entry import Entry
from execlog_tui.core.parser import parse_line
from execlog_tui.writer.format import MAX_DURATION_MS
from execlog_tui.writer.handler import ExecutionLogHandler
from execlog_tui.writer.logger import ERRORS_KEPT, ExecutionLogger


class Clock:
    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 0.001
        return self.now


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs, so that write() really comes back short and then fails with ENOSPC."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


PAD = "x" * 71  # a 100-byte line: lines do not end on page boundaries, so the one that fills the disk is torn


def test_full_disk_tears_at_most_one_line_and_the_next_line_starts_clean(small_disk: Path) -> None:
    path = small_disk / "execution.log"
    heard: list[str] = []
    logger = ExecutionLogger(
        path, max_bytes=0, compress=False, retention_days=None, clock=Clock(), error_hook=heard.append
    )
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * 32 * 1024)
    written = 0
    while logger.error_count == 0:
        assert written < 1000, "the 64 KiB disk never filled"
        logger.log("API", "CALL", 5, "SUCCESS", f"n={written:06d} {PAD}")
        written += 1
    for i in range(20_000):  # the disk stays full: every one of these is dropped
        logger.log("API", "CALL", 5, "SUCCESS", f"full={i:06d} {PAD}")
    assert logger.error_count == logger.dropped_lines == 20_001
    assert len(logger.errors) == ERRORS_KEPT  # bounded: the newest messages, the count of all
    assert len(heard) == 1 and "No space left" in heard[0]  # one message for the burst, not one per line

    filler.unlink()  # space returns
    for i in range(50):
        logger.log("API", "CALL", 5, "SUCCESS", f"after={i:03d}")
    logger.close()
    assert len(heard) == 2 and "resumed after 20,001 dropped lines" in heard[1]

    lines = [line for line in path.read_bytes().decode("utf-8").split("\n") if line.strip()]
    whole = [p for p in map(parse_line, lines) if isinstance(p, Entry) and p.status == "SUCCESS"]
    good = re.compile(r"n=\d{6} x{71}|after=\d{3}")
    assert len(lines) - sum(1 for e in whole if good.fullmatch(e.details)) <= 1  # the torn line, no other
    assert [e.details for e in whole if e.details.startswith("after=")] == [f"after={i:03d}" for i in range(50)]
    assert [e.details for e in whole if e.details.startswith("n=")][: written - 2] == [
        f"n={i:06d} {PAD}" for i in range(written - 2)
    ]


def test_a_process_that_tore_a_line_and_died_leaves_the_next_writer_a_clean_start(small_disk: Path) -> None:
    """The torn-line flag lives in the lock file: a new logger (another process) sees it."""
    path = small_disk / "execution.log"
    first = ExecutionLogger(
        path, max_bytes=0, compress=False, retention_days=None, clock=Clock(), error_hook=lambda m: None
    )
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * 32 * 1024)
    while first.error_count == 0:
        first.log("API", "CALL", 5, "SUCCESS", f"first {PAD}")
    # Still full: the second writer cannot end the fragment at start-up, and must not raise.
    second = ExecutionLogger(
        path, max_bytes=0, compress=False, retention_days=None, clock=Clock(), error_hook=lambda m: None
    )
    filler.unlink()
    second.log("API", "CALL", 7, "SUCCESS", "second")
    first.close()
    second.close()
    last = path.read_bytes().decode("utf-8").rstrip("\n").split("\n")[-1]
    parsed = parse_line(last)
    assert isinstance(parsed, Entry) and parsed.details == "second" and parsed.duration_ms == 7


def test_a_lone_surrogate_in_details_is_written_escaped(tmp_path: Path) -> None:
    path = tmp_path / "execution.log"
    with ExecutionLogger(path, compress=False, clock=Clock()) as logger:
        logger.log("API", "CALL", 1, "SUCCESS", "bad \ud800 and \udcff end")
        logger.log("API", "CALL", 1, "SUCCESS", "next")
    lines = path.read_bytes().decode("utf-8").splitlines()  # strict: the file is valid UTF-8
    parsed = [parse_line(line) for line in lines]
    assert [p.details for p in parsed if isinstance(p, Entry)] == ["bad \\ud800 and \\udcff end", "next"]


@pytest.mark.parametrize(
    ("given", "written"),
    [
        (-5, "0"),
        ("12", "12"),
        (" 13.5 ", "13.5"),
        ("abc", "0"),
        (None, "0"),
        (float("nan"), "0"),
        (-0.5, "0"),
        (7.25, "7.25"),
        (1e308, "0"),  # more than MAX_DURATION_MS: refused by log(), so 0 here like the others
        (10**400, "0"),
        ("9" * 309, "0"),
        (MAX_DURATION_MS, str(MAX_DURATION_MS)),
    ],
)
def test_the_logging_handler_writes_every_record_whatever_its_duration(
    tmp_path: Path, given: object, written: str
) -> None:
    path = tmp_path / "execution.log"
    handler = ExecutionLogHandler(path=path, compress=False)
    log = logging.getLogger(f"test.handler.duration.{id(given)}")
    log.propagate = False
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        log.info("done", extra={"duration_ms": given})
    finally:
        log.removeHandler(handler)
        handler.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and lines[0].split("|")[3] == written


@pytest.mark.parametrize("reading", [-62_135_596_800.5, 253_402_300_800.0, 1e300, float("nan"), float("inf")])
def test_a_clock_outside_the_years_0001_to_9999_is_refused_and_counted(tmp_path: Path, reading: float) -> None:
    path = tmp_path / "execution.log"
    heard: list[str] = []
    with ExecutionLogger(path, compress=False, clock=lambda: reading, error_hook=heard.append) as logger:
        logger.log("API", "CALL", 1, "SUCCESS", "lost")  # no exception: the clock is not the caller's fault
        logger.log_at(0.0, "API", "CALL", 1, "SUCCESS", "kept")
        assert logger.dropped_lines == 1 and logger.error_count == 1
    assert len(heard) == 2 and ("0001-9999" in heard[0] or "not a time" in heard[0])
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and isinstance(parse_line(lines[0]), Entry)  # nothing the reader would refuse


def test_the_clock_edges_are_written_as_readers_accept_them(tmp_path: Path) -> None:
    path = tmp_path / "execution.log"
    with ExecutionLogger(path, compress=False) as logger:
        logger.log_at(-62_135_596_800.0, "API", "CALL", 1, "SUCCESS", "first")
        logger.log_at(253_402_300_799.999, "API", "CALL", 1, "SUCCESS", "last")
    lines = path.read_text().splitlines()
    assert [line[:24] for line in lines] == ["0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"]
    assert all(isinstance(parse_line(line), Entry) for line in lines)


def test_durations_near_1e308_are_refused_and_the_longest_written_ones_sum_finitely(tmp_path: Path) -> None:
    """Issue 13: the reader takes up to 308 digits, and three durations near 1e308 overflow a sum (the
    average is then null). The writer writes at most MAX_DURATION_MS (10,000 years): log() refuses more
    with ValueError, as it refuses a negative or NaN duration (the caller's argument, not the
    environment), and writes nothing for it."""
    path = tmp_path / "execution.log"
    with ExecutionLogger(path, compress=False, clock=Clock()) as logger:
        for bad in (1e308, 10**308, float(MAX_DURATION_MS) * 2):
            with pytest.raises(ValueError, match="duration_ms must be at most"):
                logger.log("API", "CALL", bad, "SUCCESS", "refused")
        for _ in range(3):
            logger.log("API", "CALL", MAX_DURATION_MS, "SUCCESS", "longest")
        assert logger.dropped_lines == 0 and logger.error_count == 0
    parsed = [parse_line(line) for line in path.read_text().splitlines()]
    assert all(isinstance(p, Entry) for p in parsed) and len(parsed) == 3
    durations = [p.duration_ms for p in parsed if isinstance(p, Entry)]
    assert durations == [float(MAX_DURATION_MS)] * 3
    assert math.isfinite(sum(durations) * 1e9)  # a billion of them still sum to a number


def test_a_clock_jumping_inside_a_timed_body_writes_a_duration_the_reader_takes(tmp_path: Path) -> None:
    """Durations the writer measures itself are clamped, never raised out of the service's `with`."""
    # Each timed() reads the clock at the start and the end, then once more for the line's timestamp.
    readings = iter([1.0, 1.0 + 1e300, 1.0, 1.0, 1.0 - 50.0, 1.0])
    path = tmp_path / "execution.log"
    with ExecutionLogger(path, compress=False, clock=lambda: next(readings), retention_days=None) as logger:
        with logger.timed("API", "CALL"):  # timer 1.0 -> 1e300: clamped to MAX_DURATION_MS
            pass
        with logger.timed("API", "CALL"):  # timer 1.0 -> -49.0 (a clock stepping back): 0
            pass
    parsed = [parse_line(line) for line in path.read_text().splitlines()]
    assert [p.duration_ms for p in parsed if isinstance(p, Entry)] == [float(MAX_DURATION_MS), 0.0]
