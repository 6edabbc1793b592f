"""Bounded up front (issue 13): --buffer against the memory limit; the alert log outside the watched set."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import run

LINE = "2025-09-09T10:00:00.000Z|API|CALL|5|SUCCESS|ok\n"


def test_buffer_beyond_the_memory_limit_is_refused_before_reading(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(LINE)
    out = run("--buffer", "5000000", str(log))
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "execlog-top: --buffer 5000000: at most 409,600 lines with a memory limit of 100 MB "
        "(SAFEGUARDS.memory_protection.limit; raise it to keep more)"
    )


def test_a_higher_memory_limit_allows_a_larger_buffer(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text(LINE)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("SAFEGUARDS:\n  memory_protection:\n    limit: 200MB per session\n")
    out = run("--config", str(cfg), "--buffer", "900000", str(log))
    assert out.returncode == 2 and "at most 819,200 lines with a memory limit of 200 MB" in out.stderr


@pytest.mark.parametrize("name", ["execution.log", "execution.log.1", "execution.log-20250909.gz"])
def test_alert_log_inside_the_watched_set_is_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / "execution.log").write_text(LINE)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"MONITORING:\n  alerts:\n    log_file_path: {tmp_path / name}\n")
    out = run("-b", "-d", "1", "-n", "1", "--config", str(cfg), str(tmp_path))
    assert out.returncode == 2, out.stdout
    assert f"the alert log {tmp_path / name} is inside the watched log set {tmp_path / 'execution.log'}" in out.stderr
    assert "Traceback" not in out.stderr


def test_alert_log_beside_the_set_is_fine(tmp_path: Path) -> None:
    (tmp_path / "execution.log").write_text(LINE)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"MONITORING:\n  alerts:\n    log_file_path: {tmp_path / 'alerts.log'}\n")
    out = run("-b", "-d", "0.2", "-n", "1", "--config", str(cfg), str(tmp_path / "execution.log"))
    assert out.returncode == 0, out.stderr
