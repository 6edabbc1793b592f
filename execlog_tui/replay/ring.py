"""A ring of the newest raw lines that parses only what the log view asks for (the replay's buffer)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import parse_line
from execlog_tui.core.ringbuffer import UNKNOWN

Item = Entry | ParseError


class LazyRing:
    """Newest `capacity` lines, kept as the reader's raw blocks (bytes) or line lists: at max speed a
    replay passes millions of lines through and only the tail is ever shown, so none is parsed or even
    decoded until the log view pulls it. `total` never decreases, even across `reset()` (a jump), so the
    view sees a refill as new lines and starts over."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = max(1, capacity)
        self._chunks: deque[tuple[bytes | list[str], int]] = deque()
        self._held = 0  # lines in _chunks (may exceed capacity by less than one chunk)
        self.total = 0
        self._base = 0  # lines of the timeline before the first one added since the last reset
        self._added = 0  # lines added since the last reset

    def add_block(self, block: bytes, lines: int) -> None:
        if lines:
            self._add(block, lines)

    def add_lines(self, lines: list[str]) -> None:
        if lines:
            self._add(lines, len(lines))

    def _add(self, payload: bytes | list[str], n: int) -> None:
        self._chunks.append((payload, n))
        self._held += n
        self.total += n
        self._added += n
        while self._chunks and self._held - self._chunks[0][1] >= self.capacity:
            self._held -= self._chunks.popleft()[1]

    def reset(self, base: int = 0) -> None:
        """Empty the ring before a refill that starts `base` lines into the timeline."""
        self._chunks.clear()
        self._held = 0
        self._base, self._added = base, 0

    @property
    def lines_so_far(self) -> int:
        """Lines of the timeline up to the newest one held (`total` also counts every refill)."""
        return self._base + self._added

    def resize(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        while self._chunks and self._held - self._chunks[0][1] >= self.capacity:
            self._held -= self._chunks.popleft()[1]

    def __len__(self) -> int:
        return min(self._held, self.capacity)

    def raw_newest(self, count: int) -> list[str]:
        count = min(count, len(self))
        out: list[list[str]] = []
        got = 0
        for payload, _n in reversed(self._chunks):
            if got >= count:
                break
            lines = payload.decode("utf-8", errors="replace").split("\n") if isinstance(payload, bytes) else payload
            take = lines[-(count - got) :] if count - got < len(lines) else lines
            out.append(take)
            got += len(take)
        return [line for part in reversed(out) for line in part]

    def lines_newest(self, count: int) -> tuple[list[str], bytes]:
        """The newest lines as the parser would keep them (no CR, no blank lines) with their kind
        UNKNOWN until a filter or the screen needs it: the same call as the session's RingBuffer."""
        out = []
        for line in self.raw_newest(count):
            if line.endswith("\r"):
                line = line[:-1]
            if line.strip():
                out.append(line)
        return out, bytes([UNKNOWN]) * len(out)

    def newest(self, count: int) -> list[Item]:
        return [p for p in map(parse_line, self.raw_newest(count)) if p is not None]

    def __iter__(self) -> Iterator[Item]:
        return iter(self.newest(len(self)))
