"""execlog-top: a terminal monitor for pipe-delimited execution logs."""

__version__ = "0.1.0"
