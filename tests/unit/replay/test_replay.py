"""Replay without Textual: clock, lazy ring, controller checkpoints and seeks, agreement with -b --at."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
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
COMPARED = ("as_of", "windows", "breakers", "alerts", "components", "bootstrap", "degraded")


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
    assert [i.ts for i in c.incidents if i.kind == "parse"] == [ts("08:17:42.118"), ts("08:44:10.000"), ts("09:12:04.900")]
    assert [i.ts for i in c.incidents] == sorted(i.ts for i in c.incidents)


@pytest.mark.parametrize("when", ["08:00:00.000", "08:17:42.118", "08:23:15.900", "08:23:16.000", "08:35:21.020",
                                  "08:35:51.400", "08:36:21.405", "08:49:00.500", "09:03:56.011", "09:12:04.512",
                                  "09:27:59.223"])
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
    out = subprocess.run([sys.executable, "-m", "execlog_tui", "-b", "--json", "--at", "08:35:30", str(ROTATED)],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
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
