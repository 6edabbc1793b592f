"""Random logs for the evidence tests: every figure's rules exercised (errors, completions, cache
lookups, memory reports, bootstrap runs, breakers explicit and inferred, CRITICAL), late entries,
whole-second and whole-minute edges, parse errors and blank lines, split into a rotated set."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

from execlog_tui.core.timefmt import format_ts

BASE = 1_757_412_000_000  # 2025-09-09T10:00:00Z
COMPONENTS = ("API", "CACHE", "BOOTSTRAP", "MEMORY", "ROUTING")
STATUSES = (
    *("SUCCESS",) * 3,
    *("FAILURE", "ERROR", "TIMEOUT", "CRITICAL", "INFO", "WARNING", "DEBUG", "ODD"),
)


def entry(ts: int, comp: str, action: str, dur: str, status: str, details: str = "ok") -> str:
    text = format_ts(ts)
    assert text is not None
    return f"{text}|{comp}|{action}|{dur}|{status}|{details}"


def random_log(rnd: random.Random, n: int) -> list[str]:
    lines: list[str] = []
    t = BASE + rnd.randrange(0, 60_000)
    for _ in range(n):
        step = rnd.choice((0, 1, 5, 50, 400, 1000, 1000, 3_000, 20_000, 59_999, 60_000, 400_000, 3_000_000))
        t += step
        if rnd.random() < 0.2:
            t = (t // 1000) * 1000  # a whole second: the edge of a bucket
        ts = t
        if rnd.random() < 0.08:
            ts = t - rnd.choice((1, 999, 1000, 30_000, 61_000, 299_000, 3_600_000))  # late
        r = rnd.random()
        if r < 0.03:
            lines.append("this is not an entry")
            continue
        if r < 0.05:
            lines.append("   ")
            continue
        comp = rnd.choice(COMPONENTS)
        status = rnd.choice(STATUSES)
        action = "CALL"
        details = "ok"
        a = rnd.random()
        if comp == "CACHE" and a < 0.5:
            action = rnd.choice(("HIT", "MISS", "LOOKUP"))
        elif comp == "BOOTSTRAP":
            action = rnd.choice(("START", "CORE", "COMPLETE", "COMPLETE"))
        elif a < 0.08:
            action = rnd.choice(("CIRCUIT_OPEN", "CIRCUIT_TEST", "CIRCUIT_CLOSE"))
        if rnd.random() < 0.15:
            details = f"usage rss_mb={rnd.choice(('12', '47.5', '130', '99.9'))} user=u{rnd.randrange(5)}"
        dur = str(rnd.randrange(0, 400)) if rnd.random() < 0.8 else f"{rnd.randrange(0, 900)}.{rnd.randrange(10)}"
        lines.append(entry(ts, comp, action, dur, status, details))
    return lines


def write_set(directory: Path, lines: list[str], split: int, gz: bool) -> Path:
    """lines[:split] in the archive execution.log.1(.gz), the rest in the live execution.log."""
    directory.mkdir(parents=True, exist_ok=True)
    head = "".join(line + "\n" for line in lines[:split]).encode()
    tail = "".join(line + "\n" for line in lines[split:]).encode()
    if split:
        if gz:
            (directory / "execution.log.1.gz").write_bytes(gzip.compress(head))
        else:
            (directory / "execution.log.1").write_bytes(head)
    (directory / "execution.log").write_bytes(tail)
    return directory / "execution.log"
