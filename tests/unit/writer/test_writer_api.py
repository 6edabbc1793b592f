"""The logger's helpers: alerts, `timed`, the bootstrap sequence, the `logging` handler, lifecycle."""

from __future__ import annotations

import logging

import pytest

from execlog_tui.core.entry import Entry
from execlog_tui.core.parser import parse_line
from execlog_tui.writer import ExecutionLogger, ExecutionLogHandler

T0 = 1757412000.0


class StepClock:
    """A scripted clock: each reading advances by `step` seconds."""

    def __init__(self, start: float = T0, step: float = 0.0) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> float:
        value = self.now
        self.now += self.step
        return value


def lines(path) -> list[str]:
    return path.read_text().splitlines()


def test_alert_hook_runs_for_error_and_critical_only(tmp_path):
    got = []
    path = tmp_path / "execution.log"
    with ExecutionLogger(path, alert_hook=got.append, clock=StepClock()) as log:
        log.log("CACHE", "LOOKUP", 1, "INFO", "fine")
        log.log("CACHE", "FAILURE", 5, "ERROR", "Cache operation failed", level="ERROR")
        log.log("API", "CALL", 9, "FAILURE", "down", level="critical")
        log.log("API", "CALL", 9, "FAILURE", "status column alone does not alert", level="WARNING")
    assert [(a.level, a.component, a.action, a.details) for a in got] == [
        ("ERROR", "CACHE", "FAILURE", "Cache operation failed"),
        ("CRITICAL", "API", "CALL", "down"),
    ]
    assert got[0].timestamp == "2025-09-09T10:00:00.000Z"
    assert len(lines(path)) == 4  # the level is not a column


def test_a_failing_alert_hook_is_reported_not_raised(tmp_path):
    reports = []

    def broken(alert):
        raise RuntimeError("pager down")

    with ExecutionLogger(tmp_path / "e.log", alert_hook=broken, error_hook=reports.append) as log:
        log.log("API", "CALL", 1, "FAILURE", "x", level="ERROR")
    assert reports == ["alert hook failed: RuntimeError: pager down"]


def test_timed_success_failure_and_override(tmp_path):
    path = tmp_path / "execution.log"
    with ExecutionLogger(path, clock=StepClock(step=0.015)) as log:
        with log.timed("CACHE", "FETCH", details="from source"):
            pass
        with pytest.raises(KeyError), log.timed("API", "CALL"):
            raise KeyError("user_pref")
        with log.timed("ROUTING", "DECIDE") as op:
            op.status = "DEGRADED"
            op.details = "fallback route"
    parsed = [parse_line(line) for line in lines(path)]
    assert all(isinstance(e, Entry) for e in parsed)
    assert [(e.component, e.action, e.duration_ms, e.status, e.details) for e in parsed] == [
        ("CACHE", "FETCH", 15.0, "SUCCESS", "from source"),
        ("API", "CALL", 15.0, "FAILURE", "KeyError: 'user_pref'"),
        ("ROUTING", "DECIDE", 15.0, "DEGRADED", "fallback route"),
    ]


def test_bootstrap_sequence_matches_the_seed(tmp_path):
    path = tmp_path / "execution.log"
    clock = StepClock()
    with ExecutionLogger(path, clock=clock) as log, log.bootstrap() as boot:
        clock.now += 0.048
        boot.core()
        clock.now += 0.090
        boot.parallel("6 threads completed")
        clock.now += 0.105
        boot.validate()
        clock.now += 0.011
    assert [line.split("|", 1)[1] for line in lines(path)] == [
        "BOOTSTRAP|START|0|INFO|Bootstrap sequence initiated",
        "BOOTSTRAP|CORE|48|SUCCESS|Core identity loaded",
        "BOOTSTRAP|PARALLEL|90|SUCCESS|6 threads completed",
        "BOOTSTRAP|VALIDATE|105|SUCCESS|All checks passed",
        "BOOTSTRAP|COMPLETE|254|SUCCESS|Ready in 254ms",
    ]


def test_failed_bootstrap_is_not_a_complete(tmp_path):
    path = tmp_path / "execution.log"
    alerts = []
    with (
        ExecutionLogger(path, clock=StepClock(step=0.01), alert_hook=alerts.append) as log,
        pytest.raises(OSError),
        log.bootstrap() as boot,
    ):
        boot.core()
        raise OSError("no config")
    last = parse_line(lines(path)[-1])
    assert isinstance(last, Entry)
    # The component's FAILURE line, as the seed's CACHE|FAILURE|5|ERROR: the run ends failed at CORE.
    assert (last.component, last.action, last.status) == ("BOOTSTRAP", "FAILURE", "ERROR")
    assert last.details == "Bootstrap failed after CORE: OSError: no config"
    assert "COMPLETE" not in path.read_text()
    assert [a.action for a in alerts] == ["FAILURE"]


def test_logging_handler_maps_records(tmp_path):
    path = tmp_path / "execution.log"
    alerts = []
    handler = ExecutionLogHandler(path=path, alert_hook=alerts.append)
    logger = logging.getLogger("app.cache")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.info("L1 cache hit key=%s", "a")
        logger.warning("slow", extra={"component": "api", "action": "call", "duration_ms": 250})
        try:
            raise ValueError("bad\nvalue")
        except ValueError:
            logger.exception("lookup failed", extra={"action": "LOOKUP"})
        logger.log(25, "custom level")
    finally:
        logger.removeHandler(handler)
        handler.close()
    parsed = [parse_line(line) for line in lines(path)]
    assert all(isinstance(e, Entry) for e in parsed)
    rows = [(e.component, e.action, e.duration_ms, e.status) for e in parsed]
    assert rows == [
        ("CACHE", "LOG", 0.0, "INFO"),
        ("API", "CALL", 250.0, "WARNING"),
        ("CACHE", "LOOKUP", 0.0, "ERROR"),
        ("CACHE", "LOG", 0.0, "INFO"),
    ]
    assert parsed[0].details == "L1 cache hit key=a"
    assert parsed[2].details.startswith("lookup failed\\nTraceback")
    assert "ValueError: bad\\nvalue" in parsed[2].details
    assert [a.action for a in alerts] == ["LOOKUP"]
    assert handler.execution_logger.closed


def test_closed_logger_and_bad_options(tmp_path):
    log = ExecutionLogger(tmp_path / "e.log")
    log.close()
    log.close()
    with pytest.raises(ValueError, match="closed"):
        log.log("A", "B", 1, "SUCCESS")
    with pytest.raises(ValueError, match="backups"):
        ExecutionLogger(tmp_path / "e.log", backups=-1)
    with pytest.raises(ValueError, match="max_file_bytes"):
        ExecutionLogger(tmp_path / "e.log", max_file_bytes=0)
    with pytest.raises(ValueError, match="max_bytes"):
        ExecutionLogger(tmp_path / "e.log", max_bytes=-1)
    with pytest.raises(ValueError, match="retention_days"):
        ExecutionLogger(tmp_path / "e.log", retention_days=-2)
    with pytest.raises(ValueError, match="either"):
        ExecutionLogHandler(log, path=tmp_path / "x.log")
