"""The derived-data cache (SPEC 12) of every test run lives in a directory of its own, never the user's;
a terminal's size is the terminal's own."""

from __future__ import annotations

import os
import tempfile

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir() -> object:
    old = os.environ.get("XDG_CACHE_HOME")
    with tempfile.TemporaryDirectory(prefix="execlog-test-cache-") as d:
        os.environ["XDG_CACHE_HOME"] = d
        yield d
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture(autouse=True, scope="session")
def _no_inherited_terminal_size() -> None:
    """pytest-xdist's workers run with COLUMNS=80 and LINES=24, which every program a test starts would
    inherit and take for its terminal's size (shutil.get_terminal_size reads them first): a dashboard
    started in a 200x60 tmux window drew itself at 80x24. A test that wants a width passes it itself."""
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)
