"""Registers the `slow` marker for the follower's real-process tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: real-process tests that take seconds (still run by default)")
