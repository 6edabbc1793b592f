"""Counting a block's lines, and whether one is longer than the line limit (the C line counter): the
reader's splitter asks this of every block, so it lives apart from the fast path's engine (a query, which
reads files but feeds no engine, does not import it)."""

from __future__ import annotations

from execlog_tui.core.parser import scan_extension as _scan


def available() -> bool:
    """The C scanner is built (else count_lines always says -1)."""
    return _scan is not None


def count_lines(block: bytes, limit: int) -> int:
    """The lines of a block of newline-separated lines (the C line counter), or -1 when one of them is
    longer than `limit` bytes or the extension is not built: the caller then splits and decodes it."""
    if _scan is None:
        return -1
    if limit > 0 and block.count(b"\n", 0, _DENSE_PROBE) * _DENSE_LINE > _DENSE_PROBE:
        return _count_dense(block, limit)
    n: int = _scan.count_lines(block, limit)
    return n


# The C line counter costs a memchr call a line: on a block of blank lines (a gzip bomb of newlines) that
# is 2 ms per 256 KiB, eight times what one count of the newlines and a probe every `limit` bytes cost.
# A block whose first bytes hold lines shorter than _DENSE_LINE on average is counted that way.
_DENSE_PROBE = 256
_DENSE_LINE = 4


def _count_dense(block: bytes, limit: int) -> int:
    """count_lines by one count of the newlines, and a look at the line holding every limit-th byte: a
    line longer than `limit` spans more than `limit` bytes, so it holds one of them."""
    n = len(block)
    for p in range(limit, n, limit):
        start = block.rfind(b"\n", 0, p) + 1
        end = block.find(b"\n", p)
        if (n if end < 0 else end) - start > limit:
            return -1
    return block.count(b"\n") + 1
