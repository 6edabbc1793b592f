"""The exporter's command line: -b --textfile, a real HTTP scrape of a running --exporter, the refusals."""

from __future__ import annotations

import gzip
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from .helpers import gauges_from_json, key, samples

ROOT = Path(__file__).resolve().parents[3]
SETS = [ROOT / "sample_logs" / "seed_sample.log", ROOT / "sample_logs" / "rotated"]
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "execlog_tui", *args], capture_output=True, text=True, timeout=60, env=ENV
    )


def poll_until(predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# ------------------------------------------------------------------------------------ the textfile
@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_textfile_holds_the_batch_reports_gauges(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "execlog.prom"
    done = run("-b", "--textfile", str(out), str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # the file is the output
    doc = json.loads(run("-b", "--json", str(path)).stdout)
    assert samples(out.read_text()) == gauges_from_json(doc)  # the gauges only: a one-shot report
    assert [p.name for p in tmp_path.iterdir()] == ["execlog.prom"]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o644 & ~umask  # node_exporter, another user, reads it


def test_textfile_at_a_time_and_replaced_by_a_rename(tmp_path: Path) -> None:
    out = tmp_path / "execlog.prom"
    out.write_text("old\n")
    before = out.stat().st_ino
    done = run("-b", "--at", "10:02:00", "--textfile", str(out), str(SETS[0]))
    assert done.returncode == 0, done.stderr
    assert out.stat().st_ino != before  # a new file renamed over the old one, never rewritten in place
    doc = json.loads(run("-b", "--json", "--at", "10:02:00", str(SETS[0])).stdout)
    assert samples(out.read_text()) == gauges_from_json(doc)


def test_textfile_that_cannot_be_written(tmp_path: Path) -> None:
    done = run("-b", "--textfile", str(tmp_path / "no" / "such" / "x.prom"), str(SETS[0]))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "cannot write" in done.stderr and "Traceback" not in done.stderr


# ------------------------------------------------------------------------------------ refusals
@pytest.mark.parametrize("address", ["nonsense:xx", "70000", ":9464", "[::1", "host:", "1.2.3.4:99999", ""])
def test_a_bad_address_is_one_line_and_status_2(address: str, tmp_path: Path) -> None:
    done = run("--exporter", address, str(SETS[0]))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--exporter" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_port_in_use_is_one_line_and_status_2(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        for args in (["--exporter", str(port)], ["-b", "-d", "1", "--metrics-listen", f"127.0.0.1:{port}"]):
            done = run(*args, str(SETS[0]))
            assert done.returncode == 2, done.stderr
            assert done.stderr.strip() == f"execlog-top: cannot listen on 127.0.0.1:{port}: Address already in use"


def processes_naming(text: str) -> list[int]:
    out = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().decode(errors="replace"):
                out.append(int(cmdline.parent.name))
        except OSError:
            continue
    return out


def test_a_dashboard_refused_its_port_leaves_no_history_child(tmp_path: Path) -> None:
    """The dashboard's session starts (its history's child forked) before the exporter's server: a port in
    use is still one line and status 2, and the child, which has the dashboard's command line, is gone."""
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(SETS[0], logs / "execution.log")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        done = run("--metrics-listen", f"127.0.0.1:{port}", "--no-cache", str(logs))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == f"execlog-top: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert poll_until(lambda: not processes_naming(str(logs))), processes_naming(str(logs))


@pytest.mark.parametrize(
    "args",
    [
        ["--exporter", "9464", "-b"],
        ["--exporter", "9464", "--replay"],
        ["--exporter", "9464", "--metrics-listen", "9465"],
        ["-b", "--metrics-listen", "9465"],
        ["--replay", "--metrics-listen", "9465"],
        ["-b", "--textfile", "x.prom", "--json"],
        ["-b", "-d", "1", "--textfile", "x.prom"],
        ["--textfile", "x.prom"],
        ["--prometheus-rules", "-b"],
    ],
)
def test_options_that_do_not_go_together(args: list[str]) -> None:
    done = run(*args, str(SETS[0]))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


# ------------------------------------------------------------------------------ a running exporter
def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _now_ms() -> int:
    return int(time.time() * 1000)


class Running:
    """A subprocess that prints `serving http://HOST:PORT/metrics` on stderr; its stderr read by a thread."""

    def __init__(self, args: list[str], **popen: object) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "execlog_tui", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
            **popen,  # type: ignore[arg-type]
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        line = self.wait_line(lambda s: "serving http://" in s)
        self.base = line.split("serving ")[1].split("/metrics")[0]

    def _pump(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_line(self, pred: Callable[[str], bool], timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if pred(line):
                return line
        raise AssertionError(f"no such line on stderr; saw {self.seen!r}, exit {self.proc.poll()}")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        req = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def scrape(self, headers: dict[str, str] | None = None) -> dict:
        status, _h, body = self.get("/metrics", headers)
        assert status == 200, body
        return samples(body.decode(), openmetrics="openmetrics" in (headers or {}).get("Accept", ""))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=20)


@pytest.fixture
def exporter(tmp_path: Path) -> Iterator[tuple[Running, Path, int]]:
    log = tmp_path / "execution.log"
    t0 = _now_ms() - 5000
    log.write_text(
        "".join(f"{_iso(t0 + 100 * i)}|API|CALL|{i % 7 + 1}|SUCCESS|i={i}\n" for i in range(40))
        + f"{_iso(t0 + 4000)}|BOOTSTRAP|COMPLETE|254|INFO|ready\nnot a line\n"
    )
    r = Running(["--exporter", "127.0.0.1:0", str(log)])
    try:
        yield r, log, t0 + 4000
    finally:
        r.stop()


def test_a_real_scrape_of_a_running_exporter(exporter: tuple[Running, Path, int]) -> None:
    r, log, newest = exporter
    assert r.get("/-/healthy")[0] == 200
    assert r.get("/nowhere")[0] == 404
    assert poll_until(lambda: r.get("/metrics")[0] == 200)  # 503 only while the history is read
    status, headers, body = r.get("/metrics")
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    got = samples(body.decode())
    # The gauges include the history; the counters start at 0 when following starts.
    assert got[key("execlog_last_entry_timestamp_seconds")] == newest / 1000
    assert got[key("execlog_bootstrap_seconds")] == 0.254
    assert got[key("execlog_breaker_state", component="API", state="closed")] == 1.0
    assert got[key("execlog_parse_errors_total")] == 0.0
    assert not [k for k in got if k[0] == "execlog_entries_total"]
    assert got[key("execlog_requests_per_second", window="1m")] in (41 / 60, 0.0)  # 0 once a minute passed
    # OpenMetrics by the Accept header, and gzip when asked
    status, headers, body = r.get("/metrics", {"Accept": OPENMETRICS})
    assert headers["Content-Type"].startswith("application/openmetrics-text")
    om = samples(body.decode(), openmetrics=True)
    assert om[key("execlog_bootstrap_seconds")] == 0.254
    status, headers, body = r.get("/metrics", {"Accept-Encoding": "gzip"})
    assert headers.get("Content-Encoding") == "gzip"
    assert samples(gzip.decompress(body).decode())[key("execlog_bootstrap_seconds")] == 0.254
    if shutil.which("promtool"):
        check = subprocess.run(["promtool", "check", "metrics"], input=r.get("/metrics")[2], capture_output=True)
        assert check.returncode == 0, check.stderr


def test_counters_move_as_lines_are_appended(exporter: tuple[Running, Path, int]) -> None:
    r, log, _newest = exporter
    assert poll_until(lambda: r.get("/metrics")[0] == 200)
    t = _now_ms()
    with log.open("a") as f:
        for i in range(20):
            f.write(f"{_iso(t + i)}|API|CALL|{i + 1}|SUCCESS|x\n")
        for i in range(4):
            f.write(f"{_iso(t + 20 + i)}|CACHE|{'HIT' if i < 3 else 'MISS'}|1|SUCCESS|x\n")
        f.write(f"{_iso(t + 30)}|CACHE|GET|600|ERROR|x\ngarbage\n")
        f.write(f"{_iso(t + 3_600_000)}|API|CALL|1|SUCCESS|from the future\n")

    def done() -> bool:
        got = r.scrape()
        return got.get(key("execlog_future_entries_total")) == 1.0

    assert poll_until(done)
    got = r.scrape()
    assert got[key("execlog_entries_total", component="API", status="SUCCESS")] == 20.0
    assert got[key("execlog_entries_total", component="CACHE", status="SUCCESS")] == 4.0
    assert got[key("execlog_entries_total", component="CACHE", status="ERROR")] == 1.0
    assert got[key("execlog_cache_lookups_total", result="hit")] == 3.0
    assert got[key("execlog_cache_lookups_total", result="miss")] == 1.0
    assert got[key("execlog_parse_errors_total")] == 1.0
    # durations 1..20 ms: 5 at or under 5 ms, 10 under 10, 20 under 25; CACHE's 600 ms error under 1 s
    assert got[key("execlog_operation_duration_seconds_bucket", component="API", le="0.005")] == 5.0
    assert got[key("execlog_operation_duration_seconds_bucket", component="API", le="0.01")] == 10.0
    assert got[key("execlog_operation_duration_seconds_bucket", component="API", le="0.025")] == 20.0
    assert got[key("execlog_operation_duration_seconds_count", component="API")] == 20.0
    assert got[key("execlog_operation_duration_seconds_sum", component="API")] == pytest.approx(0.21)
    assert got[key("execlog_operation_duration_seconds_bucket", component="CACHE", le="0.5")] == 4.0
    assert got[key("execlog_operation_duration_seconds_bucket", component="CACHE", le="1.0")] == 5.0
    # a rename rotation
    log.rename(log.with_name("execution.log.1"))
    log.write_text(f"{_iso(_now_ms())}|API|CALL|1|SUCCESS|after\n")
    assert poll_until(lambda: r.scrape().get(key("execlog_rotations_total")) == 1.0)
    assert poll_until(lambda: r.scrape()[key("execlog_entries_total", component="API", status="SUCCESS")] == 21.0)


def test_sigterm_stops_it_cleanly_and_frees_the_port(exporter: tuple[Running, Path, int]) -> None:
    r, _log, _newest = exporter
    port = int(r.base.rsplit(":", 1)[1])
    assert r.stop() == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # released


def test_batch_follow_serves_while_it_reports(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(f"{_iso(_now_ms())}|API|CALL|3|SUCCESS|x\n")
    r = Running(["-b", "-d", "0.2", "--json", "--metrics-listen", "127.0.0.1:0", str(log)])
    try:
        assert poll_until(lambda: r.get("/metrics")[0] == 200)
        with log.open("a") as f:
            f.write(f"{_iso(_now_ms())}|API|CALL|3|FAILURE|x\n")
        key_ = key("execlog_entries_total", component="API", status="FAILURE")
        assert poll_until(lambda: r.scrape().get(key_) == 1.0)
    finally:
        r.stop()
