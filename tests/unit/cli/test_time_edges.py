"""Timestamps at and past SPEC 1's range, dates before 1970 and entries from the future (SPEC 3), on
real files: batch (both feed paths), `-b -d` following a file being appended to, and the CLI's own
times (`-d`, `--at`, `--from`)."""

from __future__ import annotations

import io
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from execlog_tui.core.timefmt import format_ts
from execlog_tui.follow_batch import FollowBatchOptions, run_follow_batch
from execlog_tui.session import MonitorSession
from tests.unit.cli.helpers import PATHS, ROOT, batch_json, run

DEADLINE_S = 30.0
YEAR_10000 = "9999-12-31T23:00:00.000-12:00|API|CALL|5|SUCCESS|x"
YEAR_0 = "0001-01-01T00:00:00.000+14:00|API|CALL|5|SUCCESS|x"


def now_line(status: str = "FAILURE", offset_ms: int = 0) -> str:
    return f"{format_ts(int(time.time() * 1000) + offset_ms)}|API|CALL|10|{status}|x"


@pytest.mark.parametrize("env", PATHS)
@pytest.mark.parametrize("bad", [YEAR_10000, YEAR_0])
def test_a_timestamp_past_the_range_is_a_parse_error_in_batch(tmp_path: Path, bad: str, env) -> None:  # noqa: ANN001
    log = tmp_path / "execution.log"
    log.write_text(
        f"2025-09-09T10:00:00.000Z|API|CALL|5|SUCCESS|x\n{bad}\n2025-09-09T10:00:01.000Z|API|CALL|5|FAILURE|x\n"
    )
    _, j = batch_json(str(log), env=env)
    assert (j["source"]["entries"], j["source"]["parse_errors"]) == (2, 1)
    assert j["as_of"] == "2025-09-09T10:00:01.000Z"
    text = run("-b", str(log), env=env)
    assert text.returncode == 0 and "Traceback" not in text.stderr


def test_following_survives_a_line_past_the_range(tmp_path: Path) -> None:
    """Appended to a followed file, the line is a parse error: the report loop goes on (it used to
    raise in format_ts and end the dashboard and `-b -d`)."""
    log = tmp_path / "execution.log"
    log.write_text(now_line("SUCCESS") + "\n")
    out, err, stop = io.StringIO(), io.StringIO(), threading.Event()
    status: list[int] = []
    session = MonitorSession([str(log)])
    thread = threading.Thread(
        target=lambda: status.append(
            run_follow_batch(session, FollowBatchOptions(delay=0.05, json=True), out=out, err=err, stop=stop)
        )
    )
    thread.start()
    try:
        deadline = time.monotonic() + DEADLINE_S
        while '"entries": 1' not in out.getvalue():
            assert time.monotonic() < deadline and thread.is_alive(), err.getvalue()
            time.sleep(0.02)
        with log.open("a") as f:
            f.write(f"{YEAR_10000}\n{YEAR_0}\n{now_line('SUCCESS')}\n")

        def last() -> dict:
            lines = out.getvalue().splitlines()
            return json.loads(lines[-1]) if lines else {}

        while last().get("source", {}).get("entries") != 2:
            assert time.monotonic() < deadline and thread.is_alive(), err.getvalue()
            time.sleep(0.02)
        assert last()["source"]["parse_errors"] == 2
        assert session.error is None
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive() and status == [0], err.getvalue()


@pytest.mark.parametrize("env", PATHS)
def test_dates_before_1970_are_in_the_figures(tmp_path: Path, env) -> None:  # noqa: ANN001
    log = tmp_path / "execution.log"
    log.write_text(
        "1969-12-31T23:59:58.000Z|API|CALL|4|SUCCESS|x\n"
        "1969-12-31T23:59:59.000Z|API|CALL|6|SUCCESS|x\n"
        "1969-12-31T23:59:59.500Z|API|CALL|8|FAILURE|x\n"
    )
    _, j = batch_json(str(log), env=env)
    one = j["windows"]["1m"]
    assert (one["entries"], one["errors"], one["avg_response_ms"]) == (3, 1, 6.0)
    assert j["components"]["API"]["entries"] == 3
    old = tmp_path / "old" / "execution.log"
    old.parent.mkdir()
    old.write_text("".join(f"0001-01-01T00:00:{s:02d}.000Z|API|CALL|5|SUCCESS|x\n" for s in range(5)))
    _, j = batch_json(str(old), env=env)
    assert j["as_of"] == "0001-01-01T00:00:04.000Z"
    assert j["windows"]["1m"]["entries"] == 5 and j["components"]["API"]["entries"] == 5


@pytest.mark.parametrize("env", PATHS)
def test_an_overflowing_duration_sum_gives_avg_and_band_null_and_309_digits_a_parse_error(
    tmp_path: Path,
    env,  # noqa: ANN001
) -> None:
    log = tmp_path / "execution.log"
    big = "9" * 308
    log.write_text(
        "".join(f"2025-09-09T10:00:0{i}.000Z|API|CALL|{big}|SUCCESS|x\n" for i in range(3))
        + "2025-09-09T10:00:04.000Z|API|CALL|1"
        + "0" * 308
        + "|SUCCESS|x\n"
    )
    _, j = batch_json(str(log), env=env)
    one = j["windows"]["1m"]
    assert j["source"]["parse_errors"] == 1 and one["entries"] == 3
    assert one["avg_response_ms"] is None and one["bands"]["response_time"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-b", "-d", "1e300"], "expected at most 86,400 seconds"),
        (["-b", "-d", "inf"], "expected at most 86,400 seconds"),
        (["-b", "--at", "9999-12-31T23:00:00-12:00"], "--at: impossible date, time or offset"),
        (["-b", "--at", "0001-01-01T00:00:00+14:00"], "--at: impossible date, time or offset"),
        (["--replay", "--from", "0001-01-01T00:00:00+14:00"], "--from: impossible date, time or offset"),
    ],
)
def test_command_line_times_out_of_range_are_one_line_errors(tmp_path: Path, args: list[str], message: str) -> None:
    log = tmp_path / "execution.log"
    log.write_text("2025-09-09T10:00:00.000Z|API|CALL|5|SUCCESS|x\n")
    out = run(*args, str(log))
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_batch_follow_keeps_an_incident_through_a_future_line(tmp_path: Path) -> None:
    """`-b -d 1` on a file being appended to: a 100 % FAILURE burst, one line dated 2099, more
    FAILUREs. The 2099 line is counted in `source.future` and nothing else: the error-rate and breaker
    alerts keep firing and the later FAILUREs count (they used to count as late, 1m error rate 0 %)."""
    log = tmp_path / "execution.log"
    log.write_text("".join(now_line(offset_ms=-5000 + i * 100) + "\n" for i in range(10)))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "execlog_tui", "-b", "--json", "-d", "1", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    reports: queue.Queue[dict] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            reports.put(json.loads(line))

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + DEADLINE_S

    def next_report() -> dict:
        left = deadline - time.monotonic()
        assert left > 0, "no report in time"
        try:
            return reports.get(timeout=left)
        except queue.Empty:
            stderr = proc.stderr.read() if proc.stderr is not None and proc.poll() is not None else ""
            raise AssertionError(f"no report in time: {stderr}") from None

    try:
        while next_report()["source"]["entries"] < 10:
            pass
        with log.open("a") as f:
            f.write("2099-01-01T00:00:00.000Z|API|CALL|1|SUCCESS|from the future\n")
            f.write("".join(now_line() + "\n" for _ in range(5)))
        while (j := next_report())["source"]["entries"] < 16:
            pass
        assert j["source"]["future"] == 1
        assert j["as_of"] < "2099"  # the clock is the wall clock, not the future line's
        one = j["windows"]["1m"]
        assert (one["entries"], one["errors"], one["error_rate"]) == (15, 15, 100.0)
        firing = {a["name"] for a in j["alerts"] if a["resolved"] is None}
        assert {"error_rate", "breaker:API"} <= firing
        assert any("ahead of the wall clock" in w["message"] for w in j["source"]["warnings"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_time_of_day_takes_its_date_from_the_newest_entry_not_from_the_future(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(
        "2025-09-09T10:00:00.000Z|API|CALL|5|SUCCESS|x\n"
        "2025-09-09T10:00:09.000Z|API|CALL|5|SUCCESS|x\n"
        "2099-01-01T00:00:00.000Z|API|CALL|5|SUCCESS|from the future\n"
    )
    _, j = batch_json("--at", "10:00:05", str(log))
    assert j["as_of"] == "2025-09-09T10:00:05.000Z"
    assert j["source"]["entries"] == 1
