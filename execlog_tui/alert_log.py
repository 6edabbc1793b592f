"""The `log_file` alert channel (SPEC 7): alerts written in the execution-log format itself."""

from __future__ import annotations

import os
from pathlib import Path

from execlog_tui.core.alerts import AlertRecord
from execlog_tui.core.timefmt import format_ts


class AlertLogWriter:
    """Appends `PERF|ALERT_FIRED` / `PERF|ALERT_RESOLVED` lines, one write per line (O_APPEND)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self.error: str | None = None

    def write(self, record: AlertRecord) -> None:
        if record.resolved is None:
            action, ts, status = "ALERT_FIRED", record.fired, "WARNING"
        else:
            action, ts, status = "ALERT_RESOLVED", record.resolved, "INFO"
        value = "" if record.value is None else f" value={record.value:.3f}"
        details = f"alert={record.name} condition={record.condition}{value}".replace("\n", "\\n")
        line = f"{format_ts(ts)}|PERF|{action}|0|{status}|{details}\n"
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(self._fd, line.encode("utf-8"))
        except OSError as e:
            self.error = f"cannot write the alert log {self.path}: {e.strerror or e}"

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
