"""One engine path: a replay driven by any schedule ends in exactly the state `-b --at T` reports.

Random logs (bursts that open inferred breakers, explicit CIRCUIT_* lines, late lines, parse errors,
memory figures, degraded markers, CRITICAL entries, fractional durations) in a real set (a gzip
archive and the live file), random schedules (steps of any size, as any speed and tick would make
them, seeks backwards and forwards across checkpoints), on the fast path and the per-line path.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.core.timefmt import format_ts, parse_timestamp
from execlog_tui.pipeline import read_history
from execlog_tui.replay.controller import ReplayController
from execlog_tui.replay.session import ReplaySession
from execlog_tui.sources.logset import discover

ROOT = Path(__file__).resolve().parents[3]
ROTATED = ROOT / "sample_logs" / "rotated"
COMPARED = ("as_of", "windows", "breakers", "alerts", "components", "bootstrap", "degraded", "critical_paths")
# SPEC 10: the seed's paths, checkpoint by checkpoint, for the `path` kind of line.
PATH_STEPS = {
    "BOOTSTRAP": ("START", "CORE", "PARALLEL", "VALIDATE", "COMPLETE"),
    "CACHE": ("LOOKUP", "MISS", "FETCH", "UPDATE", "COMPLETE"),
    "MEMORY": ("DETECT", "MATCH", "LEARN", "PERSIST", "COMPLETE"),
}
T0 = 1_757_412_000_000  # 2025-09-09T10:00:00Z
COMPONENTS = ("API", "DB", "CACHE", "AUTH")


def picked(snap: dict) -> dict:
    return {k: snap[k] for k in COMPARED}


def batch_at(paths: list[str], t: int) -> dict:
    engine = MetricsEngine()
    read_history(discover(paths), engine, until=t)
    return picked(snapshot_to_json(engine.snapshot(as_of=t)))


@st.composite
def logs(draw: st.DrawFn) -> list[str]:
    lines: list[str] = []
    t = T0 + draw(st.integers(0, 999))
    for _ in range(draw(st.integers(1, 40))):
        kind = draw(
            st.sampled_from(
                [
                    "plain",
                    "plain",
                    "plain",
                    "burst",
                    "circuit",
                    "late",
                    "parse",
                    "memory",
                    "degraded",
                    "critical",
                    "cache",
                    "fraction",
                    "bootstrap",
                    "gap",
                    "cycle",
                    "path",
                    "path",
                ]
            )
        )
        comp = draw(st.sampled_from(COMPONENTS))
        if kind == "cycle":
            # An inferred breaker's whole cycle: three errors, its 30 s timer, then dense plain lines
            # of the same component (the test that closes it may fall inside a fast-path run).
            for _ in range(3):
                t += draw(st.integers(0, 3_000))
                lines.append(f"{format_ts(t)}|{comp}|CALL|9|FAILURE|boom")
            t += draw(st.integers(28_000, 32_000))
            for _ in range(draw(st.integers(5, 40))):
                t += draw(st.integers(0, 120))
                other = draw(st.sampled_from((comp, comp, *COMPONENTS)))
                lines.append(f"{format_ts(t)}|{other}|CALL|{draw(st.integers(0, 50))}|SUCCESS|ok")
            continue
        if kind == "gap":
            t += draw(st.integers(1_000, 40_000))  # idle: timers and evaluations fall between lines
            continue
        if kind == "path":
            # A critical path's run (SPEC 10): checkpoints in order, some skipped, maybe an error, maybe
            # a hang past bootstrap's 30 s timeout before the rest.
            path_comp = draw(st.sampled_from(sorted(PATH_STEPS)))
            for step in PATH_STEPS[path_comp]:
                if draw(st.integers(0, 4)) == 0:
                    continue
                t += draw(st.sampled_from([0, 3, 40, 400, 31_000]))
                status = draw(st.sampled_from(["SUCCESS", "SUCCESS", "INFO", "FAILURE"]))
                lines.append(f"{format_ts(t)}|{path_comp}|{step}|{draw(st.integers(0, 300))}|{status}|p")
            continue
        count = draw(st.integers(1, 30)) if kind in ("plain", "burst", "cache") else 1
        spacing = draw(st.sampled_from([50, 300, 1_500]))  # dense seconds make fast-path runs
        for _ in range(count):
            t += draw(st.integers(0, spacing))
            ts = format_ts(t)
            if kind == "plain":
                lines.append(f"{ts}|{comp}|CALL|{draw(st.integers(0, 400))}|SUCCESS|ok")
            elif kind == "burst":
                lines.append(f"{ts}|{comp}|CALL|{draw(st.integers(0, 900))}|FAILURE|boom")
            elif kind == "circuit":
                action = draw(st.sampled_from(["CIRCUIT_OPEN", "CIRCUIT_TEST", "CIRCUIT_CLOSE"]))
                lines.append(f"{ts}|{comp}|{action}|0|WARNING|breaker")
            elif kind == "late":
                back = draw(st.integers(1, 400_000))
                lines.append(
                    f"{format_ts(t - back)}|{comp}|CALL|{draw(st.integers(0, 300))}|"
                    f"{draw(st.sampled_from(['SUCCESS', 'FAILURE']))}|late"
                )
            elif kind == "parse":
                lines.append(draw(st.sampled_from(["garbage", f"{ts}|API|CALL|x|SUCCESS|bad", f"{ts}|torn"])))
            elif kind == "memory":
                lines.append(f"{ts}|MEMORY|SAMPLE|0|INFO|rss_mb={draw(st.integers(10, 200))}")
            elif kind == "degraded":
                text = draw(st.sampled_from(["Entering degraded mode", "Leaving degraded mode"]))
                lines.append(f"{ts}|SYSTEM|MODE|0|WARNING|{text}")
            elif kind == "critical":
                lines.append(f"{ts}|{comp}|CALL|5|CRITICAL|down")
            elif kind == "cache":
                lines.append(f"{ts}|CACHE|{draw(st.sampled_from(['HIT', 'MISS']))}|1|SUCCESS|k")
            elif kind == "fraction":
                lines.append(f"{ts}|{comp}|CALL|{draw(st.integers(0, 99))}.5|SUCCESS|f")
            elif kind == "bootstrap":
                lines.append(f"{ts}|BOOTSTRAP|COMPLETE|{draw(st.integers(100, 500))}|SUCCESS|up")
    return lines


def write_set(d: Path, lines: list[str], cut: int) -> None:
    """An archive with the first `cut` lines and the live file with the rest: a real rotated set."""
    cut = min(cut, len(lines))
    if cut:
        with gzip.open(d / "execution.log.1.gz", "wt") as f:
            f.write("\n".join(lines[:cut]) + "\n")
    (d / "execution.log").write_text("".join(x + "\n" for x in lines[cut:]))


schedules = st.lists(
    st.one_of(
        st.tuples(st.just("step"), st.integers(1, 3_000)),  # a tick: speed x tick, 1 ms to 2 min
        st.tuples(st.just("step"), st.integers(1, 120_000)),
        st.tuples(st.just("seek"), st.integers(-60_000, 1_500_000)),  # to a log time from the start
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=logs(),
    cut=st.integers(0, 400),
    schedule=schedules,
    fast=st.booleans(),
    every=st.sampled_from([5_000, 30_000, 120_000]),
)
def test_any_schedule_ends_where_batch_at_says(
    lines: list[str], cut: int, schedule: list[tuple[str, int]], fast: bool, every: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_set(d, lines, cut)
        c = ReplayController(discover([str(d)]), checkpoint_every_ms=every, fast=fast)
        c.seek(T0 - 1)
        for op, value in schedule:
            t = c.engine.t
            if op == "step":
                c.advance_to((T0 if t is None else t) + value)
            else:
                c.seek(T0 + value)
        t = c.engine.t
        if t is None:
            return  # nothing read yet: no report to compare
        assert picked(snapshot_to_json(c.engine.snapshot())) == batch_at([str(d)], t)


def test_sample_set_breaker_closes_at_the_same_time_at_every_speed_and_tick() -> None:
    # The reproduction: API opened at 08:23:15.900, went HALF_OPEN at 08:23:45.900 on its
    # timer, and the SUCCESS at 08:23:48.250 closes it. At 10x with 0.1 s ticks the replay used to
    # let that line slip into a fast-path run (the timer fell in a clock advance between two feeds)
    # and closed the breaker at 08:23:51.
    want = batch_at([str(ROTATED)], parse_timestamp("2025-09-09T08:25:00Z") or 0)["breakers"]["API"]
    assert want["since"] == "2025-09-09T08:23:48.250Z"
    for speed, tick in ((10.0, 0.1), (10.0, 0.25), (60.0, 0.25), (600.0, 0.05), (1.0, 0.25)):
        wall = [0.0]
        s = ReplaySession(
            [str(ROTATED)],
            start="08:23:40" if speed == 1.0 else "08:23:00",
            end="08:25:00",
            speed=speed,
            wall=lambda w=wall: w[0],
        )
        s.settle()
        for _ in range(int(130 / speed / tick) + 5):
            wall[0] += tick
            s.pump()
        got = snapshot_to_json(s.snapshot())
        assert got["as_of"] == "2025-09-09T08:25:00.000Z", (speed, tick)
        assert got["breakers"]["API"] == want, (speed, tick)


def test_cli_batch_at_names_the_same_close() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "-b", "--json", "--at", "08:25:00", str(ROTATED)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["breakers"]["API"]["since"] == "2025-09-09T08:23:48.250Z"
