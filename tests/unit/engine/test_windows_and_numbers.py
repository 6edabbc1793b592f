"""SPEC 3: the windows, defined once (core/windows.py) and taken from there by every mode; SPEC 9
(revised): the JSON figures are the engine's figures, not rounded."""

from __future__ import annotations

from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.core.windows import WINDOW_NAMES, WINDOWS, WINDOWS_BY_NAME, WindowSpec

from .helpers import T, engine_with, line


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


def test_json_figures_are_not_rounded() -> None:
    e = engine_with(
        [
            line("10:00:00.100", duration=1),
            line("10:00:00.200", duration=1),
            line("10:00:00.300", duration=2, status="FAILURE"),
            line("10:00:02"),
        ]
    )
    doc = snapshot_to_json(e.snapshot())
    w = doc["windows"]
    assert w["1d"]["requests_per_second"] == 4 / 86400  # 0.0 when rounded to 4 decimals
    assert w["1m"]["requests_per_second"] == 4 / 60
    (alert,) = [a for a in doc["alerts"] if a["name"] == "error_rate"]
    assert alert["value"] == 100.0 / 3 == e.snapshot().alerts[0].value  # the figure compared, not 33.333
    assert doc["components"]["API"]["avg_ms"] == 14 / 4
