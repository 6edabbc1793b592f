"""SPEC 3: the windows, defined once (core/windows.py) and taken from there by every mode."""

from __future__ import annotations

from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.windows import WINDOW_NAMES, WINDOWS, WINDOWS_BY_NAME, WindowSpec

from .helpers import T


def test_the_windows_are_defined_once() -> None:
    assert (
        WindowSpec("1m", 1000, 60),
        WindowSpec("5m", 1000, 300),
        WindowSpec("1h", 60_000, 60),
        WindowSpec("1d", 60_000, 1440),
    ) == WINDOWS
    assert [w.seconds for w in WINDOWS] == [60, 300, 3600, 86400]
    assert WINDOW_NAMES == ("1m", "5m", "1h", "1d") and WINDOWS_BY_NAME["1h"].bucket_s == 60
    snap = MetricsEngine().snapshot(as_of=T("10:00:00"))
    assert tuple(snap.windows) == WINDOW_NAMES
