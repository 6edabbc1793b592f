"""Types of the optional C scanner (`_scan.c`): mypy cannot read an extension module, so it reads this."""

from collections.abc import Sequence

_Block = bytes | bytearray | memoryview
# One run of plain entries of one second: second, first and last timestamp (ms), entries, COMPLETEs,
# duration sum, cache hits, misses, then the histogram as (bin, count) pairs and the components as
# (id, count, duration sum, duration max) quadruples, each flattened and packed (native int64 values in
# one bytes object: core/totals.py `unpack`); then the critical paths' checkpoint totals ((act, entries,
# duration sum, min, max) quintuples, (act, bin, count) triples) and the path events (path, restarted, n,
# then n (checkpoint index, ts, duration) triples), packed likewise.
_Run = tuple[int, int, int, int, int, float, int, int, bytes, bytes, tuple[bytes, bytes], bytes]
# A registration of `add_component`: (action, act id, path id, checkpoint index).
_Reg = tuple[bytes, int, int, int]

ABI: int

def line_timestamps(lines: Sequence[str], /) -> list[int | None]: ...

class Scanner:
    def __init__(self, bounds: Sequence[int], /) -> None: ...
    def scan(
        self, block: _Block, pos: int, t: int, until: int, stop_ts: int, slow_sec: int, /
    ) -> tuple[int, int, int, int, int, _Run | None]:
        """(status, new position, lines skipped, special line start, special line end, run or None)."""
    def add_component(self, name: bytes, is_cache: bool, regs: Sequence[_Reg] = (), /) -> int: ...
    def set_watched(self, ids: Sequence[int], /) -> None: ...

def count_lines(block: _Block, limit: int, /) -> int: ...
