"""`ExecutionLogHandler`: a standard `logging.Handler` that writes execution-log lines.

It is a plain `logging.Handler`, not a `logging.handlers.BaseRotatingHandler`: rotation, compression and
the inter-process lock live in `ExecutionLogger` (see `rotation.py` for why the stdlib rotator does not
serve), and this class only maps a `LogRecord` onto one line.
"""

from __future__ import annotations

import logging
import math
import os
import re
from typing import Any

from execlog_tui.core.config import Config
from execlog_tui.writer.format import MAX_DURATION_MS
from execlog_tui.writer.logger import ExecutionLogger

_NOT_TOKEN = re.compile(r"[|\s]+")
# logging's levels are valid statuses (SPEC section 1); custom levels go to the nearest one below.
_LEVELS = (
    (logging.CRITICAL, "CRITICAL"),
    (logging.ERROR, "ERROR"),
    (logging.WARNING, "WARNING"),
    (logging.INFO, "INFO"),
    (logging.DEBUG, "DEBUG"),
)


def level_name(levelno: int) -> str:
    for number, name in _LEVELS:
        if levelno >= number:
            return name
    return "DEBUG"


def coerce_duration(value: object) -> float:
    """A record's `duration_ms` as SPEC section 1 can write it: a number or a numeric string ("12");
    a negative one (a clock stepping back) is 0, and anything else `ExecutionLogger.log` would refuse
    (None, "abc", NaN, infinity, more than MAX_DURATION_MS such as 1e308) is 0 too. A log call must not
    lose its record over this field."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value if 0 <= value <= MAX_DURATION_MS else 0
    try:
        number = float(value.strip() if isinstance(value, (str, bytes)) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0
    if not math.isfinite(number) or not 0 <= number <= MAX_DURATION_MS:
        return 0
    return number


def _token(text: str, fallback: str) -> str:
    cleaned = _NOT_TOKEN.sub("_", text).strip("_")
    return cleaned.upper() or fallback


class ExecutionLogHandler(logging.Handler):
    """Writes each record as `ts|COMPONENT|ACTION|duration|STATUS|message`.

    - component: `extra={"component": ...}`, else the last part of the logger's name (`app.cache` ->
      `CACHE`; the root logger -> `default_component`);
    - action: `extra={"action": ...}`, else `default_action`;
    - duration: `extra={"duration_ms": ...}` (a number or numeric string; negative or not a number: 0),
      else 0;
    - status: `extra={"status": ...}`, else the record's level (INFO, WARNING, ERROR...);
    - details: the formatted message (with the traceback, escaped onto the one line).
    The record's level also decides the alert hook (ERROR and CRITICAL), as `ExecutionLogger.log` does.
    The line's timestamp is the record's creation time.
    """

    def __init__(
        self,
        logger: ExecutionLogger | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        default_component: str = "SYSTEM",
        default_action: str = "LOG",
        level: int = logging.NOTSET,
        **logger_options: Any,
    ) -> None:
        super().__init__(level)
        if logger is not None and (path is not None or logger_options):
            raise ValueError("give either an ExecutionLogger or a path with its options, not both")
        self._owns = logger is None
        if logger is None:
            logger = ExecutionLogger(path if path is not None else "execution.log", **logger_options)
        self.execution_logger = logger
        self.default_component = _token(default_component, "SYSTEM")
        self.default_action = _token(default_action, "LOG")

    @classmethod
    def from_config(
        cls,
        path: str | os.PathLike[str] = "execution.log",
        config: Config | str | os.PathLike[str] | None = None,
        *,
        default_component: str = "SYSTEM",
        default_action: str = "LOG",
        level: int = logging.NOTSET,
        **logger_options: Any,
    ) -> ExecutionLogHandler:
        """A handler writing `path` through `ExecutionLogger.from_config(path, config, **logger_options)`:
        rotation, compression, retention and the file cap from the configuration. The handler owns that
        logger (closing the handler closes it). Usable as a `logging.config.dictConfig` factory:
        `{"()": "execlog_tui.writer.ExecutionLogHandler.from_config", "path": ..., "config": ...}`."""
        logger = ExecutionLogger.from_config(path, config, **logger_options)
        try:
            handler = cls(logger, default_component=default_component, default_action=default_action, level=level)
        except BaseException:
            logger.close()
            raise
        handler._owns = True
        return handler

    def emit(self, record: logging.LogRecord) -> None:
        try:
            extra = record.__dict__
            component = extra.get("component")
            if not component:
                name = record.name.rsplit(".", 1)[-1] if record.name and record.name != "root" else ""
                component = name or self.default_component
            component = _token(str(component), self.default_component)
            action = _token(str(extra.get("action") or self.default_action), self.default_action)
            level = level_name(record.levelno)
            status = _token(str(extra.get("status") or level), level)
            duration = coerce_duration(extra.get("duration_ms", 0))
            details = self.format(record)
            self.execution_logger.log_at(record.created, component, action, duration, status, details, level)
        except RecursionError:  # as logging.StreamHandler does
            raise
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        try:
            if self._owns:
                self.execution_logger.close()
        finally:
            super().close()
