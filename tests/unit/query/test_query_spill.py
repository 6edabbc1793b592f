"""A GROUP BY with a group per line over a set larger than the query's memory limit completes (it spills to
disk) instead of failing "Out of Memory" (issue 13 item 7). Real DuckDB, real files.

DuckDB's hash aggregation over the files' scans does not spill; the query is then run again over
temporary tables, which do. This set fails without that at a 40 MB limit (three files, 1.44 million lines).
"""

from __future__ import annotations

from pathlib import Path

from execlog_tui.query import run_query

LINES_PER_FILE = 480_000


def _write_set(d: Path) -> None:
    block = "".join(
        f"2025-09-09T10:00:{i // 1000 % 60:02d}.{i % 1000:03d}Z|API|CALL|{i % 97}|SUCCESS|user=u{i % 13} seq\n"
        for i in range(60_000)
    )
    for name in ("execution.log.2", "execution.log.1", "execution.log"):
        with (d / name).open("w") as f:
            for _ in range(LINES_PER_FILE // 60_000):
                f.write(block)


def test_group_by_details_and_line_spills_instead_of_running_out_of_memory(tmp_path: Path) -> None:
    _write_set(tmp_path)
    got = run_query(
        [tmp_path],
        "SELECT count(*), sum(n) FROM (SELECT details, line, count(*) AS n FROM entries GROUP BY details, line)",
        memory_limit="40MB",
    )
    # A line number holds the same details in the three files: one group per line number, three lines each.
    assert got.rows == [(LINES_PER_FILE, 3 * LINES_PER_FILE)]
