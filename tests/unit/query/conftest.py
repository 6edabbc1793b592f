"""Shared helpers for the query tests: the engine's figures and the parser's rows for the same files."""

from __future__ import annotations

from pathlib import Path

from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.entry import Entry
from execlog_tui.core.parser import LINE_LIMIT, parse_line
from execlog_tui.core.snapshot import MetricsSnapshot
from execlog_tui.pipeline import read_history
from execlog_tui.sources.logset import discover
from execlog_tui.sources.reader import read_batches

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "sample_logs" / "seed_sample.log"
ROTATED = ROOT / "sample_logs" / "rotated"


def engine_snapshot(paths: list[str | Path]) -> MetricsSnapshot:
    """What batch mode reports for these paths: the engine fed the whole set, as of its newest entry."""
    engine = MetricsEngine()
    read_history(discover(paths), engine)
    return engine.snapshot()


def parser_rows(paths: list[str | Path], line_limit: int = LINE_LIMIT) -> tuple[list[tuple], list[tuple]]:
    """(entries, parse errors) as the project's reader and parser see them, with file and line number."""
    entries, errors = [], []
    for s in discover(paths):
        for m in s.members:
            n = 0
            for lines, cut in read_batches(m.path, [], line_limit, archive=not m.live):
                for i, text in enumerate(lines):
                    item = parse_line(text, i in cut)
                    if item is None:
                        continue
                    if isinstance(item, Entry):
                        entries.append(
                            (
                                str(m.path),
                                n + i + 1,
                                item.ts,
                                item.component,
                                item.action,
                                item.duration_ms,
                                item.status,
                                item.details,
                            )
                        )
                    else:
                        errors.append((str(m.path), n + i + 1, item.raw, item.reason))
                n += len(lines)
    return sorted(entries), sorted(errors)


ROW_SQL = "SELECT file, line, ts_ms, component, action, duration_ms, status, details FROM entries ORDER BY file, line"
ERR_SQL = "SELECT file, line, raw, reason FROM parse_errors ORDER BY file, line"
