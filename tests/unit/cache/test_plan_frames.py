"""A plan is written and read a frame at a time (cache/plans.PlanWriter, open_plan): what a worker or the
engine holds of one is bounded by a frame, not by the archive's size, and a plan split into frames feeds
exactly what reading the archive feeds."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from execlog_tui.cache.plans import Plans, PlanWriter, RawBlocks, build_plan, open_plan
from execlog_tui.core.config import Config
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.fastpath import FastFeeder
from execlog_tui.core.feedplan import LINES, PlanRecorder, apply_plan
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.core.timefmt import format_ts
from execlog_tui.pipeline import read_history
from execlog_tui.sources.logset import discover

pytestmark = pytest.mark.skipif(not Plans.usable(), reason="the C scanner is not built")

T0 = 1_757_412_000_000
WALL = T0 + 86_400_000
LIMIT = 64 * 1024


def archive_lines() -> list[str]:
    """Runs over many seconds, with a long burst of failures between them (all for the per-line path)."""
    out = []
    t = T0
    for i in range(6000):
        t += 7
        out.append(f"{format_ts(t)}|API|CALL|{i % 90}|SUCCESS|i={i}")
    for i in range(9000):
        t += 3
        out.append(f"{format_ts(t)}|DB|QUERY|{i % 40}|FAILURE|burst {i}")
    for i in range(6000):
        t += 11
        out.append(f"{format_ts(t)}|CACHE|{'HIT' if i % 3 else 'MISS'}|1|SUCCESS|i={i}")
    return out


class Counting:
    """A sink that keeps what it is handed, to see how much came at once."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[str, ...], list[tuple[Any, ...]]]] = []

    def add(self, names: tuple[str, ...], ops: list[tuple[Any, ...]]) -> None:
        self.calls.append((names, list(ops)))


def test_a_recorder_hands_its_ops_over_a_frame_at_a_time() -> None:
    sink = Counting()
    feeder = FastFeeder(MetricsEngine(Config(), figures=False))
    rec = feeder.recorder = PlanRecorder(sink, every=8, every_lines=500)
    feeder.feed(("\n".join(archive_lines()) + "\n").encode())
    names = rec.finish()
    assert len(sink.calls) > 10
    assert all(len(ops) <= 8 + 2 for _n, ops in sink.calls)  # a frame: `every` ops, and the lines and errors after
    lines = [op for _n, ops in sink.calls for op in ops if op[0] == LINES]
    assert sum(len(op[1]) for op in lines) >= 9000 and max(len(op[1]) for op in lines) <= 500
    # Lines held across ops count too: a frame never holds more than `every_lines` of them.
    assert all(sum(len(op[1]) for op in ops if op[0] == LINES) <= 500 for _n, ops in sink.calls)
    assert [n for new, _ops in sink.calls for n in new] == list(names)  # every name once, in order


def test_an_archive_read_line_by_line_is_handed_over_in_bounded_frames() -> None:
    """Lines for the per-line path between runs make many small ops: held across them, they are
    handed over by count and by size, not only every `every` ops."""
    sink = Counting()
    rec = PlanRecorder(sink, every=256, every_lines=100, every_chars=5_000)
    for i in range(3000):
        rec.line(f"2025-09-09T10:00:00.000Z|D\u00c9P\u00d4T|OP|1|SUCCESS|{i}")  # not for the scanner
        if i % 3 == 0:
            rec.errors(1)  # a parse error between them: a new op each time
    rec.finish()
    held = [sum(len(op[1]) for op in ops if op[0] == LINES) for _n, ops in sink.calls]
    chars = [sum(len(x) for op in ops if op[0] == LINES for x in op[1]) for _n, ops in sink.calls]
    assert sum(held) == 3000
    assert max(held) <= 100 and max(chars) <= 5_000 + 100


def test_a_plan_in_frames_feeds_what_reading_the_archive_feeds(tmp_path: Path) -> None:
    d = tmp_path / "logs"
    d.mkdir()
    archive = d / "execution.log.1.gz"
    with gzip.open(archive, "wt") as f:
        f.write("\n".join(archive_lines()) + "\n")
    (d / "execution.log").write_text(f"{format_ts(T0 + 200_000)}|API|CALL|3|SUCCESS|live\n")
    reference = MetricsEngine(Config(), wall_ms=WALL)
    read_history(discover([str(d)]), reference)
    payload = build_plan(archive, Config(), LIMIT)
    assert payload is not None
    plan = open_plan(payload)
    assert plan is not None
    engine = MetricsEngine(Config(), wall_ms=WALL)
    feeder = FastFeeder(engine)
    blocks = RawBlocks(archive, LIMIT)
    engine.note_file(str(archive))
    apply_plan(engine, feeder, plan, blocks)
    blocks.close()
    engine.note_file(str(d / "execution.log"))
    feeder.feed((d / "execution.log").read_bytes())
    for e in (engine, reference):
        e.files = []  # the reference noted both files through read_history
    assert json.dumps(snapshot_to_json(engine.snapshot())) == json.dumps(snapshot_to_json(reference.snapshot()))


def test_bytes_that_are_no_plan_do_not_open() -> None:
    writer = PlanWriter()
    writer.add(("API",), [(LINES, ("x",))])
    good = writer.payload()
    assert open_plan(good) is not None
    for bad in (b"", b"\x00not a deflated plan", good[: len(good) // 3]):
        assert open_plan(bad) is None


def test_a_plan_cut_short_or_damaged_anywhere_is_refused_before_anything_is_fed() -> None:
    """Checked through once before it is applied (a review cut a kept plan in half under a valid
    checksum: its first frames were fed, then the read failed in the middle of the engine's feeding)."""
    import random

    from isal import isal_zlib

    writer = PlanWriter()
    for i in range(30):
        writer.add((f"C{i}",), [(LINES, tuple(f"line {i} {j} " + "x" * (j % 50) for j in range(200)))])
    good = writer.payload()
    plan = open_plan(good)
    assert plan is not None and len(list(plan[2])) == 30 and len(plan[1]) == 30
    rng = random.Random(5)
    for cut in sorted({rng.randrange(1, len(good)) for _ in range(60)}):
        assert open_plan(good[:cut]) is None, cut
    for _ in range(60):
        flipped = bytearray(good)
        flipped[rng.randrange(len(good))] ^= 1 << rng.randrange(8)
        p = open_plan(bytes(flipped))
        assert p is None or len(list(p[2])) == 30
    assert open_plan(good + b"\x00") is None  # bytes after the plan
    # A frame length no writer makes: refused without inflating what it claims (400 MB of zeros here).
    deflate = isal_zlib.compressobj(1)
    bomb = deflate.compress(b"\xff\xff\xff\x7f") + b"".join(deflate.compress(bytes(1 << 20)) for _ in range(400))
    assert open_plan(bomb + deflate.flush()) is None
