"""A bounded buffer of the newest N lines, kept raw (UTF-8 text and one flag byte each) and parsed on demand.

A parsed `Entry` costs ~440 bytes (a tuple, a float, an int and a details copy besides the raw line); a
raw line as a str ~120. The dashboard only ever shows a screenful of the buffer, so the buffer keeps
the raw text and a byte of flags (parse error, cut) and re-parses what is asked for: 100,000 lines took
~13 MB as a str each instead of ~44 MB parsed, and take ~8.5 MB as UTF-8 in chunks (`core.lines`). The
flags are what a filter needs without parsing (see `fields_of`).
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import cast, overload

from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.lines import CHUNK, Lines
from execlog_tui.core.parser import entry_timestamps, parse_line, token

Item = Entry | ParseError

DEFAULT_CAPACITY = 100_000

# Per-line flag bits.
PARSE_ERROR = 1  # the line is not an entry (SPEC 1)
CUT = 2  # the line was longer than the line limit and was cut
UNKNOWN = 4  # not parsed yet (a raw line from a source that never parsed it): resolve with `resolve_flags`
# An entry dated too far ahead of the wall clock when it was fed (SPEC 3): in no figure, shown marked.
# Set by whoever feeds the engine (the engine's `is_future`, at the line's arrival), never re-derived.
FUTURE = 8


def flags_of(item: Item, is_future: Callable[[int], bool] | None = None) -> int:
    """The flag byte that stands for a parsed line; `is_future`: the engine's rule at its arrival."""
    flags = (PARSE_ERROR if isinstance(item, ParseError) else 0) | (CUT if item.cut else 0)
    if is_future is not None and type(item) is Entry and is_future(item.ts):
        flags |= FUTURE
    return flags


def classify_lines(
    lines: Sequence[str], first: int, is_future: Callable[[int], bool] | None = None
) -> tuple[list[str], bytearray, list[int], int]:
    """The non-blank lines of `lines` (numbered from `first`) as the ring keeps them: raw text, flag byte
    (`flags_of`) and line number each, and their newest timestamp. An entry is known by its timestamp
    alone (`entry_timestamps`: no Entry is built, and plain lines are judged in C), so only the other
    lines are parsed: a history's 100,000-line tail is kept in a tenth of the time `parse_line` on each
    line takes (a twentieth when every line is an entry and none is from the future). `is_future` must
    be monotonic: a later timestamp is never less in the future."""
    raws: list[str] = []
    flags = bytearray()
    numbers: list[int] = []
    newest = -(1 << 62)
    # As `parse_line` keeps an entry: without a CR before the newline (a CRLF file's lines; looked for in C).
    # A line ends with a CR if "\r\n" is in the lines joined by newlines, or it is the last: no step a line
    # in Python (a false alarm, from a line that holds a newline, only costs the exact pass below).
    if lines and ("\r\n" in "\n".join(lines) or lines[-1].endswith("\r")):
        texts = [line[:-1] if line.endswith("\r") else line for line in lines]
    else:
        texts = list(lines)
    stamps = entry_timestamps(texts)
    if stamps and None not in stamps:  # every line an entry (a healthy log's tail): no loop in Python
        latest = max(cast("list[int]", stamps))  # no None in it
        # `is_future` is monotonic (the engine's: after its limit): the newest one says for all.
        if is_future is None or not is_future(latest):
            return texts, bytearray(len(texts)), list(range(first, first + len(texts))), latest
    for i, ts in enumerate(stamps):
        if ts is not None:
            text = texts[i]
            raws.append(text)
            flags.append(FUTURE if is_future is not None and is_future(ts) else 0)
            numbers.append(first + i)
            if ts > newest:
                newest = ts
            continue
        item = parse_line(lines[i])
        if item is not None:  # a parse error (blank lines are dropped)
            raws.append(item.raw)
            flags.append(flags_of(item, is_future))
            numbers.append(first + i)
    return raws, flags, numbers, newest


def resolve_flags(raw: str, flags: int) -> int:
    """`flags` with UNKNOWN replaced by what parsing `raw` says (a no-op for known lines)."""
    if not flags & UNKNOWN:
        return flags
    item = parse_line(raw, bool(flags & CUT))
    return (flags & (CUT | FUTURE)) | (0 if isinstance(item, Entry) else PARSE_ERROR)


def item_of(raw: str, flags: int) -> Item:
    """The parsed form of a stored line: parsing is deterministic, so this is the item that was stored."""
    item = parse_line(raw, bool(flags & CUT))
    return item if item is not None else ParseError(raw, "blank line", bool(flags & CUT))


def fields_of(raw: str, flags: int) -> tuple[str, str] | None:
    """(component, status) of an entry's raw line without building the Entry; None for a parse error.

    Upper-cased through the parser's own token table, so they compare equal to `Entry.component` and
    `Entry.status` (the fields of a line the parser accepted are the first five '|'-separated parts).
    """
    if resolve_flags(raw, flags) & PARSE_ERROR:
        return None
    parts = raw.split("|", 5)
    if len(parts) < 6:
        return None
    return token(parts[1]), token(parts[4])


UNKNOWN_TS = 1 << 62  # stands for "some line of unknown time": later than any window's start


class Origins:
    """Where each line of a ring came from (file, line number), kept as segments of consecutive lines,
    and how new the lines that left the ring were (whether the ring still holds every line of a
    window). Lines are numbered by their absolute index: 0 is the first line ever appended.

    A segment is four machine integers in arrays (its start, its first line number, its newest
    timestamp, its file's index in `_names`, -1 for none): a followed log that writes a line at a time
    makes a segment per line, and a tuple of Python ints each took ~140 bytes (14 MB for a full ring)."""

    __slots__ = ("_starts", "_firsts", "_newest", "_files", "_names", "_ids", "_head", "_dropped_newest")

    def __init__(self) -> None:
        self._starts = array("q")
        self._firsts = array("q")  # the segment's first line number in its file (0: no file)
        self._newest = array("q")  # the newest timestamp among its lines
        self._files = array("i")  # index in _names, -1 when the lines' origin is unknown
        self._names: list[str] = []
        self._ids: dict[str, int] = {}
        self._head = 0  # segments before it have left the ring
        self._dropped_newest: int | None = None  # the newest ts of a line that left the ring

    def _push(self, start: int, file: int, first: int, newest_ts: int) -> None:
        self._starts.append(start)
        self._files.append(file)
        self._firsts.append(first)
        self._newest.append(newest_ts)

    def add(self, start: int, n: int, file: str | None, lines: Sequence[int] | None, newest_ts: int) -> None:
        """n lines appended at absolute index `start`: their line numbers in `file` (None: unknown)."""
        if n <= 0:
            return
        if file is None or lines is None:
            if len(self._files) > self._head and self._files[-1] < 0:
                self._newest[-1] = max(self._newest[-1], newest_ts)  # extend the origin-less run
                return
            self._push(start, -1, 0, newest_ts)
            return
        fid = self._ids.get(file)
        if fid is None:
            fid = self._ids[file] = len(self._names)
            self._names.append(file)
        first = 0
        for i in range(1, n + 1):
            if i == n or lines[i] != lines[i - 1] + 1:
                self._push(start + first, fid, lines[first], newest_ts)
                first = i

    def note_dropped(self, newest_ts: int | None) -> None:
        """Lines that never entered the ring (a history longer than the ring) dated up to newest_ts."""
        if newest_ts is not None:
            old = self._dropped_newest
            self._dropped_newest = newest_ts if old is None else max(old, newest_ts)

    def prune(self, first_kept: int) -> None:
        """Forget the segments that lie wholly before absolute index `first_kept`."""
        starts, newest = self._starts, self._newest
        head = self._head
        while head + 1 < len(starts) and starts[head + 1] <= first_kept:
            self.note_dropped(newest[head])
            head += 1
        if head < len(starts) and starts[head] < first_kept:
            # Partly dropped: what left may be as new as the segment's newest line.
            self.note_dropped(newest[head])
        if head > 1024 and head * 2 > len(starts):
            for column in (starts, self._firsts, newest, self._files):
                del column[:head]
            head = 0
        self._head = head

    def clear(self, dropped_from: int) -> None:
        self.prune(dropped_from)
        if len(self._newest) > self._head:
            self.note_dropped(max(self._newest[self._head :]))
        self._starts, self._firsts, self._newest, self._files = array("q"), array("q"), array("q"), array("i")
        self._head = 0

    def origin(self, absolute: int) -> tuple[str, int] | None:
        i = bisect_right(self._starts, absolute, self._head) - 1
        if i < self._head:
            return None
        fid = self._files[i]
        return None if fid < 0 else (self._names[fid], self._firsts[i] + absolute - self._starts[i])

    def span(self, first: int, n: int) -> list[tuple[str, int] | None]:
        """The origins of the n lines from absolute index `first` on."""
        out: list[tuple[str, int] | None] = []
        starts = self._starts
        i = bisect_right(starts, first, self._head) - 1
        at, end = first, first + n
        while at < end:
            nxt = starts[i + 1] if i + 1 < len(starts) else end
            count = min(nxt, end) - at
            fid = self._files[i] if i >= self._head else -1
            if fid < 0:
                out.extend([None] * count)
            else:
                file, base = self._names[fid], self._firsts[i] + at - starts[i]
                out.extend([(file, base + k) for k in range(count)])
            at += count
            i += 1
        return out

    def covers(self, ts: int) -> bool:
        """Whether every line that left the ring (or never entered it) is dated before `ts`."""
        return self._dropped_newest is None or self._dropped_newest < ts


def _newest_ts(items: Iterable[Item]) -> int:
    newest = -(1 << 62)
    for item in items:
        ts = item.ts
        if ts is not None and ts > newest:
            newest = ts
    return newest


class RingBuffer:
    """The newest `capacity` lines, oldest first; memory never grows past the capacity.

    Takes parsed items (what the session has anyway: the engine needs them) or raw lines with flags, and
    keeps only `item.raw` and its flags. Indexing and iterating give parsed items again (parsed on each
    access: callers that want a screenful use `lines_newest`/`raw_newest` and parse what they show).

    The text is kept as UTF-8 in chunks (`core.lines.Lines`, ~4 bytes a line besides the text instead of
    a str object's ~57), numbered by the lines' absolute index; the flags in a bytearray, oldest first
    (dropping from a bytearray's front is O(1) amortised). `text` is the chunked store itself, which the
    log view shares rather than copies.
    """

    __slots__ = ("_capacity", "_lines", "_flags", "_total", "_origins")

    def __init__(self, capacity: int = DEFAULT_CAPACITY, *, chunk_lines: int = CHUNK) -> None:
        """`chunk_lines`: lines per chunk of text (the default; tests use small chunks)."""
        if capacity < 1:
            raise ValueError(f"ring buffer capacity must be at least 1, got {capacity}")
        self._capacity = capacity
        self._lines = Lines(0, chunk_lines)
        self._flags = bytearray()
        self._total = 0
        self._origins = Origins()

    @property
    def text(self) -> Lines:
        """The held lines' text, numbered by absolute index (`total - len(self)` is the oldest's)."""
        return self._lines

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def total(self) -> int:
        """How many lines were ever appended (never decreases): a UI compares it to tell what is new."""
        return self._total

    @property
    def lines_so_far(self) -> int:
        """Lines of the log up to the newest one held: for a live ring, every line appended."""
        return self._total

    @property
    def dropped(self) -> int:
        """How many lines fell out of the buffer's front."""
        return self._total - len(self._flags)

    # ---- adding ----------------------------------------------------------------------------------
    def append(self, item: Item) -> None:
        self.append_raw(item.raw, flags_of(item), newest_ts=_newest_ts((item,)))

    def extend(
        self,
        new: Iterable[Item],
        file: str | None = None,
        lines: Sequence[int] | None = None,
        is_future: Callable[[int], bool] | None = None,
    ) -> None:
        """Add parsed items; `file` and `lines` (one line number each) say where they come from;
        `is_future`: the engine's future rule as the items were fed (FUTURE flags)."""
        items = list(new)
        raws: list[str] = []
        flags = bytearray()
        for item in items:
            raws.append(item.raw)
            flags.append(flags_of(item, is_future))
        self.extend_raw(raws, flags, file=file, lines=lines, newest_ts=_newest_ts(items))

    def append_raw(self, raw: str, flags: int = 0, newest_ts: int = UNKNOWN_TS) -> None:
        self._origins.add(self._total, 1, None, None, newest_ts)
        self._total += 1
        fl = self._flags
        if len(fl) >= self._capacity:
            self._origins.prune(self._total - self._capacity)
        self._lines.append(raw)
        fl.append(flags)
        if len(fl) > self._capacity:
            del fl[0]
            self._lines.drop_before(self._total - self._capacity)

    def extend_raw(
        self,
        new: list[str],
        flags: bytes | bytearray | None = None,
        *,
        file: str | None = None,
        lines: Sequence[int] | None = None,
        newest_ts: int = UNKNOWN_TS,
    ) -> None:
        """Add raw lines (without newline) with one flag byte each (all 0, entries, when None).
        `file` and `lines` (one line number each): where they come from (`origin`); `newest_ts`: the
        newest timestamp among them (unknown by default), for `covers`."""
        skip = self._admit(len(new), flags, lines, file, newest_ts)
        if skip is not None:
            self._lines.extend(new[skip:] if skip else new)
            self._trim()

    def extend_lines(
        self,
        src: Lines,
        lo: int,
        hi: int,
        flags: bytes | bytearray | None = None,
        *,
        file: str | None = None,
        lines: Sequence[int] | None = None,
        newest_ts: int = UNKNOWN_TS,
    ) -> None:
        """`extend_raw` of src's lines numbered lo to hi - 1, taking src's chunks of text rather than a
        copy where src numbers them as this buffer will (`Lines.take`): a history's tail arrives so."""
        skip = self._admit(hi - lo, flags, lines, file, newest_ts)
        if skip is not None:
            self._lines.take(src, lo + skip, hi)
            self._trim()

    def _admit(
        self,
        n: int,
        flags: bytes | bytearray | None,
        lines: Sequence[int] | None,
        file: str | None,
        newest_ts: int,
    ) -> int | None:
        """Count `n` new lines in (their flags and origins): how many of them, from the first, are
        dropped at once (past the capacity); None when there are none."""
        if n == 0:
            return None
        if flags is None:
            flags = bytes(n)
        elif len(flags) != n:
            raise ValueError(f"{n} lines added but {len(flags)} flags")
        if lines is not None and len(lines) != n:
            raise ValueError(f"{n} lines added but {len(lines)} line numbers")
        self._origins.add(self._total, n, file, lines, newest_ts)
        self._origins.prune(self._total + n - self._capacity)
        cap = self._capacity
        self._total += n
        if n >= cap:
            # Only the newest `capacity` survive.
            self._lines.clear(self._total - cap)
            self._flags = bytearray(flags[n - cap :])
            return n - cap
        self._flags.extend(flags)
        return 0

    def _trim(self) -> None:
        over = len(self._flags) - self._capacity
        if over > 0:
            del self._flags[:over]
            self._lines.drop_before(self._total - self._capacity)

    # ---- reading raw -----------------------------------------------------------------------------
    def lines_newest(self, count: int) -> tuple[list[str], bytes]:
        """The newest `count` raw lines and their flags, oldest first (what the log view pulls)."""
        n = len(self._flags)
        count = max(0, min(count, n))
        if count == 0:
            return [], b""
        return self._lines.span(self._total - count, self._total), bytes(self._flags[n - count :])

    def flags_newest(self, count: int) -> bytes:
        """The flags of the newest `count` lines, oldest first (`lines_newest` without the text)."""
        n = len(self._flags)
        count = max(0, min(count, n))
        return bytes(self._flags[n - count :]) if count else b""

    def raw_newest(self, count: int) -> list[str]:
        """The newest `count` raw lines, oldest first (the same call as the replay's LazyRing)."""
        return self.lines_newest(count)[0]

    def origin(self, index: int) -> tuple[str, int] | None:
        """(file, 1-based line number) of the line at `index` (0 the oldest kept, -1 the newest), or
        None when it is not known (lines appended without an origin). IndexError out of range."""
        n = len(self._flags)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("ring buffer index out of range")
        return self._origins.origin(self._total - n + index)

    def origins_newest(self, count: int) -> list[tuple[str, int] | None]:
        """The origins of the newest `count` lines, oldest first (as `lines_newest` gives them)."""
        n = len(self._flags)
        count = max(0, min(count, n))
        return self._origins.span(self._total - count, count)

    def covers(self, ts: int) -> bool:
        """Whether the ring holds every line appended (or noted with `note_dropped`) dated at or
        after `ts`: a window starting at `ts` can be served from it alone."""
        return self._origins.covers(ts)

    def note_dropped(self, newest_ts: int | None) -> None:
        """Lines that were read but never appended (a history longer than the ring), dated up to
        `newest_ts` (None: there were none)."""
        self._origins.note_dropped(newest_ts)

    # ---- reading parsed --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._flags)

    def __iter__(self) -> Iterator[Item]:
        raws, flags = self.lines_newest(len(self._flags))
        return map(item_of, raws, flags)

    @overload
    def __getitem__(self, index: int) -> Item: ...
    @overload
    def __getitem__(self, index: slice) -> list[Item]: ...

    def __getitem__(self, index: int | slice) -> Item | list[Item]:
        """0 is the oldest line kept, -1 the newest."""
        n = len(self._flags)
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(n))]
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("ring buffer index out of range")
        return item_of(self._lines.at(self._total - n + index), self._flags[index])

    def newest(self, count: int) -> list[Item]:
        """The newest `count` lines, parsed, oldest first."""
        raws, flags = self.lines_newest(count)
        return list(map(item_of, raws, flags))

    def since(self, total: int) -> list[Item]:
        """The lines appended after `total` was read from `.total` (those still kept), oldest first."""
        return self.newest(self._total - total)

    # ---- size ------------------------------------------------------------------------------------
    def resize(self, new_capacity: int) -> None:
        """Change the capacity; shrinking keeps the newest lines (the memory safeguard uses it)."""
        if new_capacity < 1:
            raise ValueError(f"ring buffer capacity must be at least 1, got {new_capacity}")
        n = len(self._flags)
        keep = min(n, new_capacity)
        self._origins.prune(self._total - keep)
        del self._flags[: n - keep]
        self._lines.drop_before(self._total - keep)
        self._capacity = new_capacity

    def clear(self) -> None:
        """Drop every line; the total is kept (it counts what arrived, not what is held)."""
        self._origins.clear(self._total)
        self._lines.clear(self._total)
        self._flags = bytearray()
