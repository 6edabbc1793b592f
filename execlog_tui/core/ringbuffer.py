"""A bounded buffer of the newest N parsed lines (Entry or ParseError), with a running total."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain, islice
from typing import Union, overload

from execlog_tui.core.entry import Entry, ParseError

Item = Union[Entry, ParseError]

DEFAULT_CAPACITY = 100_000


class RingBuffer:
    """The newest `capacity` items, oldest first; memory never grows past the capacity.

    A list used as a ring rather than a deque: the log view indexes into the middle of the buffer on
    every scroll, and a list index is O(1) where a deque's is O(n/64).
    """

    __slots__ = ("_capacity", "_items", "_start", "_total")

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"ring buffer capacity must be at least 1, got {capacity}")
        self._capacity = capacity
        # Grows by append until full (no preallocation: a small log costs little), then overwritten in place.
        self._items: list[Item] = []
        self._start = 0  # index of the oldest item once the ring is full
        self._total = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def total(self) -> int:
        """How many items were ever appended (never decreases): a UI compares it to tell what is new."""
        return self._total

    @property
    def dropped(self) -> int:
        """How many items fell out of the buffer's front."""
        return self._total - len(self._items)

    def append(self, item: Item) -> None:
        items = self._items
        self._total += 1
        if len(items) < self._capacity:
            items.append(item)
            return
        items[self._start] = item
        self._start += 1
        if self._start == self._capacity:
            self._start = 0

    def extend(self, new: Iterable[Item]) -> None:
        if not isinstance(new, (list, tuple)):
            new = list(new)
        n = len(new)
        if n == 0:
            return
        cap = self._capacity
        if n >= cap:
            # Only the newest `capacity` survive: rebuild rather than overwrite item by item.
            self._items = list(new[n - cap:])
            self._start = 0
            self._total += n
            return
        items = self._items
        room = cap - len(items)
        if room > 0:
            take = min(room, n)
            items.extend(new[:take])
            self._total += take
            if take == n:
                return
            new = new[take:]
            n = len(new)
        # Full ring: overwrite from _start, wrapping once at most (n < cap).
        start = self._start
        first = min(n, cap - start)
        items[start:start + first] = new[:first]
        rest = n - first
        if rest:
            items[0:rest] = new[first:]
            self._start = rest
        else:
            self._start = start + first if start + first < cap else 0
        self._total += n

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Item]:
        s = self._start
        if s == 0:
            return iter(self._items)
        return chain(islice(self._items, s, None), islice(self._items, 0, s))

    @overload
    def __getitem__(self, index: int) -> Item: ...
    @overload
    def __getitem__(self, index: slice) -> list[Item]: ...

    def __getitem__(self, index: int | slice) -> Item | list[Item]:
        """0 is the oldest item kept, -1 the newest."""
        n = len(self._items)
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(n))]
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("ring buffer index out of range")
        i = self._start + index
        return self._items[i - n if i >= n else i]

    def newest(self, count: int) -> list[Item]:
        """The newest `count` items, oldest first."""
        n = len(self._items)
        count = max(0, min(count, n))
        return self[n - count:]

    def since(self, total: int) -> list[Item]:
        """The items appended after `total` was read from `.total` (those still kept), oldest first."""
        return self.newest(self._total - total)

    def resize(self, new_capacity: int) -> None:
        """Change the capacity; shrinking keeps the newest items (the memory safeguard uses it)."""
        if new_capacity < 1:
            raise ValueError(f"ring buffer capacity must be at least 1, got {new_capacity}")
        keep = list(self)
        if len(keep) > new_capacity:
            keep = keep[len(keep) - new_capacity:]
        self._items = keep
        self._start = 0
        self._capacity = new_capacity

    def clear(self) -> None:
        """Drop every item; the total is kept (it counts what arrived, not what is held)."""
        self._items = []
        self._start = 0
