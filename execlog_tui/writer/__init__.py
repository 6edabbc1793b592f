"""The writer: `ExecutionLogger` and `ExecutionLogHandler` produce execution logs that rotate safely."""

from __future__ import annotations

from execlog_tui.writer.handler import ExecutionLogHandler
from execlog_tui.writer.logger import Alert, Bootstrap, ExecutionLogger, Learning, Lookup, Operation, Run

__all__ = ["Alert", "Bootstrap", "ExecutionLogHandler", "ExecutionLogger", "Learning", "Lookup", "Operation", "Run"]
