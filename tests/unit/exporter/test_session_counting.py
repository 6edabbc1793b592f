"""A following session counts from the start of following (history not counted), rotations included."""

from __future__ import annotations

from pathlib import Path

from execlog_tui.exporter.metrics import session_reader
from execlog_tui.exporter.server import render
from execlog_tui.session import MonitorSession
from tests.unit.session.test_follow import poll_until

from .helpers import key, samples


def lines(start: int, count: int, status: str = "SUCCESS", comp: str = "API") -> str:
    return "".join(
        f"2026-01-01T00:{(i // 60) % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z|{comp}|CALL|5|{status}|i={i}\n"
        for i in range(start, start + count)
    )


def test_counters_start_at_zero_when_following_starts(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(lines(0, 100) + "garbage\n")
    with MonitorSession([str(log)], ring_capacity=1000, counting=True) as s:
        read = session_reader(s)
        assert s.wait_history(10)
        assert s.engine.counters is not None  # counting starts with the history's end, under one lock
        got = samples(render(read())[0].decode())  # type: ignore[arg-type]
        assert got[key("execlog_parse_errors_total")] == 0.0
        assert key("execlog_entries_total", component="API", status="SUCCESS") not in got
        # the gauges include the history
        assert got[key("execlog_last_entry_timestamp_seconds")] > 0
        with log.open("a") as f:
            f.write(lines(100, 20) + lines(120, 2, "CRASHED") + "also garbage\n" + lines(122, 3, "ERROR", "CACHE"))

        def entries() -> dict:
            return samples(render(read())[0].decode())  # type: ignore[arg-type]

        assert poll_until(lambda: entries().get(key("execlog_entries_total", component="CACHE", status="ERROR")) == 3)
        got = entries()
        assert got[key("execlog_entries_total", component="API", status="SUCCESS")] == 20.0
        assert got[key("execlog_entries_total", component="API", status="OTHER")] == 2.0
        assert got[key("execlog_parse_errors_total")] == 1.0
        assert got[key("execlog_operation_duration_seconds_count", component="API")] == 20.0
        assert got[key("execlog_operation_duration_seconds_bucket", component="API", le="0.005")] == 20.0
        assert got[key("execlog_operation_duration_seconds_count", component="CACHE")] == 3.0
        assert got[key("execlog_rotations_total")] == 0.0
        # a rename rotation
        log.rename(tmp_path / "execution.log.1")
        log.write_text(lines(200, 4))
        assert poll_until(lambda: entries().get(key("execlog_rotations_total")) == 1.0)
        assert poll_until(lambda: entries()[key("execlog_entries_total", component="API", status="SUCCESS")] == 24.0)


def test_a_session_that_does_not_count_has_no_counters(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(lines(0, 10))
    with MonitorSession([str(log)], ring_capacity=1000) as s:
        assert s.wait_history(10)
        scrape = session_reader(s)()
        assert scrape is not None and scrape.counters is None
        assert "execlog_entries_total" not in render(scrape)[0].decode()
