"""Replay without Textual: clock, lazy ring, controller checkpoints and seeks, agreement with -b --at."""

from __future__ import annotations

import gzip
import json
import pickle
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.core.timefmt import parse_timestamp
from execlog_tui.pipeline import read_history
from execlog_tui.replay.clock import MAX, ReplayClock, parse_speed, speed_label
from execlog_tui.replay.controller import ReplayController
from execlog_tui.replay.ring import LazyRing
from execlog_tui.replay.session import ReplaySession
from execlog_tui.sources.logset import discover

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "sample_logs" / "seed_sample.log"
ROTATED = ROOT / "sample_logs" / "rotated"
COMPARED = ("as_of", "windows", "breakers", "alerts", "components", "bootstrap", "degraded", "critical_paths")


def ts(text: str) -> int:
    value = parse_timestamp(f"2025-09-09T{text}Z")
    assert value is not None
    return value


def batch_at(paths: list[str], t: int) -> dict:
    engine = MetricsEngine()
    read_history(discover(paths), engine, until=t)
    return snapshot_to_json(engine.snapshot(as_of=t))


def picked(snap: dict) -> dict:
    return {k: snap[k] for k in COMPARED}


def test_clock_speeds_pause_and_driven_wall() -> None:
    wall = [100.0]
    clock = ReplayClock(1_000, 10.0, wall=lambda: wall[0])
    wall[0] += 1.5
    assert clock.now() == 16_000
    clock.pause()
    wall[0] += 5
    assert clock.now() == 16_000
    clock.resume()
    wall[0] += 0.1
    assert clock.now() == 17_000
    assert clock.faster() == 60.0 and clock.faster() == 600.0 and clock.faster() == MAX and clock.faster() == MAX
    assert clock.slower() == 600.0
    assert [parse_speed(s) for s in ("1", "10x", "60", "600", "MAX")] == [1.0, 10.0, 60.0, 600.0, MAX]
    assert speed_label(MAX) == "max" and speed_label(10.0) == "10x"
    with pytest.raises(ValueError, match="--speed"):
        parse_speed("7")


def test_lazy_ring_keeps_the_newest_lines_and_total_survives_reset() -> None:
    lines = SEED.read_text().splitlines()
    ring = LazyRing(capacity=5)
    ring.add_block("\n".join(lines[:10]).encode(), 10)
    ring.add_lines(lines[10:])
    assert len(ring) == 5 and ring.total == len(lines)
    assert [e.raw for e in ring.newest(3)] == lines[-3:]
    assert [e.raw for e in ring] == lines[-5:]
    ring.reset()
    assert len(ring) == 0 and ring.total == len(lines)


def test_first_pass_takes_checkpoints_and_indexes_the_incidents() -> None:
    c = ReplayController(discover([str(ROTATED)]), checkpoint_every_ms=60_000)
    c.advance_to(1 << 62)
    assert c.complete and c.engine.entries == 19_026 and c.engine.parse_errors == 3
    # one checkpoint a minute of log time over 88 minutes, plus the start
    assert 85 <= len(c.checkpoints) <= 90
    assert c.checkpoint_bytes < 5_000_000
    kinds = [(i.kind, i.name, i.ts) for i in c.incidents]
    assert ("breaker", "breaker:API", ts("08:23:15.900")) in kinds
    assert ("alert", "error_rate", ts("08:23:23.000")) in kinds
    assert ("breaker", "breaker:CACHE", ts("08:35:21.020")) in kinds
    assert ("alert", "cache_hit_rate", ts("08:47:17.000")) in kinds
    assert ("alert", "memory_usage", ts("09:00:50.000")) in kinds
    assert ("critical", "critical:SYSTEM", ts("09:12:04.512")) in kinds
    assert [i.ts for i in c.incidents if i.kind == "parse"] == [
        ts("08:17:42.118"),
        ts("08:44:10.000"),
        ts("09:12:04.900"),
    ]
    assert [i.ts for i in c.incidents] == sorted(i.ts for i in c.incidents)


@pytest.mark.parametrize(
    "when",
    [
        "08:00:00.000",
        "08:17:42.118",
        "08:23:15.900",
        "08:23:16.000",
        "08:35:21.020",
        "08:35:51.400",
        "08:36:21.405",
        "08:49:00.500",
        "09:03:56.011",
        "09:12:04.512",
        "09:27:59.223",
    ],
)
def test_seek_back_and_forth_agrees_with_batch_at(when: str) -> None:
    c = ReplayController(discover([str(ROTATED)]))
    c.advance_to(1 << 62)
    restores, end = c.restores, c.engine.t
    t = ts(when)
    c.seek(t)
    assert c.restores == restores + (t < end)  # back from the end: a checkpoint, not the beginning
    assert picked(snapshot_to_json(c.engine.snapshot())) == picked(batch_at([str(ROTATED)], t))
    if t + 90_000 > end:
        return  # a replay stops at the newest entry
    c.seek(t + 90_000)  # forward again
    assert picked(snapshot_to_json(c.engine.snapshot())) == picked(batch_at([str(ROTATED)], t + 90_000))


def test_restored_checkpoint_resumes_inside_a_gzip_member_and_refills_the_ring() -> None:
    c = ReplayController(discover([str(ROTATED)]))
    c.advance_to(1 << 62)
    c.seek(ts("08:30:00.000"))  # in execution.log.3.gz, 13 minutes after its first line
    lines = [e.raw for e in c.ring.newest(len(c.ring))]
    assert lines[-1] <= "2025-09-09T08:30:00.000Z~" and len(lines) > 2_000
    assert lines == sorted(lines, key=lambda raw: raw[:24])  # in order: before and after the checkpoint


def test_interactive_pace_is_the_same_as_one_jump(tmp_path: Path) -> None:
    # Many small steps (the clock at 10x) end where one seek does: same windows, breakers, alerts.
    wall = [0.0]
    s = ReplaySession([str(SEED)], start="10:03:50", speed=10.0, wall=lambda: wall[0])
    s.settle()
    states = []
    for _ in range(50):
        wall[0] += 0.1
        s.pump()
        states.append((s.clock.now(), s.snapshot().breakers["CACHE"].state))
    assert states[-1][0] == ts("10:04:30.002") and s.ended and s.clock.paused
    opened = next(t for t, st in states if st == "OPEN")
    assert ts("10:04:00.200") <= opened < ts("10:04:01.300")
    assert all(st == "CLOSED" for t, st in states if t < ts("10:04:00.200"))
    assert picked(snapshot_to_json(s.snapshot())) == picked(batch_at([str(SEED)], ts("10:04:30.002")))


def test_cli_batch_at_agrees_with_a_replay_paused_there(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "-b", "--json", "--at", "08:35:30", str(ROTATED)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    s = ReplaySession([str(ROTATED)], start="08:00:00", speed=60.0, wall=lambda: 0.0)
    s.settle()
    s.jump_to("08:35:30")
    s.settle()
    assert picked(snapshot_to_json(s.snapshot())) == picked(json.loads(out.stdout))


def test_several_sets_are_one_timeline_and_seek_back(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    lines = SEED.read_text().splitlines()
    (a / "execution.log").write_text("\n".join(lines[::2]) + "\n")
    with gzip.open(b / "execution.log.1.gz", "wt") as f:
        f.write("\n".join(lines[1::2][:5]) + "\n")
    (b / "execution.log").write_text("\n".join(lines[1::2][5:]) + "\n")
    c = ReplayController(discover([str(a), str(b)]))
    c.advance_to(1 << 62)
    assert c.engine.entries == len(lines)
    t = ts("10:04:00.200")
    c.seek(t)
    assert picked(snapshot_to_json(c.engine.snapshot())) == picked(batch_at([str(a), str(b)], t))
    assert c.engine.snapshot().breakers["CACHE"].state == "OPEN"


def test_bad_from_and_to_are_one_line_errors() -> None:
    with pytest.raises(ValueError, match="^--from: not a time"):
        ReplaySession([str(SEED)], start="ten past")
    with pytest.raises(ValueError, match="--to is before --from"):
        ReplaySession([str(SEED)], start="10:04", end="10:01")


# ------------------------------------------------------------------ raw blocks split at a stop
BLOCK = 256 * 1024  # the reader's chunk of a plain file: the first raw block ends at its last newline


def _split_set(tmp_path: Path, late: bool) -> tuple[Path, list[str]]:
    """A plain log whose second raw block starts exactly with the 10:04:00.000 line (a checkpoint
    boundary at 60 s), with errors, fractional durations, a parse error and, with `late`, entries
    older than the clock just after the 10:02:00 and 10:03:00 checkpoints."""
    lines: list[str] = []
    for i in range(4800):  # 10:00:00.000 .. 10:03:59.950, every 50 ms
        ms = i * 50
        t = f"2025-09-09T10:{ms // 60_000:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}Z"
        if i % 97 == 0:
            lines.append(f"{t}|DB|QUERY|{i % 40 + 0.5}|SUCCESS|p")  # fractional: the per-line path
        elif i % 13 == 0:
            lines.append(f"{t}|CACHE|{'MISS' if i % 3 else 'HIT'}|1|SUCCESS|p")
        elif 1500 <= i < 1530:
            lines.append(f"{t}|API|CALL|30|FAILURE|p")  # a burst of errors: API breaker, error rate
        else:
            lines.append(f"{t}|API|CALL|{i % 90}|SUCCESS|p")
    lines[4799] = "2025-09-09T10:03:59.999Z|API|CALL|5|SUCCESS|p"  # the last ms before the checkpoint
    lines[4798] = "a torn line that is not an entry"  # a parse error right before the boundary
    if late:
        lines.insert(2403, "2025-09-09T10:01:58.000Z|API|CALL|7|FAILURE|late")  # after 10:02:00.100
        lines.insert(3605, "2025-09-09T10:00:30.250Z|CACHE|HIT|3|SUCCESS|late")  # after 10:03:00.050
    # Pad the details so that the first 4800 (+late) lines end exactly at BLOCK bytes.
    size = sum(len(x) + 1 for x in lines)
    pad = BLOCK - size
    padded = [k for k, x in enumerate(lines) if x.endswith("|p")]
    assert 0 < pad < 20 * len(padded)
    for j in range(pad):
        lines[padded[j % len(padded)]] += "x"
    tail = ["2025-09-09T10:04:00.000Z|API|CALL|4|SUCCESS|boundary"]
    for i in range(1, 1200):  # 10:04:00.050 .. 10:04:59.950
        ms = 240_000 + i * 50
        tail.append(
            f"2025-09-09T10:{ms // 60_000:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}Z|API|CALL|{i % 50}|SUCCESS|q"
        )
    d = tmp_path / "logs"
    d.mkdir()
    data = "\n".join(lines + tail) + "\n"
    assert data.index("2025-09-09T10:04:00.000Z") == BLOCK
    (d / "execution.log").write_text(data)
    return d, lines + tail


def in_file_order_at(path: Path, lines: list[str], t: int) -> dict:
    """The reference of a replay at t: every line before the first entry after t, in file order
    (batch --at also takes a late entry found after that one; there is none without `late`)."""
    stop = next(
        (k for k, x in enumerate(lines) if (v := parse_timestamp(x.split("|", 1)[0])) is not None and v > t), len(lines)
    )
    engine = MetricsEngine()
    engine.feed_lines(lines[:stop])
    return picked(snapshot_to_json(engine.snapshot(as_of=t)))


@pytest.mark.parametrize("late", [False, True])
def test_blocks_split_at_checkpoints_and_targets_agree_with_batch(tmp_path: Path, late: bool) -> None:
    d, lines = _split_set(tmp_path, late)

    def expected(t: int) -> dict:
        want = in_file_order_at(d, lines, t)
        if not late:
            assert want == picked(batch_at([str(d)], t))
        return want

    c = ReplayController(discover([str(d)]), checkpoint_every_ms=60_000)
    c.advance_to(1 << 62)
    assert c.engine.entries == len(lines) - 1 and c.engine.parse_errors == 1
    assert c.engine._late_version == (2 if late else 0)
    # The checkpoint on the block boundary resumes at the first line of the second block.
    boundary = next(k for k in c.checkpoints if k.ts == ts("10:04:00.000"))
    assert (boundary.member, boundary.line) == (0, lines.index(next(x for x in lines if "boundary" in x)))
    # Every checkpoint restores the state just before it (with `late`, buckets settled at an
    # earlier checkpoint and changed since by a late entry are not taken from the store).
    for k in c.checkpoints[1:]:
        c._restore(k)
        assert picked(snapshot_to_json(c.engine.snapshot(as_of=k.ts - 1))) == expected(k.ts - 1), k.ts
    # Targets on .000, inside a second, on the last ms before a checkpoint and on the boundary.
    for when in (
        "10:04:00.000",
        "10:01:15.025",
        "10:02:00.000",
        "10:01:59.999",
        "10:03:59.999",
        "10:04:30.010",
        "10:00:00.000",
        "10:03:00.000",
        "10:02:45.000",
    ):
        t = ts(when)
        c.seek(t)
        assert picked(snapshot_to_json(c.engine.snapshot())) == expected(t), when
    # Step forward in small pieces from a restore: the same states as one jump.
    c.seek(ts("10:01:00.000"))
    for step in range(1, 40):
        t = ts("10:01:00.000") + step * 4_321
        c.advance_to(t)
        if step % 8 == 0:
            assert picked(snapshot_to_json(c.engine.snapshot())) == expected(t), step


def test_settled_buckets_are_pickled_once_for_all_checkpoints() -> None:
    c = ReplayController(discover([str(ROTATED)]), checkpoint_every_ms=60_000)
    c.advance_to(1 << 62)
    blobs = sum(len(k.blob) for k in c.checkpoints)
    assert c.checkpoint_bytes == blobs + c.store.nbytes
    # A checkpoint refers to the buckets settled before it instead of holding them: far less than
    # a whole engine (its 300 seconds and its minutes) each time.
    whole = len(zlib.compress(pickle.dumps(c.engine, 5), 1))
    assert all(len(k.blob) * 4 < whole for k in c.checkpoints)
    assert c.checkpoint_bytes < 1_000_000
    # A restore rebuilds buckets of its own: changing one does not change the next restore.
    k = c.checkpoints[-1]
    c._restore(k)
    first = c.engine
    sec = max(s for s in first._secs if s < first._cur_sec)
    first._secs[sec].entries += 1_000
    c._restore(k)
    assert c.engine is not first and c.engine._secs[sec].entries == first._secs[sec].entries - 1_000


def _timeline_lines(paths: list[Path]) -> list[str]:
    lines: list[str] = []
    for s in discover([str(p) for p in paths]):
        for m in s.members:
            data = m.path.read_bytes()
            text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode()
            lines += text.splitlines()
    return lines


def test_a_jump_back_shows_the_whole_log_up_to_the_clock_in_the_view() -> None:
    """`--replay --from 08:23:00`, `$`, `0`, `t 08:48:00` showed `1,460 lines (newest of 21,984)` for a set
    of 19,029 lines and its first line at 08:37:13: the checkpoint's member only, and a count of refills."""
    every = _timeline_lines([ROTATED])
    ctl = ReplayController(discover([str(ROTATED)]))
    ctl.seek(ts("08:23:00"))
    ctl.seek(ts("23:59:59"))  # `$`: the end of the timeline
    assert ctl.ring.lines_so_far == len(every) == len(ctl.ring)
    ctl.seek(ctl.first_ts or 0)  # `0`
    ctl.seek(ts("08:48:00"))  # `t 08:48:00`: restores a checkpoint inside a later member
    assert ctl.restores >= 1
    upto = [line for line in every if line[11:19] < "08:48:00" or line[11:23] == "08:48:00.000"]
    held = ctl.ring.raw_newest(len(ctl.ring))
    assert held == upto, (len(held), len(upto), held[:1])
    assert ctl.ring.lines_so_far == len(upto)


def test_a_jump_refills_the_ring_only_as_far_back_as_its_capacity() -> None:
    every = _timeline_lines([ROTATED])
    ctl = ReplayController(discover([str(ROTATED)]), ring_capacity=3_000)
    ctl.seek(ts("23:59:59"))
    ctl.seek(ctl.first_ts or 0)
    ctl.seek(ts("08:48:00"))
    upto = [line for line in every if line[11:19] < "08:48:00" or line[11:23] == "08:48:00.000"]
    held = ctl.ring.raw_newest(len(ctl.ring))
    assert len(held) == 3_000 and held == upto[-3_000:]
    assert ctl.ring.lines_so_far == len(upto)


def test_from_after_the_end_and_to_before_the_start_are_refused() -> None:
    """`--replay --from` after the set's end went silently to END (the timeline read `12:00:00 ┄┄┄ 09:27:59`)."""
    after = r"^--from 2025-09-09T12:00:00.000Z is after the set's newest entry, 2025-09-09T09:27:59"
    before = r"^--to 2025-09-09T07:00:00.000Z is before the set's oldest entry, 2025-09-09T08:00:00"
    with pytest.raises(ValueError, match=after):
        ReplaySession([str(ROTATED)], start="12:00:00")
    with pytest.raises(ValueError, match=before):
        ReplaySession([str(ROTATED)], end="07:00:00")
    ReplaySession([str(ROTATED)], start="09:27:59", end="09:27:59.223")  # the last moment itself is fine
