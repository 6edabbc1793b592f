"""One timeline from log sets: each set's members in order, several sets merged by timestamp."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from operator import itemgetter

from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import LINE_LIMIT, parse_line
from execlog_tui.sources.logset import LogSet, Member
from execlog_tui.sources.reader import CHUNK_SIZE, SourceWarning, read_batches

Item = Entry | ParseError
# A merge reads every set at once. Up to this many sets each keeps its file open; beyond, no descriptor
# is held between reads (a directory of thousands of sets under `ulimit -n 1024`), and the chunk read
# per set shrinks so that the merge's buffers stay within MERGE_BUFFER bytes.
MERGE_HOLD_OPEN_MAX = 32
MERGE_BUFFER = 64 << 20
MERGE_MIN_CHUNK = 16 << 10


def iter_set(
    log_set: LogSet,
    warnings: list[SourceWarning],
    line_limit: int = LINE_LIMIT,
    chunk_size: int = CHUNK_SIZE,
    hold_open: bool = True,
) -> Iterator[tuple[Member, list[str], set[int]]]:
    """Every member of a set in reading order, as (member, lines, cut) batches (see read_batches)."""
    for member in log_set.members:
        for lines, cut in read_batches(
            member.path,
            warnings,
            line_limit=line_limit,
            chunk_size=chunk_size,
            archive=not member.live,
            hold_open=hold_open,
            stream=member.stream,
        ):
            yield member, lines, cut


def iter_items(
    log_set: LogSet,
    warnings: list[SourceWarning],
    line_limit: int = LINE_LIMIT,
    chunk_size: int = CHUNK_SIZE,
    hold_open: bool = True,
) -> Iterator[Item]:
    """The parsed lines of one set, in its own order (blank lines left out)."""
    parse = parse_line
    for _member, lines, cut in iter_set(log_set, warnings, line_limit, chunk_size, hold_open):
        if cut:
            for i, line in enumerate(lines):
                item = parse(line, i in cut)
                if item is not None:
                    yield item
        else:
            for line in lines:
                if not line or line.isspace():
                    continue  # blank (SPEC 1), as parse_line says, unparsed: 64 MB of newlines took 25 s
                item = parse(line)
                if item is not None:
                    yield item


def _keyed(items: Iterable[Item]) -> Iterator[tuple[int, Item]]:
    # A parse error has no time of its own: it takes the time of the entry before it, so that it
    # stays right after that entry in the merged timeline (before any entry, it leads).
    last = -(1 << 62)
    for item in items:
        ts = item.ts
        if ts is not None:
            last = ts
        yield last, item


def merge_items(streams: Iterable[Iterable[Item]]) -> Iterator[Item]:
    """Merge streams of items by timestamp; each stream keeps its own order, ties go to the earlier stream."""
    streams = list(streams)
    if len(streams) == 1:
        yield from streams[0]  # the usual case: no heap, no keys
        return
    for _ts, item in heapq.merge(*(_keyed(s) for s in streams), key=itemgetter(0)):
        yield item


def merged_name(sets: Iterable[LogSet]) -> str:
    """What a warning about merged entries names: the sets' live files (an entry merged from several
    sets does not say which file it came from)."""
    return " + ".join(str(s.directory / s.name) for s in sets)


def merge_sets(
    sets: Iterable[LogSet],
    warnings: list[SourceWarning],
    line_limit: int = LINE_LIMIT,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Item]:
    """SPEC section 2: several sets, each read in its own order, merged by timestamp into one timeline."""
    sets = list(sets)
    hold_open = len(sets) <= MERGE_HOLD_OPEN_MAX
    if not hold_open:
        chunk_size = min(chunk_size, max(MERGE_MIN_CHUNK, MERGE_BUFFER // len(sets)))
    return merge_items(iter_items(s, warnings, line_limit, chunk_size, hold_open) for s in sets)
