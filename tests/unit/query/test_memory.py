"""Every report runs under a small memory limit on a set large enough to exhaust it with percentile_disc."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from execlog_tui.query import REPORTS, run_query
from execlog_tui.query.run import QueryError

# 500,000 short entries (24 MB) at 16 MB: percentile_disc, which holds every duration, runs out of
# memory here (the bottlenecks report did, the same way, on the 7 x 100 MB set at 160 MB).
ROWS = 500_000
LIMIT = "16MB"
COMPONENTS = ("API", "CACHE", "DB", "FAMILY", "AUTH")

HOLISTIC = (
    "SELECT component, percentile_disc(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95 FROM entries GROUP BY component"
)


def _duration(i: int) -> int:
    return (i * 7919) % 5003  # spread over 0..5002 in every component


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("memory") / "execution.log"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(
            "".join(
                f"2025-09-09T10:{(i // 60000) % 60:02d}:{(i // 1000) % 60:02d}.{i % 1000:03d}Z"
                f"|{COMPONENTS[i % 5]}|HIT|{_duration(i)}|{'FAILURE' if i % 17 == 0 else 'SUCCESS'}|user=u{i % 3}\n"
                for i in range(ROWS)
            )
        )
    return path


def test_the_set_is_large_enough_to_exhaust_the_limit(big_log: Path) -> None:
    """Without this, passing the reports below would prove nothing: the holistic aggregate runs out of
    memory over the files. Since issue 13 it then runs again over tables that spill to disk, which at
    this limit completes or runs out of memory too, by how the database's threads share the limit."""
    try:
        result = run_query([big_log], HOLISTIC, memory_limit=LIMIT)
    except QueryError as e:
        assert "out of memory" in str(e).lower()
    else:
        assert result.spilled
        assert sorted(r[0] for r in result.rows) == sorted(COMPONENTS)


@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_runs_under_the_limit(big_log: Path, name: str) -> None:
    result = run_query([big_log], name, memory_limit=LIMIT)
    assert result.rows
    rows = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
    if name == "bottlenecks":
        for r in rows:
            k = COMPONENTS.index(r["component"])
            values = sorted(_duration(i) for i in range(k, ROWS, 5))
            assert r["entries"] == len(values)
            assert r["max_ms"] == values[-1]
            assert r["p95_ms"] == values[math.ceil(0.95 * len(values)) - 1]
    elif name == "error_rate":
        assert rows[0]["component"] == "*" and rows[0]["entries"] == ROWS
        assert rows[0]["errors"] == len(range(0, ROWS, 17))
        assert sum(r["entries"] for r in rows[1:]) == ROWS
