"""The dashboard's evidence: from the ring when it holds the window, from the files otherwise (an
archive member the ring never held), with file:line either way; the ring's origins themselves."""

from __future__ import annotations

import gzip
import threading
import time
from pathlib import Path

from execlog_tui.core.config import Config
from execlog_tui.evidence import collect_batch, collect_evidence
from execlog_tui.session import MonitorSession
from execlog_tui.sources.logset import discover
from tests.unit.evidence.gen import BASE, entry


def _archive_set(d: Path) -> tuple[Path, int]:
    """An archive with errors at 10:00:0x, then a live file of 300 quiet lines up to 10:05."""
    old = [entry(BASE + i * 500, "API", "CALL", "5", "ERROR" if i % 3 == 0 else "SUCCESS") for i in range(12)]
    (d / "execution.log.1.gz").write_bytes(gzip.compress("".join(x + "\n" for x in old).encode()))
    new = [entry(BASE + 10_000 + i * 1000, "API", "CALL", "7", "SUCCESS") for i in range(300)]
    (d / "execution.log").write_text("".join(x + "\n" for x in new))
    return d / "execution.log", BASE + 10_000 + 299 * 1000


def _session(path: Path, newest: int, capacity: int) -> MonitorSession:
    s = MonitorSession([str(path)], Config(), ring_capacity=capacity, follow=False, wall_clock=lambda: newest)
    s.start()
    assert s.wait_history(30)
    return s


def _file_line(file: str, line: int) -> str:
    data = Path(file).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode().split("\n")[line - 1]


def test_an_archive_member_not_in_the_ring_is_read_for_the_evidence(tmp_path: Path) -> None:
    live, newest = _archive_set(tmp_path)
    session = _session(live, newest, capacity=100)
    try:
        seen: list[tuple[int, int]] = []
        got = collect_evidence(session, "error_rate", "1h", progress=lambda a, b: seen.append((a, b)))
        assert got.source == "files"
        assert got.total == session.snapshot().windows["1h"].errors == 4
        assert {r.file for r in got.rows} == {str(tmp_path / "execution.log.1.gz")}
        assert [r.line for r in got.rows] == [1, 4, 7, 10]
        assert all(_file_line(r.file, r.line) == r.raw for r in got.rows)
        assert seen and seen[-1][0] == seen[-1][1] > 0
        batch, _snap = collect_batch(discover([str(live)]), Config(), "error_rate", "1h")
        assert [(r.file, r.line, r.raw) for r in batch.rows] == [(r.file, r.line, r.raw) for r in got.rows]
        cancel = threading.Event()
        cancel.set()
        assert collect_evidence(session, "error_rate", "1h", cancel=cancel).cancelled
    finally:
        session.stop()


def test_a_window_the_ring_holds_is_served_from_it_with_file_and_line(tmp_path: Path) -> None:
    live, newest = _archive_set(tmp_path)
    session = _session(live, newest, capacity=1000)  # the whole history
    try:
        for figure, window in (("requests", "1m"), ("error_rate", "1h"), ("breaker:API", None)):
            got = collect_evidence(session, figure, window)
            assert got.source == "ring"
            batch, _snap = collect_batch(discover([str(live)]), Config(), figure, window)
            assert got.total == batch.total
            assert [(r.file, r.line, r.mark) for r in got.rows] == [(r.file, r.line, r.mark) for r in batch.rows]
        assert collect_evidence(session, "requests", "1m").total == session.snapshot().windows["1m"].entries == 60
    finally:
        session.stop()
    # A ring holding only part of the live file cannot tell what the rest held: the files are read.
    session = _session(live, newest, capacity=100)
    try:
        got = collect_evidence(session, "requests", "1m")
        assert got.source == "files" and got.total == 60 and got.rows[-1].line == 300
    finally:
        session.stop()


def test_the_ring_knows_where_each_history_line_came_from(tmp_path: Path) -> None:
    live, newest = _archive_set(tmp_path)
    (tmp_path / "execution.log").write_text(live.read_text().replace("\n", "\n\n", 3))  # blank lines count
    session = _session(live, newest, capacity=305)
    try:
        ring = session.ring
        raws, _flags = ring.lines_newest(len(ring))
        assert len(raws) == 302  # the newest 305 lines read, 3 of them blank
        for i in (0, 1, 2, 3, 4, 5, 6, 100, 301):
            origin = ring.origin(i)
            assert origin is not None
            assert _file_line(*origin) == raws[i], (i, origin)
        assert ring.origin(0) == (str(tmp_path / "execution.log.1.gz"), 11)
        assert ring.origin(-1) == (str(live), 303)
        assert ring.origins_newest(2) == [ring.origin(300), ring.origin(301)]
    finally:
        session.stop()


def _wait(predicate, timeout: float = 20.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_followed_lines_have_their_origin_across_a_rotation(tmp_path: Path) -> None:
    live = tmp_path / "execution.log"
    live.write_text("".join(entry(BASE + i, "API", "CALL", "1", "SUCCESS") + "\n" for i in range(5)))
    session = MonitorSession([str(live)], Config(), ring_capacity=1000)
    session.start()
    try:
        assert session.wait_history(30)
        _wait(lambda: session.mode == "following")
        with live.open("a") as f:
            f.write("\n" + entry(BASE + 10, "API", "CALL", "1", "SUCCESS") + "\n")
        _wait(lambda: session.ring.total >= 6)
        assert session.ring.origin(-1) == (str(live), 7)
        live.rename(tmp_path / "execution.log.1")
        live.write_text("".join(entry(BASE + 20 + i, "API", "CALL", "1", "SUCCESS") + "\n" for i in range(3)))
        _wait(lambda: session.ring.total >= 9)
        assert [session.ring.origin(i) for i in (-3, -2, -1)] == [(str(live), 1), (str(live), 2), (str(live), 3)]
    finally:
        session.stop()
