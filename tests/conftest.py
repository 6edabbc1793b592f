"""The derived-data cache (SPEC 12) of every test run lives in a directory of its own, never the user's."""

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
