"""Property: random write / partial write / rotate / compress / truncate / delete / recreate sequences.

One process, deterministic: the "writer" and "logrotate" are steps of the test, and poll() runs between
steps at random. What the follower delivered must be exactly what was written, once, in order, except
for a precise set of lines that no follower can see:
- a plain truncation (no copy) loses the lines in the file that had not been delivered when it happened;
- a file deleted before any poll looked at it loses everything written to it.
copytruncate (a copy, then truncation; order relaxed in one corner, see `copytruncate`), rotations, compression
(also caught half-way) lose nothing;
archives rotated away while the live name was missing are read when the name reappears.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execlog_tui.sources.follower import LogFollower


@dataclass
class Gen:
    """One file generation (one inode) the writer wrote to."""

    seqs: list[int] = field(default_factory=list)  # lines now in the file (since its last truncation)
    opened: bool = False  # a poll saw it under the live name: the follower holds it from then on
    doomed: bool = False  # unlinked before any poll saw it: whatever is written to it is lost


def make_line(seq: int, pad: int) -> str:
    # Varying lengths cross the fingerprint length and read boundaries; a multi-byte character too.
    return f"2025-09-09T10:00:00.000Z|API|CALL|1|SUCCESS|seq={seq} " + "\u00e9" * (pad % 7) + "x" * pad


class World:
    def __init__(self, d: Path, exists_at_start: bool) -> None:
        self.d = d
        self.live = d / "execution.log"
        self.seq = 0
        self.written: list[int] = []
        self.lost: set[int] = set()
        self.delivered: list[int] = []
        self.partial: tuple[int, bytes] | None = None  # a line half written: (seq, rest to write)
        self.archives: list[Path] = []  # numbered plain archives (.1 newest)
        self.gen: Gen | None = None
        self.relaxed_order = False
        self.fd: int | None = None
        if exists_at_start:
            self._create()
            self.write(3, 10)
        self.f = LogFollower(self.live, retire_grace=1e9)
        if self.gen is not None:
            self.gen.opened = True

    def _create(self) -> None:
        self.fd = os.open(self.live, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.gen = Gen()

    def _emit(self, data: bytes) -> None:
        assert self.fd is not None
        os.write(self.fd, data)

    def finish_partial(self) -> None:
        if self.partial is not None and self.fd is not None:
            seq, rest = self.partial
            self._emit(rest)
            self.partial = None

    def _record(self, seq: int) -> None:
        assert self.gen is not None
        self.written.append(seq)
        self.gen.seqs.append(seq)
        if self.gen.doomed:
            self.lost.add(seq)

    def write(self, n: int, pad: int) -> None:
        if self.fd is None:
            return
        self.finish_partial()
        out = []
        for _ in range(n):
            out.append(make_line(self.seq, pad + self.seq % 5) + "\n")
            self._record(self.seq)
            self.seq += 1
        self._emit("".join(out).encode())

    def write_partial(self, pad: int) -> None:
        if self.fd is None or self.partial is not None:
            return
        data = (make_line(self.seq, pad) + "\n").encode()
        k = 1 + pad % (len(data) - 1)  # may end inside the e-acute
        self._emit(data[:k])
        self.partial = (self.seq, data[k:])
        self._record(self.seq)
        self.seq += 1

    def poll(self) -> None:
        b = self.f.poll()
        for text in b.lines:
            self.delivered.append(int(text.split("seq=", 1)[1].split(" ", 1)[0]))
        if self.live.exists() and self.gen is not None:
            self.gen.opened = True  # every poll ends holding the file under the live name

    def _shift(self) -> None:
        # NAME.k -> NAME.k+1 for plain and .gz, newest last (as logrotate does)
        names = sorted(
            (p for p in self.d.iterdir() if p.name.startswith("execution.log.")),
            key=lambda p: int(p.name.split(".")[2]),
            reverse=True,
        )
        for p in names:
            parts = p.name.split(".")
            parts[2] = str(int(parts[2]) + 1)
            p.rename(self.d / ".".join(parts))

    def rotate(self) -> None:
        if self.fd is None or not self.live.exists():
            return
        self.finish_partial()
        self._shift()
        self.live.rename(self.d / "execution.log.1")
        os.close(self.fd)
        self._create()  # the writer reopens at once (create mode + a postrotate signal)

    def copytruncate(self) -> None:
        if self.fd is None or not self.live.exists():
            return
        self.finish_partial()
        assert self.gen is not None
        delivered = set(self.delivered)
        if self.gen.opened and self.gen.seqs and not any(s in delivered for s in self.gen.seqs):
            # The follower holds this file but has read nothing of it (it was empty when opened), so
            # it cannot tell the truncation happened: the copy is found as an archive, in order or
            # after lines written to the file later, never lost, never twice.
            self.relaxed_order = True
        self._shift()
        (self.d / "execution.log.1").write_bytes(self.live.read_bytes())
        os.truncate(self.live, 0)
        assert self.gen is not None
        self.gen.seqs = []

    def truncate(self) -> None:
        if self.fd is None or not self.live.exists():
            return
        self.finish_partial()
        assert self.gen is not None
        delivered = set(self.delivered)
        self.lost.update(s for s in self.gen.seqs if s not in delivered)
        os.truncate(self.live, 0)
        self.gen.seqs = []

    def compress_start(self, k: int) -> None:
        plain = sorted(
            p
            for p in self.d.iterdir()
            if p.name.startswith("execution.log.") and not p.name.endswith(".gz") and not Path(f"{p}.gz").exists()
        )
        if not plain:
            return
        p = plain[k % len(plain)]
        data = gzip.compress(p.read_bytes())
        Path(f"{p}.gz").write_bytes(data[: len(data) // 2])  # compression under way

    def compress_finish(self) -> None:
        for gz in self.d.glob("execution.log.*.gz"):
            plain = gz.with_suffix("")
            if plain.exists():
                data = gzip.compress(plain.read_bytes())
                with open(gz, "r+b") as f:
                    # logrotate's compressor writes on; the first half is the same bytes (gzip mtime
                    # may differ in the header, so rewrite it all in place).
                    f.write(data)
                    f.truncate(len(data))
                plain.unlink()

    def delete(self) -> None:
        if not self.live.exists() or self.gen is None:
            return
        self.finish_partial()
        self.live.unlink()
        if not self.gen.opened:
            self.gen.doomed = True
            self.lost.update(self.gen.seqs)

    def recreate(self) -> None:
        if self.live.exists():
            return
        self.finish_partial()
        if self.fd is not None:
            os.close(self.fd)
        self._create()


OPS = st.sampled_from(
    [
        "write",
        "write",
        "write",
        "partial",
        "poll",
        "poll",
        "rotate",
        "copytruncate",
        "truncate",
        "compress_start",
        "compress_finish",
        "delete",
        "recreate",
    ]
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exists=st.booleans(), steps=st.lists(st.tuples(OPS, st.integers(0, 300)), max_size=40))
def test_delivered_equals_written(exists: bool, steps: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        w = World(Path(tmp), exists)
        try:
            for op, n in steps:
                if op == "write":
                    w.write(1 + n % 20, n % 50)
                elif op == "partial":
                    w.write_partial(n)
                elif op == "poll":
                    w.poll()
                elif op == "rotate":
                    w.rotate()
                elif op == "copytruncate":
                    w.copytruncate()
                elif op == "truncate":
                    w.truncate()
                elif op == "compress_start":
                    w.compress_start(n)
                elif op == "compress_finish":
                    w.compress_finish()
                elif op == "delete":
                    w.delete()
                elif op == "recreate":
                    w.recreate()
            # Archives rotated away while the name was missing are read when the name reappears.
            w.recreate()
            w.poll()
            w.poll()
            pending = {w.partial[0]} if w.partial is not None else set()
            expected = [s for s in w.written if s not in w.lost and s not in pending]
            if w.relaxed_order:
                assert sorted(w.delivered) == expected, (w.delivered, expected)
            else:
                assert w.delivered == expected, (w.delivered, expected)
        finally:
            w.f.close()
            if w.fd is not None:
                os.close(w.fd)
