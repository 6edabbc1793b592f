"""The one line splitter of every reader (history, follower, fast path, replay): one cut rule, one warning.

SPEC section 1: a line longer than the line limit is cut at the limit (in bytes), marked as cut, and
what is left is parsed; the cut line is taken once its newline arrives (the rest of it is dropped), so a
writer's half-written line is never split. Each cut is a warning naming the file and the line, at most
MAX_CUT_WARNINGS per file and then one summary, given as soon as the line passes the limit: a followed
line may take long to end, or never end.
"""

from __future__ import annotations

from dataclasses import dataclass

from execlog_tui.core.linecount import available as fastpath_available
from execlog_tui.core.linecount import count_lines

# Cut-line warnings per file before they are summarised: a file of giant lines must not flood the report.
MAX_CUT_WARNINGS = 10

# (lines, indexes of the cut ones): decoded lines without their newline.
Batch = tuple[list[str], set[int]]
# (block, its line count): complete lines as undecoded bytes, newline-separated, none over the limit,
# without the last newline.
RawBatch = tuple[bytes, int]


@dataclass(frozen=True, slots=True)
class SourceWarning:
    """Something wrong with a file's content or access: shown to the user, never raised."""

    file: str
    message: str


class LineSplitter:
    """Bytes in, line batches out; keeps at most `limit` bytes of an unfinished line.

    `feed` gives decoded batches; `feed_raw` gives blocks of complete lines undecoded, with their count
    (the C line counter's), whenever no line of the block is over the limit, and a decoded batch
    otherwise. `strip_cr`: drop a line's trailing CR (the follower's lines; the parser drops it anyway).
    `numbered`: warnings say which line of the file was cut (False when reading starts mid-file).
    """

    __slots__ = (
        "name",
        "warnings",
        "limit",
        "strip_cr",
        "numbered",
        "pending",
        "pending_cut",
        "pending_warned",
        "discard",
        "lines",
        "total_bytes",
        "cut_count",
    )

    def __init__(
        self,
        name: str,
        warnings: list[SourceWarning],
        limit: int,
        *,
        strip_cr: bool = False,
        numbered: bool = True,
    ) -> None:
        self.name = name
        self.warnings = warnings
        self.limit = limit
        self.strip_cr = strip_cr
        self.numbered = numbered
        self.pending = b""  # the start of the line whose newline has not arrived yet
        self.pending_cut = False  # that line is already over the limit: skip to its newline
        # Its cut was warned about as it passed the limit (a followed line may take long to end, or
        # never): not warned again when its newline arrives.
        self.pending_warned = False
        self.discard = False  # drop everything up to the next newline, yielding nothing of it
        self.lines = 0  # lines yielded so far (for "line N" in warnings)
        self.total_bytes = 0
        self.cut_count = 0

    # -- feeding -------------------------------------------------------------------------------------

    def feed(self, data: bytes) -> Batch | None:
        """The complete lines `data` finishes, decoded; None when it finishes none."""
        self.total_bytes += len(data)
        data = self._skip_discarded(data)
        head: bytes | None = None  # a cut line finished by this chunk, yielded first
        warned = False  # its cut was warned about already
        if self.pending_cut:
            j = data.find(b"\n")
            if j < 0:
                return None  # still inside the giant line: its rest is dropped
            head, self.pending, self.pending_cut = self.pending, b"", False
            warned, self.pending_warned = self.pending_warned, False
            data = data[j + 1 :]
        k = data.rfind(b"\n")
        if k < 0:
            self._carry(self.pending + data if self.pending else data)
            batch = None if head is None else self._emit_cut_head(head, [], set(), warned)
            self._warn_pending()
            return batch
        block = self.pending + data[:k] if self.pending else data[:k]
        self._carry(data[k + 1 :])
        lines, cut = self._decode(block)
        if head is not None:
            batch = self._emit_cut_head(head, lines, cut, warned)
        else:
            self._count(lines, cut)
            batch = lines, cut
        self._warn_pending()
        return batch

    def feed_raw(self, data: bytes) -> Batch | RawBatch | None:
        """As `feed`, but the complete lines as one undecoded block with its line count when none is
        over the limit (the fast path's input)."""
        if self.pending_cut or self.discard:
            return self.feed(data)
        k = data.rfind(b"\n")
        if k < 0:
            return self.feed(data)
        block = self.pending + data[:k] if self.pending else data[:k]
        n = count_lines(block, self.limit)
        if n < 0:
            return self.feed(data)
        self.total_bytes += len(data)
        self._carry(data[k + 1 :])
        self.lines += n
        self._warn_pending()
        return block, n

    def close(self) -> Batch | None:
        """End of a finished file: its last line without a newline is a line like the others."""
        batch: Batch | None = None
        if self.pending_cut:
            lines = self._split(self.pending.decode("utf-8", errors="replace"))[:1]
            batch = (lines, {0})
            self._count(*batch, warned_first=self.pending_warned)
        elif self.pending:
            batch = self._decode(self.pending)
            self._count(*batch)
        self.pending, self.pending_cut, self.pending_warned, self.discard = b"", False, False, False
        self.finish_cut_warnings()
        return batch

    def reset(self) -> None:
        """Forget the unfinished line (the file was truncated under it)."""
        self.pending, self.pending_cut, self.pending_warned, self.discard = b"", False, False, False

    def skip_line(self) -> None:
        """Drop what comes up to the next newline: the rest of a line shown (cut) by someone else."""
        self.reset()
        self.discard = True

    def restart(self) -> None:
        """The file starts over (truncated and rewritten): line numbers count from its first byte."""
        self.lines = 0
        self.numbered = True

    def finish_cut_warnings(self) -> None:
        extra = self.cut_count - MAX_CUT_WARNINGS
        if extra > 0:
            self.warnings.append(SourceWarning(self.name, f"{extra} more lines cut at {self.limit} bytes"))
        self.cut_count = 0

    # -- internals -----------------------------------------------------------------------------------

    def _skip_discarded(self, data: bytes) -> bytes:
        if not self.discard:
            return data
        j = data.find(b"\n")
        if j < 0:
            return b""
        self.discard = False
        return data[j + 1 :]

    def _carry(self, tail: bytes) -> None:
        if len(tail) > self.limit:
            tail, self.pending_cut = tail[: self.limit], True
        self.pending = tail

    def _split(self, text: str) -> list[str]:
        lines = text.split("\n")
        if self.strip_cr and "\r" in text:
            return [s[:-1] if s.endswith("\r") else s for s in lines]
        return lines

    def _emit_cut_head(self, head: bytes, lines: list[str], cut: set[int], warned: bool) -> Batch:
        lines.insert(0, self._split(head.decode("utf-8", errors="replace"))[0])
        cut = {0} | {i + 1 for i in cut}
        self._count(lines, cut, warned_first=warned)
        return lines, cut

    def _warn_pending(self) -> None:
        """The unfinished line has just passed the limit: say so now, as line (lines so far + 1)."""
        if self.pending_cut and not self.pending_warned:
            self.pending_warned = True
            self._warn_cut(self.lines + 1)

    def _decode(self, block: bytes) -> Batch:
        if block[:1] == b"\n" and block[-1:] == b"\n" and not block.strip(b"\n"):
            # Empty lines only (a gzip bomb of newlines): the list without splitting, 30 times faster.
            return [""] * (len(block) + 1), set()
        lines = self._split(block.decode("utf-8", errors="replace"))
        # The C line counter says whether a line is over the limit, in bytes, without a pass over the
        # decoded lines (a pass a line: a block of blank lines, a gzip bomb of newlines, holds 256 Ki of
        # them). Without the extension: a line of n characters holds between n and 4n bytes, so when
        # no line has more than limit/4 characters none can be long.
        if count_lines(block, self.limit) >= 0 or (not fastpath_available() and max(map(len, lines)) * 4 <= self.limit):
            return lines, set()
        raw = block.split(b"\n")
        cut = {i for i, line in enumerate(raw) if len(line) > self.limit}
        if not cut:
            return lines, cut
        for i in cut:
            raw[i] = raw[i][: self.limit]
        return self._split(b"\n".join(raw).decode("utf-8", errors="replace")), cut

    def _count(self, lines: list[str], cut: set[int], warned_first: bool = False) -> None:
        if cut:
            for i in sorted(cut):
                if i == 0 and warned_first:
                    continue  # warned as it passed the limit
                self._warn_cut(self.lines + i + 1)
        self.lines += len(lines)

    def _warn_cut(self, number: int) -> None:
        self.cut_count += 1
        if self.cut_count <= MAX_CUT_WARNINGS:
            where = f"line {number}" if self.numbered else "a line"
            self.warnings.append(SourceWarning(self.name, f"{where} cut at {self.limit} bytes"))
