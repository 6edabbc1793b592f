"""The reports and ad-hoc SQL agree with the metrics engine's figures for the same scope."""

from __future__ import annotations

import math

import pytest

from execlog_tui.core.entry import COMPLETION_STATUSES, ERROR_STATUSES
from execlog_tui.query import REPORTS, run_query

from .conftest import ROTATED, SEED, engine_snapshot, parser_rows

SCOPES = [pytest.param([SEED], id="seed"), pytest.param([ROTATED], id="rotated")]


def close(a: float | None, b: float | None, tol: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def as_dicts(result) -> list[dict]:
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


@pytest.mark.parametrize("paths", SCOPES)
def test_whole_set_figures_match_the_engine(paths) -> None:
    snap = engine_snapshot(paths)
    day = snap.windows["1d"]  # both sets span less than a day: the 1d window is the whole set
    assert day.entries == snap.source.entries

    total = run_query(paths, "SELECT count(*) AS n FROM entries")
    assert total.rows == [(snap.source.entries,)]
    assert run_query(paths, "SELECT count(*) FROM parse_errors").rows == [(snap.source.parse_errors,)]

    perf = {r["component"]: r for r in as_dicts(run_query(paths, "performance"))}
    errs = {r["component"]: r for r in as_dicts(run_query(paths, "error_rate"))}
    assert set(perf) == set(snap.components)
    for comp, figures in snap.components.items():
        assert perf[comp]["entries"] == figures.entries
        assert close(perf[comp]["avg_ms"], figures.avg_ms)
        assert close(perf[comp]["max_ms"], figures.max_ms)
        assert errs[comp]["errors"] == figures.errors
        assert close(errs[comp]["error_rate"], 100.0 * figures.errors / figures.entries)
    assert errs["*"]["entries"] == day.entries and errs["*"]["errors"] == day.errors
    assert close(errs["*"]["error_rate"], day.error_rate)
    assert list(errs)[0] == "*"

    cache = as_dicts(run_query(paths, "cache_efficiency"))[0]
    assert close(cache["hit_rate"], day.cache_hit_rate)

    completed = run_query(
        paths,
        "SELECT avg(duration_ms) FROM entries WHERE component <> 'BOOTSTRAP' AND status IN "
        f"({', '.join(repr(s) for s in sorted(COMPLETION_STATUSES))})",
    )
    assert close(completed.rows[0][0], day.avg_response_ms)


def test_seed_hand_worked_figures() -> None:
    cache = as_dicts(run_query([SEED], "cache_efficiency"))[0]
    # Two lookups, one hit one miss: 50 %. The seed's formula divides by all 12 CACHE entries.
    assert (cache["hits"], cache["misses"], cache["hit_rate"]) == (1, 1, 50.0)
    assert cache["cache_entries"] == 12 and close(cache["seed_formula_rate"], 100 / 12)
    boot = run_query([SEED], "SELECT duration_ms FROM entries WHERE component = 'BOOTSTRAP' AND action = 'COMPLETE'")
    assert boot.rows == [(254.0,)]


@pytest.mark.parametrize("window", ["1m", "5m", "1h"])
def test_window_matches_the_engine_window(window: str) -> None:
    snap = engine_snapshot([ROTATED])
    w = snap.windows[window]
    errs = as_dicts(run_query([ROTATED], "error_rate", window=window))
    assert errs[0]["component"] == "*"
    assert errs[0]["entries"] == w.entries and errs[0]["errors"] == w.errors
    cache = as_dicts(run_query([ROTATED], "cache_efficiency", window=window))[0]
    assert close(cache["hit_rate"], w.cache_hit_rate)
    res = run_query([ROTATED], "SELECT min(ts_ms), max(ts_ms) FROM entries", window=window)
    assert res.as_of_ms == snap.as_of and res.rows[0][1] == snap.as_of
    assert res.rows[0][0] >= res.window_start_ms


def test_bottlenecks_p95_is_nearest_rank() -> None:
    entries, _ = parser_rows([ROTATED])
    by_comp: dict[str, list[float]] = {}
    for row in entries:
        by_comp.setdefault(row[3], []).append(row[5])
    got = as_dicts(run_query([ROTATED], "bottlenecks"))
    assert {r["component"] for r in got} == set(by_comp)
    for r in got:
        values = sorted(by_comp[r["component"]])
        assert r["max_ms"] == values[-1]
        assert r["p95_ms"] == values[math.ceil(0.95 * len(values)) - 1]
    p95s = [r["p95_ms"] for r in got]
    assert p95s == sorted(p95s, reverse=True)


def test_user_patterns_group_by_user_key_or_details() -> None:
    entries, _ = parser_rows([ROTATED])
    import re

    expected: dict[str, int] = {}
    for row in entries:
        if row[3] == "FAMILY":
            m = re.search(r"(?:^|[^A-Za-z0-9_])user=([^ \t]+)", row[7])
            key = m.group(1) if m else row[7]
            expected[key] = expected.get(key, 0) + 1
    got = {r["user"]: r["entries"] for r in as_dicts(run_query([ROTATED], "user_patterns"))}
    assert got == expected
    assert any(k.startswith("u") for k in got)


def test_every_report_runs_on_both_sets() -> None:
    for name in REPORTS:
        for paths in ([SEED], [ROTATED]):
            res = run_query(paths, name)
            assert res.columns, name
            # The seed's sample has no FAMILY entries; everything else has rows.
            assert res.rows or (name == "user_patterns" and paths == [SEED]), name


def test_error_statuses_are_specs() -> None:
    # The reports spell SPEC 4's sets in SQL; they must be the engine's sets.
    from execlog_tui.query.reports import COMPLETED, ERROR

    for s in ERROR_STATUSES:
        assert f"'{s}'" in ERROR
    for s in COMPLETION_STATUSES:
        assert f"'{s}'" in COMPLETED
