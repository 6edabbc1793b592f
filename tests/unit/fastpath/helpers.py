"""Generated logs for the fast-path tests, and the two ways of reading them (fast and reference)."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

from execlog_tui.core import fastpath
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.core.timefmt import format_ts
from execlog_tui.pipeline import read_history
from execlog_tui.sources.logset import discover

BASE = 1_757_412_000_000  # 2025-09-09T10:00:00Z
COMPONENTS = ["API", "CACHE", "ROUTING", "MEMORY", "TEMPLATE", "BOOTSTRAP", "api", "Cache", "NEWCOMP", "X1"]
ACTIONS = [
    "CALL",
    "HIT",
    "MISS",
    "hit",
    "Miss",
    "LOOKUP",
    "RENDER",
    "COMPLETE",
    "CIRCUIT_OPEN",
    "CIRCUIT_TEST",
    "CIRCUIT_CLOSE",
    "circuit_open",
    "USAGE",
    # critical-path checkpoints (SPEC 10), some in other cases
    "FETCH",
    "UPDATE",
    "update",
    "DETECT",
    "MATCH",
    "LEARN",
    "PERSIST",
    "START",
    "CORE",
    "PARALLEL",
    "VALIDATE",
    "Validation",
]
# Runs of the seed's paths, in order, for `gen_lines` to write with skips and repeats.
PATH_RUNS = {
    "CACHE": ["LOOKUP", "HIT", "MISS", "FETCH", "UPDATE", "COMPLETE"],
    "MEMORY": ["DETECT", "MATCH", "LEARN", "PERSIST", "COMPLETE"],
    "BOOTSTRAP": ["START", "CORE", "PARALLEL", "VALIDATE", "COMPLETE"],
}
STATUSES = [
    "SUCCESS",
    "SUCCESS",
    "SUCCESS",
    "INFO",
    "DEBUG",
    "WARNING",
    "FAILURE",
    "TIMEOUT",
    "ERROR",
    "CRITICAL",
    "DEGRADED",
    "RETRY",
    "SKIPPED",
    "success",
    "Info",
    "WEIRD",
]
DETAILS = [
    "",
    "ok",
    "user=u3 prefs=16",
    "rss_mb=47.2",
    "note memory_mb=120 mem_mb=3",
    "xrss_mb=9",
    "Entering degraded mode",
    "Leaving degraded mode",
    "Exiting degraded mode now",
    "a|b|c",
    "caf\u00e9 \u2603",
    "Looking for news",
    "trailing\r",
    "Entering",
    "rss_mb=101.5 then rss_mb=99",
]
BAD = [
    "",
    "   ",
    "\t",
    "garbage",
    "2025-09-09T10:00:00Z|API|CALL|1|SUCCESS",
    "2025-02-30T10:00:00Z|A|B|1|S|d",
    "2025-09-09 10:00:00Z|A|B|1|S|d",
    "2025-09-09T10:00:00Z|A B|C|1|S|d",
    "2025-09-09T10:00:00Z|A|C|-1|S|d",
    "2025-09-09T10:00:00Z|A|C|1e3|S|d",
    "2025-09-09T10:00:00Z||C|1|S|d",
    "2025-09-09T25:00:00Z|A|B|1|S|d",
    "2025-09-09T10:00:00+24:00|A|B|1|S|d",
    "2025-09-09T10:00:00.1234567891Z|A|B|1|S|d",
    "\xff\xfe",
]


def ts_text(ms: int, rng: random.Random) -> str:
    """A SPEC 1 timestamp for ms, in one of its many spellings (all meaning ms, to the millisecond)."""
    iso = format_ts(ms)[:-1]  # 'YYYY-MM-DDTHH:MM:SS.mmm'
    sec, frac = iso[:19], iso[20:]
    r = rng.random()
    if r < 0.55:
        return f"{sec}.{frac}Z"
    if r < 0.65:
        return f"{sec}.{frac}"  # no zone: UTC
    if r < 0.72:
        return f"{sec}.{frac}{rng.choice(['123456', '9', '000000'])}Z"  # finer: truncated
    if r < 0.78 and frac == "000":
        return f"{sec}Z" if rng.random() < 0.5 else sec
    if r < 0.86:
        off = rng.choice([60, 120, -300, 330, -59])
        local = format_ts(ms + off * 60_000)[:-1]
        sign = "+" if off >= 0 else "-"
        return f"{local}{sign}{abs(off) // 60:02d}:{abs(off) % 60:02d}"
    if r < 0.9 and frac.endswith("00"):
        return f"{sec}.{frac[0]}Z"
    return f"{sec}.{frac}Z"


def duration_text(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.6:
        return str(rng.randint(0, 99))
    if r < 0.8:
        return str(rng.randint(100, 5000))
    if r < 0.86:
        return f"{rng.randint(0, 400)}.{rng.randint(0, 99)}"
    if r < 0.9:
        return rng.choice(["007", "0", "999999999", "1000000000", "123456789012", "0.1", "13.5"])
    return str(rng.randint(0, 30))


def gen_lines(seed: int, n: int = 3000) -> list[str]:
    """A log with errors bursts, breaker cycles, .000 timestamps, late entries, zones, parse errors,
    CRLF, memory, CRITICAL, degraded markers, several days and gaps."""
    rng = random.Random(seed)
    t = BASE + rng.randint(0, 999)
    out: list[str] = []
    while len(out) < n:
        r = rng.random()
        if r < 0.55:
            t += rng.choice([0, 0, 1, 3, 7, 20, 150])
        elif r < 0.7:
            t = (t // 1000 + rng.choice([1, 1, 2])) * 1000  # exactly .000
        elif r < 0.75:
            t += rng.choice([30_000, 31_000, 59_000, 61_000, 299_000, 3_600_000, 86_400_000, 2 * 86_400_000])
        elif r < 0.8:
            ts = t - rng.choice([1, 500, 1000, 5_000, 61_000, 400_000, 3_700_000, 90_000_000])
            out.append(make_line(rng, ts))  # a late entry, clock unchanged
            continue
        elif r < 0.83:
            out.append(rng.choice(BAD))
            continue
        elif r < 0.87:
            # an error burst of one component, then (maybe) completions after the breaker's 30 s
            comp = rng.choice(["API", "api", "ROUTING", "CACHE"])
            for _ in range(rng.randint(3, 8)):
                t += rng.randint(0, 4000)
                out.append(make_line(rng, t, comp=comp, status=rng.choice(["FAILURE", "TIMEOUT", "ERROR"])))
            if rng.random() < 0.8:
                t += rng.choice([29_999, 30_000, 30_001, 31_000, 45_000])
                for _ in range(rng.randint(1, 4)):
                    t += rng.randint(0, 300)
                    out.append(make_line(rng, t, comp=comp, status=rng.choice(["SUCCESS", "INFO", "FAILURE"])))
            continue
        elif r < 0.9:
            # a critical path's run (SPEC 10): checkpoints in order, some skipped or repeated, maybe
            # interleaved with another run's start, maybe ended by an error, maybe hanging
            comp = rng.choice(list(PATH_RUNS))
            for action in PATH_RUNS[comp]:
                if rng.random() < 0.2:
                    continue
                for _ in range(2 if rng.random() < 0.1 else 1):
                    t += rng.choice([0, 1, 2, 5, 40, 900])
                    status = "FAILURE" if rng.random() < 0.04 else rng.choice(["SUCCESS", "INFO"])
                    out.append(make_line(rng, t, comp=comp, status=status, action=action))
                if rng.random() < 0.05:
                    t += rng.choice([29_000, 31_000, 65_000])  # a hang
            continue
        out.append(make_line(rng, t))
    return out[:n]


def make_line(
    rng: random.Random, ts: int, comp: str | None = None, status: str | None = None, action: str | None = None
) -> str:
    comp = comp or rng.choice(COMPONENTS)
    if action is None:
        action = rng.choice(ACTIONS) if rng.random() < 0.5 else rng.choice(["CALL", "HIT", "MISS", "LOOKUP"])
    status = status or rng.choice(STATUSES)
    details = rng.choice(DETAILS) if rng.random() < 0.3 else rng.choice(["", "ok", "user=u1"])
    line = f"{ts_text(ts, rng)}|{comp}|{action}|{duration_text(rng)}|{status}|{details}"
    if rng.random() < 0.03:
        line += "\r"
    return line


def write_set(directory: Path, chunks: list[list[str]], crlf: bool = False) -> Path:
    """Write chunks[0] as the oldest archive ... chunks[-1] as the live file; archives gzip'd, .1 plain."""
    directory.mkdir(parents=True, exist_ok=True)
    nl = "\r\n" if crlf else "\n"
    k = len(chunks) - 1
    for i, lines in enumerate(chunks):
        data = (nl.join(lines) + nl).encode("utf-8", errors="surrogateescape")
        number = k - i
        if number == 0:
            (directory / "execution.log").write_bytes(data)
        elif number == 1:
            (directory / "execution.log.1").write_bytes(data)
        else:
            (directory / f"execution.log.{number}.gz").write_bytes(gzip.compress(data))
    return directory


def report(
    paths: list[Path],
    fast: bool,
    monkeypatch,
    until: int | None = None,  # noqa: ANN001
    line_limit: int = 64 * 1024,
) -> tuple[str, int]:
    """The `-b --json` document for paths, by the fast path or the reference one, and the skipped count."""
    if fast:
        monkeypatch.delenv("EXECLOG_NO_FASTPATH", raising=False)
    else:
        monkeypatch.setenv("EXECLOG_NO_FASTPATH", "1")
    engine = MetricsEngine()
    sets = discover([str(p) for p in paths])
    result = read_history(sets, engine, until=until, line_limit=line_limit)
    snap = engine.snapshot(as_of=until)
    return json.dumps(snapshot_to_json(snap)), result.lines_after_until


def both(paths: list[Path], monkeypatch, until: int | None = None, line_limit: int = 64 * 1024):  # noqa: ANN001
    return (report(paths, True, monkeypatch, until, line_limit), report(paths, False, monkeypatch, until, line_limit))


def feed_both(lines: list[str], until: int | None = None) -> tuple[str, str, int, int]:
    """Engine level: the same lines as one raw block through the scanner, and through feed_lines."""
    ref = MetricsEngine()
    skipped_ref = ref.feed_lines(lines, until)
    fast_engine = MetricsEngine()
    feeder = fastpath.FastFeeder(fast_engine, until)
    block = "\n".join(lines).encode("utf-8", errors="surrogateescape")
    skipped_fast = feeder.feed(block)
    a = json.dumps(snapshot_to_json(fast_engine.snapshot(as_of=until)))
    b = json.dumps(snapshot_to_json(ref.snapshot(as_of=until)))
    return a, b, skipped_fast, skipped_ref


def state(engine: MetricsEngine) -> list:
    """Every bucket's totals, exactly (floats by repr, dicts in their order): a finer oracle than the
    JSON document, whose rounding could hide a float summed in another order."""
    out = []
    for table in (engine._secs, engine._mins):
        for key in sorted(table):
            b = table[key]
            out.append(
                (
                    key,
                    b.entries,
                    b.errors,
                    b.completed,
                    repr(b.dur_sum),
                    b.hits,
                    b.misses,
                    sorted(b.hist.items()),
                    b.mem_ts,
                    repr(b.mem_last),
                    repr(b.mem_max),
                    [(k, [repr(x) for x in v]) for k, v in b.comps.items()],
                    sorted(
                        (k, a.entries, a.errors, repr(a.dur_sum), a.dur_min, a.dur_max, sorted(a.hist.items()))
                        for k, a in b.acts.items()
                    ),
                )
            )
    for st in engine.paths.states:  # SPEC 10: each path's latest run, exactly
        out.append((st.path.name, st.state, st.started, st.ended, [(k, t, repr(d)) for k, t, d in st.reached]))
    out.append(
        (
            "cur",
            engine._cur_sec,
            engine.t,
            engine.entries,
            engine.parse_errors,
            engine.first,
            engine.last,
            engine._next_eval,
            engine._next_timer,
        )
    )
    return out


def feed_both_state(lines: list[str], until: int | None = None) -> tuple[list, list]:
    ref = MetricsEngine()
    ref.feed_lines(lines, until)
    fast_engine = MetricsEngine()
    fastpath.FastFeeder(fast_engine, until).feed("\n".join(lines).encode())
    return state(fast_engine), state(ref)
