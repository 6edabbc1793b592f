"""Replay benchmark: first pass at max speed against `-b` on the same set, jump times, checkpoint memory.

python3 bench/bench_replay.py                 # bench/data/bigset (7 x 100 MiB; gen_bigset.py makes it)
python3 bench/bench_replay.py --set DIR --jumps 20
python3 bench/bench_replay.py --repeat 3      # best of 3 for both (a shared, busy machine)
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from execlog_tui.core.timefmt import format_ts  # noqa: E402
from execlog_tui.replay.controller import ReplayController  # noqa: E402
from execlog_tui.sources.logset import discover  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default=str(ROOT / "bench" / "data" / "bigset"))
    ap.add_argument("--jumps", type=int, default=20)
    ap.add_argument("--every", type=int, default=120, help="checkpoint interval, seconds of log time")
    ap.add_argument("--no-batch", action="store_true", help="skip timing `-b` (the comparison)")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="time -b and the first pass N times each, alternately, and keep the best of each",
    )
    args = ap.parse_args()
    path = Path(args.set)
    if not (path / "execution.log").exists():
        print(f"bench_replay: no set at {path} (run bench/gen_bigset.py)", file=sys.stderr)
        return 1

    batch_s: float | None = None
    first_pass = float("inf")
    for _ in range(max(1, args.repeat)):
        if not args.no_batch:
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "execlog_tui", "-b", "--json", str(path)],
                check=True,
                stdout=subprocess.DEVNULL,
                cwd=ROOT,
            )
            took = time.perf_counter() - t0
            batch_s = took if batch_s is None else min(batch_s, took)
            print(f"-b --json: {took:.2f} s")
        c = ReplayController(discover([str(path)]), checkpoint_every_ms=args.every * 1000)
        t0 = time.perf_counter()
        c.advance_to(1 << 62)
        took = time.perf_counter() - t0
        first_pass = min(first_pass, took)
        print(f"first pass at max: {took:.2f} s")
    e = c.engine
    print(
        f"first pass at max: {first_pass:.2f} s ({e.entries:,} entries, {e.parse_errors} parse errors)"
        + (f", {first_pass / batch_s:.2f}x -b" if batch_s else "")
    )
    print(
        f"checkpoints: {len(c.checkpoints)} every {args.every} s, {c.checkpoint_bytes / 1e6:.1f} MB "
        f"(mean {c.checkpoint_bytes / max(1, len(c.checkpoints)) / 1e3:.0f} kB); incidents: {len(c.incidents)}"
    )

    rnd = random.Random(1)
    lo, hi = c.first_ts or 0, c.last_ts or 0
    times = []
    for _ in range(args.jumps):
        target = rnd.randint(lo, hi)
        t0 = time.perf_counter()
        c.seek(target)
        c.ring.newest(200)  # what the log view would pull at once
        times.append(time.perf_counter() - t0)
        print(f"  jump to {format_ts(target)}: {times[-1] * 1000:.0f} ms")
    result = {
        "set": str(path),
        "batch_s": batch_s,
        "first_pass_s": round(first_pass, 3),
        "ratio": round(first_pass / batch_s, 3) if batch_s else None,
        "checkpoints": len(c.checkpoints),
        "checkpoint_mb": round(c.checkpoint_bytes / 1e6, 2),
        "jump_median_s": round(statistics.median(times), 3),
        "jump_max_s": round(max(times), 3),
        "entries": e.entries,
        "incidents": len(c.incidents),
    }
    print(f"jumps: median {result['jump_median_s']:.3f} s, max {result['jump_max_s']:.3f} s")
    out = ROOT / "bench" / "out" / f"bench_replay-{path.name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
