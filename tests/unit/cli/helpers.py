"""Shared by the CLI tests: `python -m execlog_tui` on real files, with and without the C fast path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PATHS = [pytest.param(None, id="fastpath"), pytest.param({"EXECLOG_NO_FASTPATH": "1"}, id="per-line")]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    if env is None:
        full_env.pop("EXECLOG_NO_FASTPATH", None)
    return subprocess.run(
        [sys.executable, "-m", "execlog_tui", *args], capture_output=True, text=True, env=full_env, timeout=60
    )


def batch_json(*args: str, env: dict[str, str] | None = None) -> tuple[str, dict]:
    out = run("-b", "--json", *args, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout, json.loads(out.stdout)


def plain(second: int, n: int, component: str = "API", hour: str = "10:00") -> list[str]:
    """n plain lines (what the C scanner aggregates into runs) in one second."""
    return [
        f"2025-09-09T{hour}:{second:02d}.{i * 999 // n:03d}Z|{component}|CALL|{i % 40 + 1}|SUCCESS|ok" for i in range(n)
    ]
