"""SPEC 4 (revised): bootstrap is the BOOTSTRAP/COMPLETE entry with the latest timestamp up to T, and
memory_mb the newest memory figure by timestamp: a late line with an older timestamp replaces neither."""

from __future__ import annotations

import pickle

import pytest

from execlog_tui.core.config import Condition, Config, MonitoringConfig
from execlog_tui.core.timefmt import format_ts
from execlog_tui.core.windows import WINDOW_NAMES

from .helpers import T, engine_with, line


def boot(at: str, ms: float) -> str:
    return line(at, "BOOTSTRAP", "COMPLETE", ms, "SUCCESS", f"Ready in {ms:g}ms")


def test_a_late_bootstrap_with_an_older_timestamp_does_not_replace_the_newest() -> None:
    e = engine_with([line("10:00:00"), boot("10:00:05", 280), line("10:00:06"), boot("10:00:02", 450)])
    snap = e.snapshot()
    assert (snap.bootstrap_ms, snap.bootstrap_band) == (280, "acceptable")
    e.feed_lines([boot("10:00:06.500", 302)])  # in order: the newest
    assert e.snapshot().bootstrap_ms == 302
    e.feed_lines([line("10:00:09"), boot("10:00:08", 240)])  # newer than 10:00:06.500, arrives late
    assert e.snapshot().bootstrap_ms == 240


def test_the_same_timestamp_the_one_read_last_wins() -> None:
    e = engine_with([boot("10:00:05", 280), boot("10:00:05", 290)])
    assert e.snapshot().bootstrap_ms == 290


@pytest.mark.parametrize("late_by", ["00:00:30", "00:03:00", "00:30:00", "23:00:00", "49:00:00"])
def test_a_late_bootstrap_counts_whatever_the_window_when_it_is_the_newest(late_by: str) -> None:
    """Whatever the window: even a late line older than every window is the bootstrap when it is the
    newest BOOTSTRAP/COMPLETE (and loses to a newer one)."""
    h, m, s = (int(x) for x in late_by.split(":"))
    now = T("2025-09-11T10:00:00Z")
    at = now - (h * 3600 + m * 60 + s) * 1000
    e = engine_with([line("2025-09-11T10:00:00Z"), f"{format_ts(at)}|BOOTSTRAP|COMPLETE|260|SUCCESS|late"])
    assert e.snapshot().bootstrap_ms == 260
    e = engine_with(
        [
            boot("2025-09-11T09:59:59.999Z", 300),
            line("2025-09-11T10:00:00Z"),
            f"{format_ts(at)}|BOOTSTRAP|COMPLETE|260|SUCCESS|late",
        ]
    )
    assert e.snapshot().bootstrap_ms == 300


def test_the_bootstrap_alert_compares_the_newest_bootstrap() -> None:
    config = Config(monitoring=MonitoringConfig(conditions=(Condition.parse("bootstrap > 400ms"),)))
    e = engine_with([boot("10:00:05", 300), line("10:00:06"), boot("10:00:01", 900), line("10:00:09")], config=config)
    assert [a.name for a in e.snapshot().alerts] == []
    e.feed_lines([boot("10:00:09.500", 450), line("10:00:11")])
    assert [(a.name, a.value, a.fired) for a in e.snapshot().alerts] == [("bootstrap", 450, T("10:00:10"))]


def test_a_late_memory_figure_with_an_older_timestamp_does_not_replace_the_newest() -> None:
    e = engine_with(
        [
            line("10:00:30", details="rss_mb=40"),
            line("10:10:20", details="rss_mb=80"),
            line("10:10:30"),
            line("10:10:05", details="memory_mb=95"),  # late, in the current minute (its second merged)
            line("10:07:00", details="mem_mb=97"),  # late, in the 5m window
            line("10:02:00", details="rss_mb=99"),  # late, only in the minute windows
            line("10:10:31"),
        ]
    )
    snap = e.snapshot()
    assert [snap.windows[n].memory_mb for n in WINDOW_NAMES] == [80, 80, 80, 80]
    assert [snap.windows[n].memory_max_mb for n in WINDOW_NAMES] == [95, 97, 99, 99]
    assert snap.series["memory_mb"][-12] == 80  # the 10:10:20 second of the sparkline (10:10:31 last)
    # A checkpoint (the replay's) keeps the timestamps that decide.
    again = pickle.loads(pickle.dumps(e))
    again.feed_lines([line("10:10:15", details="rss_mb=60"), boot("10:09:00", 500), boot("10:08:00", 100)])
    snap = again.snapshot()
    assert snap.windows["1m"].memory_mb == 80 and snap.bootstrap_ms == 500
