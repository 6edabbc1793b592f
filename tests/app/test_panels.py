"""Pilot tests of the components and alerts panels (issue 11, items 9, 12 and 14): the sorted column is
marked, alert rows keep their time and unit at 80 columns, and the panel's rows are the text report's."""

from __future__ import annotations

import asyncio
import functools
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from execlog_tui.core.display import alert_value, group_alerts
from execlog_tui.core.snapshot import AlertView, MetricsSnapshot
from execlog_tui.report import make_console, print_report
from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.alerts import AlertsPanel
from execlog_tui.ui.app import make_app
from execlog_tui.ui.components import ComponentsTable
from execlog_tui.ui.fmt import clock

T0 = sc.T0


def sync(fn: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run


def flapping_snapshot() -> MetricsSnapshot:
    """cache_hit_rate hovering at 70 %: fired and resolved every 6 s for ten minutes, firing now at 69.96
    (which one decimal would show as 70.0, a value that does not meet `< 70%`); an older episode of
    error_rate, and a breaker that opened twice."""
    flaps = tuple(
        AlertView("cache_hit_rate", "cache_hit_rate < 70%", 69.5 + (i % 4) / 10, T0 - 600_000 + i * 6000, None)
        for i in range(100)
    )
    flaps = tuple(replace(a, resolved=a.fired + 3000) for a in flaps[:-1]) + (replace(flaps[-1], value=69.96),)
    others = (
        AlertView("error_rate", "error_rate > 5%", 7.1, T0 - 1_200_000, T0 - 1_150_000),
        AlertView("error_rate", "error_rate > 5%", 5.00001, T0 - 1_100_000, T0 - 1_080_000),
        AlertView("breaker:API", "API breaker OPEN", None, T0 - 40_000, None),
        AlertView("memory_usage", "memory_usage > 100MB", 100.04, T0 - 30_000, None),
    )
    return replace(sc.base_snapshot(), alerts=others + flaps)


@sync
async def test_the_sorted_components_column_is_marked_on_screen() -> None:
    app = make_app(sc.session_for(sc.base_snapshot()), rss_probe=lambda: 42.0)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(ComponentsTable)
        header = table.render_line(0).text
        assert "Entries▼" in header, header  # the default: entries, largest first
        for key, mark in (("errors", "Errors▼"), ("avg", "Avg ms▼"), ("max", "Max ms▼"), ("component", "Component▲")):
            await pilot.press("s")
            await pilot.pause()
            assert table.sort_key == key
            header = table.render_line(0).text
            assert mark in header and header.count("▲") + header.count("▼") == 1, header


@sync
async def test_alert_rows_at_80_columns_keep_time_and_unit_and_fold_repeats() -> None:
    snap = flapping_snapshot()
    app = make_app(sc.session_for(snap), rss_probe=lambda: 42.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        panel = app.query_one(AlertsPanel)
        width = panel.size.width
        lines = panel.plain.splitlines()
        assert lines and width < 45  # the compact layout
        for line in lines:
            assert len(line) <= width and "…" not in line, (width, line)
        # The firing episode first: its 100 firings as one row, its value as shown meets its condition.
        assert lines[0].startswith("▲ ") and "cache_hit_rate 69.96% ×100" in lines[0]
        assert lines == [
            "▲ cache_hit_rate 69.96% ×100 6s",  # how long the current firing has lasted
            "▲ memory_usage 100.04 MB 30s",
            "+2 more (1 firing)",
        ]


@sync
async def test_wide_alert_rows_say_first_and_last_firing_and_the_condition() -> None:
    snap = flapping_snapshot()
    app = make_app(sc.session_for(snap), rss_probe=lambda: 42.0)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        panel = app.query_one(AlertsPanel)
        lines = panel.plain.splitlines()
        assert all(len(line) <= panel.size.width and "…" not in line for line in lines)
        # A row too long for the panel goes on with its time on the next line, never cut.
        assert lines[0] == "▲ FIRING cache_hit_rate 69.96% ×100"
        assert lines[1] == "    since 10:04:24 (6s), first 09:54:30"
        assert lines[2] == "▲ FIRING memory_usage 100.04 MB since 10:04:00 (30s)"  # the condition would not fit
        assert "▲ FIRING breaker:API since 10:03:50 (40s)  API breaker OPEN" in lines
        assert "✓ ok error_rate 5.001% ×2 09:44:30→09:46:30  error_rate > 5%" in lines


def report_lines(snap: MetricsSnapshot) -> list[str]:
    """The rows of the text report's alerts table, as printed without colour."""
    out = io.StringIO()
    print_report(snap, make_console(out, no_color=True))
    text = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(text) if line.startswith("Alerts")) + 3  # title, header, rule
    end = next((i for i in range(start, len(text)) if not text[i].strip()), len(text))
    return text[start:end]


@sync
async def test_the_panel_and_the_text_report_show_the_same_groups() -> None:
    snap = flapping_snapshot()
    groups = group_alerts(snap.alerts)
    assert len(groups) == 4 < len(snap.alerts)
    rows = report_lines(snap)
    app = make_app(sc.session_for(snap), rss_probe=lambda: 42.0)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        panel = app.query_one(AlertsPanel)
        assert list(panel.groups) == groups
        lines = [line for line in panel.plain.splitlines() if not line.startswith(" ")]  # rows, not continuations
    assert len(rows) == len(lines) == len(groups)
    for g, row, line in zip(groups, rows, lines, strict=True):
        value = alert_value(g.value, g.condition)
        # The report: the alert, its value, how often it fired, first and last firing, its state.
        cells = [g.name, value, f"{g.count}×", clock(g.first_fired), clock(g.last_fired)]
        cells.append("FIRING" if g.firing else clock(g.resolved))
        assert re.search(r"\s+".join(re.escape(c) + r".*?" for c in cells), row), (cells, row)
        # The panel: the same alert, value and count, in the same order.
        assert line.split()[2] == g.name
        assert (value in line) == (g.value is not None)
        assert (f"×{g.count}" in line) == (g.count > 1)
