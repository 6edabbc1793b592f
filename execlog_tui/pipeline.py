"""From a log set on disk to a fed engine: the history reading shared by batch mode and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import LINE_LIMIT, parse_line
from execlog_tui.sources.logset import LogSet, Member
from execlog_tui.sources.reader import SourceWarning, read_batches
from execlog_tui.sources.timeline import merge_sets

# Called after each batch with (bytes of the set read so far, bytes in all).
Progress = Callable[[int, int], None]
# Receives every parsed line when a front end keeps a ring buffer; batch mode passes None.
Sink = Callable[[list[Entry | ParseError]], None]


@dataclass(slots=True)
class HistoryResult:
    members: list[Member] = field(default_factory=list)
    lines_after_until: int = 0
    readable: bool = False  # at least one member could be opened


def set_size(sets: list[LogSet]) -> int:
    total = 0
    for s in sets:
        for m in s.members:
            try:
                total += m.path.stat().st_size
            except OSError:
                pass
    return total


def read_history(
    sets: list[LogSet],
    engine: MetricsEngine,
    *,
    until: int | None = None,
    line_limit: int = LINE_LIMIT,
    sink: Sink | None = None,
    progress: Progress | None = None,
    live_limit: dict[Path, int] | None = None,
) -> HistoryResult:
    """Feed every member of `sets` to `engine` in timeline order (SPEC 2 and 3).

    `until`: entries after it play no part (a report as of a given time). `live_limit`: read a live
    file only up to this byte offset (the follower takes over from there).
    """
    result = HistoryResult()
    warnings: list[SourceWarning] = []
    total = set_size(sets)
    done = 0

    def flush_warnings() -> None:
        for w in warnings:
            engine.note_warning(w.file, w.message)
        warnings.clear()

    if len(sets) == 1:
        for member in sets[0].members:
            if until is not None and member.first_ts is not None and member.first_ts > until:
                continue  # nothing in it can be at or before `until`
            engine.note_file(str(member.path))
            result.members.append(member)
            limit = live_limit.get(member.path) if live_limit else None
            try:
                size = member.path.stat().st_size
                result.readable = True
            except OSError:
                size = 0
            batches = (
                read_batches(member.path, warnings, line_limit)
                if limit is None
                else read_batches(member.path, warnings, line_limit, max_bytes=limit)
            )
            for lines, _cut in batches:
                if sink is None:
                    result.lines_after_until += engine.feed_lines(lines, until)
                else:
                    parsed = [p for p in (parse_line(line) for line in lines) if p is not None]
                    if until is not None:
                        kept = [p for p in parsed if type(p) is not Entry or p.ts <= until]
                        result.lines_after_until += len(parsed) - len(kept)
                        parsed = kept
                    engine.feed_parsed(parsed)
                    sink(parsed)
                if warnings:
                    flush_warnings()
                if progress is not None:
                    progress(done, total)
            done += size
            flush_warnings()
    elif sets:
        for s in sets:
            for member in s.members:
                engine.note_file(str(member.path))
                result.members.append(member)
                if member.path.exists():
                    result.readable = True
        batch: list[Entry | ParseError] = []
        for item in merge_sets(sets, warnings, line_limit=line_limit):
            if until is not None and type(item) is Entry and item.ts > until:
                result.lines_after_until += 1
                continue
            batch.append(item)
            if len(batch) >= 4096:
                engine.feed_parsed(batch)
                if sink is not None:
                    sink(batch)
                batch = []
                flush_warnings()
        engine.feed_parsed(batch)
        if sink is not None and batch:
            sink(batch)
        flush_warnings()
    if progress is not None:
        progress(total, total)
    return result
