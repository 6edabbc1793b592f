"""The monitor's configuration drives the writer: LOG_CONFIGURATION (max_size, rotation, compression,
retention) and SAFEGUARDS.log_overflow, observed on disk and read back with the real reader."""

from __future__ import annotations

import gzip
import logging
import logging.config
import os
import time
from pathlib import Path

import pytest
from writer_helpers import archive_names, entries, read_member

from execlog_tui.core.config import Config
from execlog_tui.core.config_file import ConfigError, load_config
from execlog_tui.writer import ExecutionLogger, ExecutionLogHandler
from execlog_tui.writer import logger as logger_module

LINE_DETAILS = "x" * 60  # about 130 bytes a line


def config_file(tmp_path: Path, log_configuration: str, safeguards: str = "") -> Path:
    path = tmp_path / "execlog.yaml"
    text = "LOG_CONFIGURATION:\n" + log_configuration
    if safeguards:
        text += "SAFEGUARDS:\n" + safeguards
    path.write_text(text)
    return path


def wait_until(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def write(log: ExecutionLogger, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        log.log("API", "CALL", 1, "SUCCESS", f"n={i} {LINE_DETAILS}")


def numbers(path: Path) -> list[int]:
    return [int(e.details.split()[0][2:]) for e in entries(str(path)) if e.action == "CALL"]


def test_a_yaml_file_sets_rotation_size_archives_and_no_compression(tmp_path: Path) -> None:
    cfg = config_file(tmp_path, '  max_size: "1KB"\n  rotation: "2_files"\n  compression: "none"\n')
    log_path = tmp_path / "logs" / "execution.log"
    log_path.parent.mkdir()
    with ExecutionLogger.from_config(log_path, cfg) as log:
        assert (log.max_bytes, log.backups, log.compress) == (1024, 2, False)
        assert log.retention_s == 7 * 86400.0 and log.max_file_bytes == 100 * 1024 * 1024  # the seed's
        write(log, 100)
    assert archive_names(str(log_path)) == ["execution.log.1", "execution.log.2"]
    for name in ("execution.log", "execution.log.1", "execution.log.2"):
        assert 0 < os.path.getsize(log_path.parent / name) <= 1024
    kept = numbers(log_path)
    assert kept == list(range(kept[0], 100))  # the newest lines, none lost inside what is kept
    assert len(kept) >= 15  # three files of at most 1 KB, about 140 bytes a line
    first = [e for e in entries(str(log_path))][0]
    assert (first.component, first.action) == ("SYSTEM", "ROTATE")


def test_gzip_rotated_compresses_the_older_archives(tmp_path: Path) -> None:
    cfg = config_file(tmp_path, '  max_size: "1KB"\n  rotation: "3_files"\n  compression: "gzip_rotated"\n')
    log_path = tmp_path / "execution.log"
    with ExecutionLogger.from_config(log_path, cfg) as log:
        write(log, 60)
        assert log.wait_compressed(20)
    names = archive_names(str(log_path))
    assert names == ["execution.log.1", "execution.log.2.gz", "execution.log.3.gz"]
    assert read_member(str(tmp_path / "execution.log.2.gz")).startswith(b"20")  # real gzip, whole lines
    with gzip.open(tmp_path / "execution.log.3.gz") as f:
        assert f.read().endswith(b"\n")
    kept = numbers(log_path)
    assert kept == list(range(kept[0], 60))


def test_retention_days_expires_old_archives_by_age(tmp_path: Path) -> None:
    cfg = config_file(tmp_path, '  rotation: "5_files"\n  retention: "1_days"\n  compression: "none"\n')
    log_path = tmp_path / "execution.log"
    old, fresh = tmp_path / "execution.log.2", tmp_path / "execution.log.1"
    old.write_text("2025-09-01T00:00:00.000Z|API|CALL|1|SUCCESS|old\n")
    fresh.write_text("2025-09-09T00:00:00.000Z|API|CALL|1|SUCCESS|fresh\n")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    with ExecutionLogger.from_config(log_path, cfg) as log:
        assert log.retention_s == 86400.0
    assert not old.exists() and fresh.exists()


def test_rotation_0_files_keeps_no_archive(tmp_path: Path) -> None:
    cfg = config_file(tmp_path, '  max_size: "1KB"\n  rotation: "0_files"\n')
    log_path = tmp_path / "execution.log"
    with ExecutionLogger.from_config(log_path, cfg) as log:
        write(log, 50)
        assert log.wait_compressed(20)
    assert archive_names(str(log_path)) == []
    kept = numbers(log_path)
    assert kept and kept[-1] == 49 and os.path.getsize(log_path) <= 1024


def test_the_log_overflow_limit_below_max_size_forces_rotation(tmp_path: Path) -> None:
    cfg = config_file(
        tmp_path,
        '  max_size: "100MB"\n  rotation: "3_files"\n  compression: "none"\n',
        '  log_overflow:\n    limit: "1KB per file"\n    action: "Automatic rotation"\n',
    )
    log_path = tmp_path / "execution.log"
    with ExecutionLogger.from_config(log_path, cfg) as log:
        assert (log.max_bytes, log.max_file_bytes) == (100 * 1024 * 1024, 1024)
        write(log, 40)
    assert "execution.log.1" in archive_names(str(log_path))
    for name in ("execution.log", "execution.log.1"):
        assert os.path.getsize(tmp_path / name) <= 1024


def test_while_rotation_fails_the_file_stops_at_the_log_overflow_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """max_size 1KB, cap 2KB, and a rotation that cannot happen (a directory where the oldest archive
    must be removed: unlink fails with EISDIR even for root): the file grows past max_size up to the cap,
    then lines are dropped and counted rather than written; once rotation works again, writing goes on."""
    monkeypatch.setattr(logger_module, "_ROTATION_RETRY_S", 0.2)
    cfg = config_file(
        tmp_path,
        '  max_size: "1KB"\n  rotation: "1_files"\n  compression: "none"\n',
        '  log_overflow:\n    limit: "2KB per file"\n',
    )
    log_path = tmp_path / "execution.log"
    blocker = tmp_path / "execution.log.1"
    blocker.mkdir()
    (blocker / "keep").write_text("not empty")
    heard: list[str] = []
    with ExecutionLogger.from_config(log_path, cfg, error_hook=heard.append) as log:
        write(log, 40)
        assert 1024 < os.path.getsize(log_path) <= 2048
        assert log.dropped_lines > 0 and any("max_file_bytes" in m for m in log.errors)
        written = [int(line.split("|")[5].split()[0][2:]) for line in log_path.read_text().splitlines()]
        assert written == list(range(len(written)))  # whole lines up to the cap, then nothing
        (blocker / "keep").unlink()
        blocker.rmdir()
        n = 40

        def rotated() -> bool:
            nonlocal n
            write(log, 1, n)
            n += 1
            return (tmp_path / "execution.log.1").is_file()

        assert wait_until(rotated)
    assert os.path.getsize(tmp_path / "execution.log.1") <= 2048
    assert numbers(log_path)[-1] == n - 1


def test_a_config_object_and_the_defaults(tmp_path: Path) -> None:
    cfg = load_config(config_file(tmp_path, '  max_size: "2MB"\n  retention: "3_days"\n'))
    with (
        ExecutionLogger.from_config(tmp_path / "a.log", cfg) as a,
        ExecutionLogger.from_config(tmp_path / "b.log") as b,
    ):
        assert (a.max_bytes, a.backups, a.retention_s) == (2 * 1024 * 1024, 7, 3 * 86400.0)
        assert (b.max_bytes, b.backups, b.compress, b.max_file_bytes) == (100 * 1024**2, 7, True, 100 * 1024**2)
        assert isinstance(cfg, Config)


def test_a_bad_file_raises_its_config_error_and_creates_nothing(tmp_path: Path) -> None:
    cfg = config_file(tmp_path, '  max_size: "1KB"\n  rotation: "seven"\n')
    log_path = tmp_path / "execution.log"
    with pytest.raises(ConfigError) as err:
        ExecutionLogger.from_config(log_path, cfg)
    assert str(err.value).startswith(f"{cfg}:3: LOG_CONFIGURATION.rotation: ")
    assert not log_path.exists()


def test_the_handler_from_config_rotates_and_owns_its_logger(tmp_path: Path) -> None:
    cfg = config_file(tmp_path, '  max_size: "1KB"\n  rotation: "2_files"\n  compression: "none"\n')
    log_path = tmp_path / "execution.log"
    handler = ExecutionLogHandler.from_config(log_path, cfg, default_component="API", default_action="CALL")
    log = logging.getLogger("test.writer.config.handler")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    try:
        for i in range(60):
            log.info("n=%d %s", i, LINE_DETAILS, extra={"component": "API", "duration_ms": 1})
    finally:
        log.removeHandler(handler)
        handler.close()
    assert handler.execution_logger.closed
    assert archive_names(str(log_path)) == ["execution.log.1", "execution.log.2"]
    kept = numbers(log_path)
    assert kept == list(range(kept[0], 60))


def test_the_handler_from_config_as_a_dictconfig_factory(tmp_path: Path) -> None:
    cfg = config_file(tmp_path, '  max_size: "1KB"\n  compression: "none"\n')
    log_path = tmp_path / "execution.log"
    logging.config.dictConfig(
        {
            "version": 1,
            "incremental": False,
            "disable_existing_loggers": False,
            "handlers": {
                "execlog": {
                    "()": "execlog_tui.writer.ExecutionLogHandler.from_config",
                    "path": str(log_path),
                    "config": str(cfg),
                }
            },
            "loggers": {"test.writer.dictconfig": {"handlers": ["execlog"], "level": "INFO", "propagate": False}},
        }
    )
    log = logging.getLogger("test.writer.dictconfig")
    handler = log.handlers[0]
    try:
        assert isinstance(handler, ExecutionLogHandler) and handler.execution_logger.max_bytes == 1024
        log.info("hello")
    finally:
        log.removeHandler(handler)
        handler.close()
    assert [e.details for e in entries(str(log_path))] == ["hello"]
