"""A bounded buffer of the newest N lines, kept raw (one str and one flag byte each) and parsed on demand.

A parsed `Entry` costs ~440 bytes (a tuple, a float, an int and a details copy besides the raw line); a
raw line alone costs ~120. The dashboard only ever shows a screenful of the buffer, so the buffer keeps
the raw text and a byte of flags (parse error, cut) and re-parses what is asked for: 100,000 lines
take ~13 MB instead of ~44 MB. The flags are what a filter needs without parsing (see `fields_of`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import overload

from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import parse_line, token

Item = Entry | ParseError

DEFAULT_CAPACITY = 100_000

# Per-line flag bits.
PARSE_ERROR = 1  # the line is not an entry (SPEC 1)
CUT = 2  # the line was longer than the line limit and was cut
UNKNOWN = 4  # not parsed yet (a raw line from a source that never parsed it): resolve with `resolve_flags`


def flags_of(item: Item) -> int:
    """The flag byte that stands for a parsed line."""
    return (PARSE_ERROR if isinstance(item, ParseError) else 0) | (CUT if item.cut else 0)


def resolve_flags(raw: str, flags: int) -> int:
    """`flags` with UNKNOWN replaced by what parsing `raw` says (a no-op for known lines)."""
    if not flags & UNKNOWN:
        return flags
    item = parse_line(raw, bool(flags & CUT))
    return (flags & CUT) | (0 if isinstance(item, Entry) else PARSE_ERROR)


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


class RingBuffer:
    """The newest `capacity` lines, oldest first; memory never grows past the capacity.

    Takes parsed items (what the session has anyway: the engine needs them) or raw lines with flags, and
    keeps only `item.raw` and its flags. Indexing and iterating give parsed items again (parsed on each
    access: callers that want a screenful use `lines_newest`/`raw_newest` and parse what they show).

    Two lists used as rings rather than deques: the log view indexes into the middle of the buffer, and a
    list index is O(1) where a deque's is O(n/64).
    """

    __slots__ = ("_capacity", "_raws", "_flags", "_start", "_total")

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"ring buffer capacity must be at least 1, got {capacity}")
        self._capacity = capacity
        # Grow by append until full (no preallocation: a small log costs little), then overwritten in place.
        self._raws: list[str] = []
        self._flags = bytearray()
        self._start = 0  # index of the oldest line once the ring is full
        self._total = 0

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
        return self._total - len(self._raws)

    # ---- adding ----------------------------------------------------------------------------------
    def append(self, item: Item) -> None:
        self.append_raw(item.raw, flags_of(item))

    def extend(self, new: Iterable[Item]) -> None:
        raws: list[str] = []
        flags = bytearray()
        for item in new:
            raws.append(item.raw)
            flags.append(flags_of(item))
        self.extend_raw(raws, flags)

    def append_raw(self, raw: str, flags: int = 0) -> None:
        raws = self._raws
        self._total += 1
        if len(raws) < self._capacity:
            raws.append(raw)
            self._flags.append(flags)
            return
        raws[self._start] = raw
        self._flags[self._start] = flags
        self._start += 1
        if self._start == self._capacity:
            self._start = 0

    def extend_raw(self, new: list[str], flags: bytes | bytearray | None = None) -> None:
        """Add raw lines (without newline) with one flag byte each (all 0, entries, when None)."""
        n = len(new)
        if n == 0:
            return
        if flags is None:
            flags = bytes(n)
        elif len(flags) != n:
            raise ValueError(f"extend_raw: {n} lines but {len(flags)} flags")
        cap = self._capacity
        if n >= cap:
            # Only the newest `capacity` survive: rebuild rather than overwrite line by line.
            self._raws = list(new[n - cap :])
            self._flags = bytearray(flags[n - cap :])
            self._start = 0
            self._total += n
            return
        raws, fl = self._raws, self._flags
        room = cap - len(raws)
        if room > 0:
            take = min(room, n)
            raws.extend(new[:take])
            fl.extend(flags[:take])
            self._total += take
            if take == n:
                return
            new, flags = new[take:], flags[take:]
            n = len(new)
        # Full ring: overwrite from _start, wrapping once at most (n < cap). Equal-length slice
        # assignments, so the bytearray is overwritten in place.
        start = self._start
        first = min(n, cap - start)
        raws[start : start + first] = new[:first]
        fl[start : start + first] = flags[:first]
        rest = n - first
        if rest:
            raws[0:rest] = new[first:]
            fl[0:rest] = flags[first:]
            self._start = rest
        else:
            self._start = start + first if start + first < cap else 0
        self._total += n

    # ---- reading raw -----------------------------------------------------------------------------
    def lines_newest(self, count: int) -> tuple[list[str], bytes]:
        """The newest `count` raw lines and their flags, oldest first (what the log view pulls)."""
        n = len(self._raws)
        count = max(0, min(count, n))
        if count == 0:
            return [], b""
        s = self._start
        lo = s + n - count  # position of the first wanted line, unwrapped
        if lo >= n:
            lo -= n
            return self._raws[lo : lo + count], bytes(self._flags[lo : lo + count])
        # From lo to the physical end, then from 0 up to the oldest line (s), when wrapped.
        return self._raws[lo:] + self._raws[:s], bytes(self._flags[lo:]) + bytes(self._flags[:s])

    def raw_newest(self, count: int) -> list[str]:
        """The newest `count` raw lines, oldest first (the same call as the replay's LazyRing)."""
        return self.lines_newest(count)[0]

    # ---- reading parsed --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._raws)

    def __iter__(self) -> Iterator[Item]:
        raws, flags = self.lines_newest(len(self._raws))
        return map(item_of, raws, flags)

    @overload
    def __getitem__(self, index: int) -> Item: ...
    @overload
    def __getitem__(self, index: slice) -> list[Item]: ...

    def __getitem__(self, index: int | slice) -> Item | list[Item]:
        """0 is the oldest line kept, -1 the newest."""
        n = len(self._raws)
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(n))]
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("ring buffer index out of range")
        i = self._start + index
        if i >= n:
            i -= n
        return item_of(self._raws[i], self._flags[i])

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
        raws, flags = self.lines_newest(min(len(self._raws), new_capacity))
        self._raws = raws
        self._flags = bytearray(flags)
        self._start = 0
        self._capacity = new_capacity

    def clear(self) -> None:
        """Drop every line; the total is kept (it counts what arrived, not what is held)."""
        self._raws = []
        self._flags = bytearray()
        self._start = 0
