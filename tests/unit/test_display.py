"""core/display.py: one vocabulary of bands (screen, -b, help, README), alert values that satisfy their own
condition, and the alert groups that the panel and the text report share (issue 11, items 8, 9, 14)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from execlog_tui.core.display import BAND_MARKS, alert_value, band_legend, group_alerts
from execlog_tui.core.snapshot import AlertView
from execlog_tui.report import LEGEND, banded, make_console

ROOT = Path(__file__).resolve().parents[2]
OLD_MARKS = ("●opt", "◐acc", "▲warn", "✖ERR", "● opt", "◐ acc", "✖ ERR")


def test_bands_have_one_vocabulary_on_screen_in_the_report_and_in_the_readme() -> None:
    from execlog_tui.ui.fmt import BAND_LABELS, band_label

    assert [band_label(b) for b in BAND_MARKS] == [f"{m.glyph} {m.label}" for m in BAND_MARKS.values()]
    assert {b: m.text for b, m in BAND_MARKS.items()} == BAND_LABELS
    for band, mark in BAND_MARKS.items():
        assert banded("15.6 ms", band).plain == f"15.6 ms {mark.glyph}"
        assert banded("467 ms", band, word=True).plain == f"467 ms {mark.glyph} {mark.label}"
    assert "bands: " + band_legend() == LEGEND
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert band_legend() in readme
    for old in OLD_MARKS:
        assert old not in readme
    report = (ROOT / "execlog_tui" / "report.py").read_text(encoding="utf-8")
    for glyph in ("●", "◐", "✖"):
        assert glyph not in report


def test_band_words_read_without_colour() -> None:
    out = io.StringIO()
    console = make_console(out, no_color=True)
    console.print(banded("467 ms", "error", word=True))
    assert out.getvalue().strip() == "467 ms ✗ error"


def test_an_alert_value_satisfies_its_own_condition_and_has_its_unit() -> None:
    assert alert_value(69.96, "cache_hit_rate < 70%") == "69.96%"
    assert alert_value(69.6, "cache_hit_rate < 70%") == "69.6%"
    assert alert_value(69.99999999, "cache_hit_rate < 70%") == "69.999%"  # rounded toward the side that holds
    assert alert_value(5.00001, "error_rate > 5%") == "5.001%"
    assert alert_value(5.04, "error_rate > 5%") == "5.04%"  # "5.0%" would not be > 5%
    assert alert_value(100.04, "memory_usage > 100MB") == "100.04 MB"
    assert alert_value(212.5, "response_time > 200ms") == "212.5 ms"
    assert alert_value(212.5, "response_time > 200") == "212.5 ms"  # the figure's unit when the rule has none
    assert alert_value(None, "CACHE breaker OPEN") == "—"
    for value in (69.95, 69.951, 69.9949, 69.99, 69.9999):
        shown = alert_value(value, "cache_hit_rate < 70%")
        assert float(shown.rstrip("%")) < 70, shown


def view(name: str, fired_s: int, resolved_s: int | None, value: float | None = 69.5) -> AlertView:
    cond = {"cache_hit_rate": "cache_hit_rate < 70%", "error_rate": "error_rate > 5%"}.get(name, name)
    return AlertView(name, cond, value, fired_s * 1000, None if resolved_s is None else resolved_s * 1000)


def test_repeats_of_one_alert_fold_into_an_episode_with_count_first_last_and_state() -> None:
    flaps = [view("cache_hit_rate", t, t + 3, 69.0 + t / 1000) for t in range(0, 600, 6)]  # 100 firings
    flaps.append(view("cache_hit_rate", 606, None, 69.9))  # and now firing
    later = [view("cache_hit_rate", 2000, 2010)]  # a new episode, 23 minutes after
    other = [view("error_rate", 300, 310, 7.0)]
    groups = group_alerts([*later, *other, *flaps])
    assert [(g.name, g.count, g.firing) for g in groups] == [
        ("cache_hit_rate", 101, True),  # firing first
        ("cache_hit_rate", 1, False),  # then resolved ones, by when they ended, newest first
        ("error_rate", 1, False),
    ]
    g = groups[0]
    assert (g.first_fired, g.last_fired, g.resolved, g.value) == (0, 606_000, None, 69.9)
    assert sum(g.count for g in groups) == len(flaps) + len(later) + len(other)


def test_a_gap_longer_than_the_episode_gap_starts_a_new_row() -> None:
    a = [view("error_rate", 0, 10), view("error_rate", 10 + 301, 320)]
    assert [g.count for g in group_alerts(a)] == [1, 1]
    b = [view("error_rate", 0, 10), view("error_rate", 10 + 300, 320)]
    assert [g.count for g in group_alerts(b)] == [2]


def test_the_readme_names_the_grouping() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"repeats? of one alert", readme)
