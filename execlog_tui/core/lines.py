"""Lines of text kept compactly: UTF-8 in chunks of CHUNK lines, one offsets array each, decoded on demand.

A str per line costs its text plus ~57 bytes (the object header and a list slot); here a line costs its
UTF-8 bytes plus 4 (its end offset). Lines are numbered absolutely (0 is the first line ever added) and
chunk k holds lines [k * CHUNK, (k + 1) * CHUNK): a queue adds at the back and drops at the front, and two
queues over the same numbering can share chunks (`share_from`: the log view's copy of the ring costs
no second copy of the text). A chunk's bytes are never changed once written (the tail chunk only grows),
which is what makes sharing safe. Lines are encoded with 'surrogatepass', so any str comes back exactly
(text from files was decoded with errors='replace' before it got here).
"""

from __future__ import annotations

import operator
from array import array
from itertools import accumulate

CHUNK = 1024
_ENC = "utf-8"
_ERR = "surrogatepass"
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))  # what str.isprintable() accepts of ASCII
_minus = operator.sub


class Lines:
    """A queue of lines numbered absolutely from `first` (the oldest held) to `end` (one past the newest)."""

    __slots__ = ("_texts", "_ends", "_base", "_chunk", "_own_tail", "first", "end")

    def __init__(self, start: int = 0, chunk: int = CHUNK) -> None:
        if chunk < 1:
            raise ValueError(f"chunk must be at least 1 line, got {chunk}")
        self._chunk = chunk  # lines a chunk (CHUNK; tests use small ones to cross chunks often)
        self._texts: list[bytes | bytearray] = []  # chunk i holds lines from _base + i * CHUNK
        self._ends: list[array[int]] = []  # end offset of each line of the chunk, in its text
        self._base = start - start % chunk
        self._own_tail = True  # whether the last chunk's text is ours to grow (not shared)
        self.first = start
        self.end = start

    def __len__(self) -> int:
        return self.end - self.first

    # ---- adding ----------------------------------------------------------------------------------
    def _tail(self) -> tuple[bytearray, array[int]]:
        """The chunk lines are added to (a new one when the last is full or there is none)."""
        ends = self._ends
        if not ends or len(ends[-1]) >= self._chunk:
            if self._own_tail and self._texts and isinstance(self._texts[-1], bytearray):
                self._texts[-1] = bytes(self._texts[-1])  # full: drop the bytearray's spare room
            text = bytearray()
            new_ends = array("I")
            pad = (self.end - self._base) % self._chunk if not ends else 0
            if pad:
                new_ends.frombytes(bytes(4 * pad))  # lines before `start` (never read): empty
            self._texts.append(text)
            self._ends.append(new_ends)
            self._own_tail = True
            return text, new_ends
        last = self._texts[-1]
        if self._own_tail and isinstance(last, bytearray):
            return last, ends[-1]
        # Shared with another queue: copy before growing it, only as far as this one's last line ends
        # (the other may hold more lines in that chunk, or have added some since).
        tail_ends = ends[-1]
        text = bytearray(last[: tail_ends[-1]] if tail_ends else b"")
        self._texts[-1] = text
        self._own_tail = True
        return text, ends[-1]

    def append(self, line: str) -> None:
        text, ends = self._tail()
        text += line.encode(_ENC, _ERR)
        ends.append(len(text))
        self.end += 1

    def extend(self, lines: list[str]) -> None:
        at, n = 0, len(lines)
        while at < n:
            text, ends = self._tail()
            piece = lines[at : at + self._chunk - len(ends)]
            joined = "".join(piece)
            data = joined.encode(_ENC, _ERR)
            sizes = map(len, piece) if len(data) == len(joined) else (len(s.encode(_ENC, _ERR)) for s in piece)
            offs = accumulate(sizes, initial=len(text))
            next(offs)
            ends.extend(offs)
            text += data
            at += len(piece)
            self.end += len(piece)

    def share_from(self, src: Lines, upto: int) -> None:
        """Add src's lines from `self.end` to `upto` by taking src's chunks (no copy of the text).
        Both queues number lines alike: the line numbered i is the same line in both."""
        if upto <= self.end:
            return
        if src._chunk != self._chunk:
            raise ValueError("share_from: the queues' chunks differ in size")
        if not (src.first <= self.end and upto <= src.end):
            raise ValueError("share_from: src does not hold the lines asked for")
        if self.end == self.first:
            self._texts, self._ends, self._base = [], [], self.end - self.end % self._chunk
        if self.first < src.first:
            # src's chunks may hold padding (after a clear) where self still has lines: refuse
            raise ValueError("share_from: self holds lines src no longer holds (drop them first)")
        # From the chunk before the first new line's: src may have replaced it by an exact copy since.
        k_lo = max(0, (self.end - self._base) // self._chunk - 1)
        k_hi = (upto - 1 - self._base) // self._chunk
        del self._texts[k_lo:], self._ends[k_lo:]
        off = (self._base - src._base) // self._chunk
        for k in range(k_lo, k_hi + 1):
            count = min(self._chunk, upto - self._base - k * self._chunk)
            ends = src._ends[k + off]
            self._texts.append(src._texts[k + off])
            self._ends.append(ends if count == len(ends) == self._chunk else ends[:count])
        self.end = upto
        self._own_tail = False

    def take(self, src: Lines, lo: int, hi: int) -> None:
        """Add src's lines numbered lo to hi - 1 as the next ones: by sharing src's chunks (`share_from`,
        no copy of the text) when src numbers them as self will (self.end == lo) and what self holds of
        the chunks that takes over is src's own; else as a copy."""
        if hi <= lo:
            return
        if self._can_share(src, lo, hi):
            self.share_from(src, hi)
        else:
            self.extend(src.span(lo, hi))

    def _can_share(self, src: Lines, lo: int, hi: int) -> bool:
        if not (src._chunk == self._chunk and self.end == lo and src.first <= lo and hi <= src.end):
            return False
        if self.end == self.first:
            return True  # nothing held: share_from starts afresh
        if self.first < src.first:
            return False
        # share_from replaces self's chunks from the one before the first new line's: they must be src's.
        k_lo = max(0, (self.end - self._base) // self._chunk - 1)
        off = (self._base - src._base) // self._chunk
        return all(
            0 <= k + off < len(src._texts) and self._texts[k] is src._texts[k + off]
            for k in range(k_lo, len(self._texts))
        )

    # ---- dropping --------------------------------------------------------------------------------
    def drop_before(self, first: int) -> None:
        """Forget the lines numbered below `first`."""
        if first <= self.first:
            return
        if first >= self.end:
            self.clear(self.end)
            return
        self.first = first
        whole = (first - self._base) // self._chunk
        if whole:
            del self._texts[:whole], self._ends[:whole]
            self._base += whole * self._chunk

    def clear(self, start: int) -> None:
        """Drop every line; the next one added is numbered `start`."""
        self._texts, self._ends, self._own_tail = [], [], True
        self._base = start - start % self._chunk
        self.first = self.end = start

    # ---- reading ---------------------------------------------------------------------------------
    def at(self, i: int) -> str:
        """The line numbered `i` (first <= i < end)."""
        k, j = divmod(i - self._base, self._chunk)
        ends = self._ends[k]
        return self._texts[k][ends[j - 1] if j else 0 : ends[j]].decode(_ENC, _ERR)

    def span(self, lo: int, hi: int) -> list[str]:
        """The lines numbered lo to hi - 1, oldest first (each chunk's part decoded at once)."""
        out: list[str] = []
        base = self._base
        while lo < hi:
            k, j = divmod(lo - base, self._chunk)
            stop = min(hi - lo, self._chunk - j) + j
            ends, text = self._ends[k], self._texts[k]
            b0 = ends[j - 1] if j else 0
            b1 = ends[stop - 1]
            chunk = text[b0:b1].decode(_ENC, _ERR)
            if len(chunk) == b1 - b0:  # ASCII: characters are bytes
                prev = 0
                for e in ends[j:stop]:
                    e -= b0
                    out.append(chunk[prev:e])
                    prev = e
            else:
                prev = b0
                for e in ends[j:stop]:
                    out.append(text[prev:e].decode(_ENC, _ERR))
                    prev = e
            lo += stop - j
        return out

    def extent(self, lo: int, hi: int) -> tuple[int, bool]:
        """Of the lines numbered lo to hi - 1: the longest one's length in UTF-8 bytes (never less than
        its length in characters) and whether every byte of them is printable ASCII (then bytes are
        characters, and a line's length is its width on screen). Nothing is decoded: a history's
        100,000 lines are measured in a third of the time decoding them took."""
        longest, plain = 0, True
        base = self._base
        while lo < hi:
            k, j = divmod(lo - base, self._chunk)
            stop = min(hi - lo, self._chunk - j) + j
            ends, text = self._ends[k], self._texts[k]
            b0 = ends[j - 1] if j else 0
            b1 = ends[stop - 1]
            first = ends[j] - b0
            if first > longest:
                longest = first
            if stop - j > 1:
                rest = max(map(_minus, ends[j + 1 : stop], ends[j : stop - 1]))
                if rest > longest:
                    longest = rest
            if plain and b1 > b0:
                part = text[b0:b1]
                plain = part.isascii() and not part.translate(None, _PRINTABLE_ASCII)
            lo += stop - j
        return longest, plain

    def nbytes(self) -> int:
        """Bytes held for text and offsets (shared chunks counted in full)."""
        return sum(len(t) for t in self._texts) + 4 * sum(len(e) for e in self._ends)
