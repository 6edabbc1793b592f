"""Cold against warm on the 7 x 100 MB set (SPEC 12's derived-data cache), as ratios to the
`zcat | wc -l` floor measured in the same run: `-b --json` cold with the default workers, cold with
`--jobs 1`, warm, and `--no-cache --jobs 1` (reading every archive in one process, as before the
cache); the dashboard's history until it is complete (a headless session reading it in a child
process, as the dashboard does) and, in tmux, the real dashboard's first frame, first frame with
figures and complete history; a GROUP BY query and each named report, cold and warm; a replay's first
jump into the newest archive (a headless session: from its start to the end of the jump), without the
cache, cold and warm; the cache's size on disk as a share of the archives' uncompressed size; peak
memory summed over the process tree. Every run's output is compared with the no-cache one.
`--only replay` (or batch, session, queries) runs only those cases."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_batch  # noqa: E402  (a sibling script, not a package)
import gen_bigset  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GROUP_BY = "SELECT component, count(*) AS n, avg(duration_ms) AS avg_ms FROM entries GROUP BY component ORDER BY n DESC"
REPORTS = ("performance", "error_rate", "cache_efficiency", "user_patterns", "bottlenecks", "critical_paths")

SESSION = """
import sys, time
from execlog_tui.cache.plans import CacheOptions
from execlog_tui.session import MonitorSession
t0 = time.perf_counter()
s = MonitorSession(
    [sys.argv[1]],
    cache=CacheOptions(directory=sys.argv[2], enabled=sys.argv[3] == "1"),
    history_process=True,
    fork_history=True,  # as the dashboard's: forked as it starts
)
s.start()
assert s.wait_history(600)
print(f"{time.perf_counter() - t0:.3f}")
s.stop()
"""


def dashboard_frames(cmd: list[str], timeout_s: float = 120.0) -> tuple[float, float, float]:
    """The real dashboard in a detached tmux pane (200x60): seconds from launch to the first frame, to
    the first frame whose Requests/s tile shows a figure, and to the header leaving "history" (every
    panel complete). The pane's output is copied to a file (pipe-pane) and its screen read back only
    when that file grew: reading it every few ms instead started ~100 tmux clients a second, which took
    a third of a core from the dashboard being timed (2 cores: ~0.4 s of its warm start). The command
    starts once the copy is in place (a shell in the pane waits for a key). Coarse by a few ms."""
    sock = f"bench-cache-{os.getpid()}"
    tmux = ["tmux", "-L", sock]
    marks: dict[str, float] = {}
    figure = re.compile(r"Requests/s +([0-9][0-9.,]*)")
    with tempfile.TemporaryDirectory(prefix="bench-cache-pane-") as scratch:
        raw = Path(scratch) / "pane.out"
        raw.touch()
        gate = f"read _; exec {shlex.join(cmd)}"
        subprocess.run([*tmux, "new-session", "-d", "-x", "200", "-y", "60", "sh", "-c", gate], check=True)
        try:
            subprocess.run([*tmux, "pipe-pane", "-o", f"exec cat >> {shlex.quote(str(raw))}"], check=True)
            t0 = time.perf_counter()
            subprocess.run([*tmux, "send-keys", "Enter"], check=True)
            seen = 0
            while "complete" not in marks:
                if time.perf_counter() - t0 > timeout_s:
                    sys.exit(f"bench_cache: the dashboard did not complete its history in {timeout_s:g} s")
                size = raw.stat().st_size
                if size == seen:
                    time.sleep(0.002)  # nothing new on the screen: no tmux client started
                    continue
                seen = size
                screen = subprocess.run([*tmux, "capture-pane", "-p"], capture_output=True, text=True).stdout
                now = time.perf_counter() - t0
                header = screen.split("\n", 1)[0]
                if "execlog-top" in header:
                    marks.setdefault("frame", now)
                    got = figure.search(screen)
                    if got and got.group(1).strip("0.,"):
                        marks.setdefault("figures", now)
                    if "history" not in header:
                        marks.setdefault("complete", now)
        finally:
            pane = subprocess.run([*tmux, "display-message", "-p", "#{pane_pid}"], capture_output=True, text=True)
            subprocess.run([*tmux, "kill-server"], capture_output=True)
            (Path(f"/tmp/tmux-{os.getuid()}") / sock).unlink(missing_ok=True)
            # The dashboard quits on the hang-up: the next run starts once it (and its children) have
            # gone, or the two would share the cores and both be timed slow.
            _wait_gone(int(pane.stdout.strip() or 0))
    return marks["frame"], marks.get("figures", marks["complete"]), marks["complete"]


def _wait_gone(pid: int, timeout_s: float = 15.0) -> None:
    """Until no process of `pid`'s session is left (the dashboard, its history child, its workers)."""
    deadline = time.perf_counter() + timeout_s
    while pid > 0 and time.perf_counter() < deadline:
        alive = False
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if stat[0] != "Z" and int(stat[3]) == pid:  # the session id: the pane's shell, then its exec
                    alive = True
                    break
        if not alive:
            return
        time.sleep(0.02)


# A replay's first jump: to the live file's first entry minus a minute (the newest archive's end).
# Prints the snapshot there (compared between the runs); the jump's figures go to stderr.
REPLAY = """
import json, sys, time
from execlog_tui.cache.plans import CacheOptions
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.replay.session import ReplaySession
t0 = time.perf_counter()
s = ReplaySession([sys.argv[1]], speed=1.0, cache=CacheOptions(directory=sys.argv[2], enabled=sys.argv[3] == "1"))
live = s.sets[0].members[-1]
target = live.first_ts - 60_000
s.clock.pause()
s.seek(target)
s.settle()
c = s.controller
assert c.t is not None and c.t >= target - 1000, (c.t, target)
wall = time.perf_counter() - t0
print(json.dumps(snapshot_to_json(s.snapshot()), sort_keys=True))
print(f"jump {wall:.3f} s, kept archives {c.kept_archives}, lines read {c.lines_read:,}", file=sys.stderr)
s.stop()  # as the dashboard does when it quits: keeps what it has of the archive it stopped in
"""
PARTS = ("batch", "session", "queries", "replay")


def run(cmd: list[str]) -> bench_batch.Run:
    r = bench_batch.measure(cmd)
    if r.returncode != 0:
        sys.exit(f"bench_cache: {' '.join(cmd)} exited with {r.returncode}: {r.stderr.decode(errors='replace')[-500:]}")
    return r


def batch_cases(args: argparse.Namespace, tool: Any, cold: Any, case: Any) -> None:
    target = str(args.set)
    reference = run(tool("--no-cache", "--jobs", "1", "-b", "--json", target)).stdout
    batch = tool("-b", "--json", target)
    case("-b --json, --no-cache --jobs 1", tool("--no-cache", "--jobs", "1", "-b", "--json", target), compare=reference)
    case("-b --json, cold --jobs 1", tool("--jobs", "1", "-b", "--json", target), before=cold, compare=reference)
    case("-b --json, cold (workers)", batch, before=cold, compare=reference)
    case("-b --json, warm", batch, compare=reference)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--set", type=Path, help="a directory holding an execution.log set (default: the 7x100 MB one)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-queries", action="store_true", help="leave out the queries (the slow part of a cold run)")
    ap.add_argument("--only", action="append", choices=PARTS, help="run only these cases (repeatable)")
    args = ap.parse_args(argv)
    parts = set(args.only or PARTS)
    if args.no_queries:
        parts.discard("queries")
    why = bench_batch.tool_available()
    if why:
        sys.exit(f"bench_cache: {why}")
    if args.set is None:
        gen_bigset.main([])
        args.set = ROOT / "bench" / "data" / "bigset"
    target = str(args.set)
    cache = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    py = [sys.executable, "-m", "execlog_tui"]

    def tool(*extra: str) -> list[str]:
        return [*py, "--cache-dir", str(cache), *extra]

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    bench_batch.measure(bench_batch.floor_command(args.set))  # warms the page cache
    floors = [run(bench_batch.floor_command(args.set)).wall for _ in range(args.runs)]
    floor = statistics.median(floors)
    rows: list[tuple[str, float, float]] = []
    notes: list[str] = []

    def case(name: str, cmd: list[str], before: object = None, compare: bytes | None = None) -> bench_batch.Run:
        walls, rss = [], []
        for _ in range(args.runs):
            if callable(before):
                before()
            r = run(cmd)
            if compare is not None and r.stdout != compare:
                sys.exit(f"bench_cache: {name}: the output differs from the no-cache run")
            walls.append(r.wall)
            rss.append(r.tree_rss_mb)
        rows.append((name, statistics.median(walls), max(rss)))
        return r

    cache_bytes = 0
    if "batch" in parts:
        batch_cases(args, tool, cold, case)
        cache_bytes = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())
    frames: list[tuple[str, tuple[float, float, float]]] = []
    if "session" in parts:
        session = [sys.executable, "-c", SESSION, target, str(cache)]
        case("dashboard history, cold", [*session, "1"], before=cold)
        case("dashboard history, warm", [*session, "1"])
        if shutil.which("tmux"):
            for name, before in (("cold", cold), ("warm", None)):
                got = []
                for _ in range(args.runs):
                    if before is not None:
                        before()
                    got.append(dashboard_frames(tool(target)))
                frames.append((name, tuple(statistics.median(g[i] for g in got) for i in range(3))))  # type: ignore[misc]
    if "queries" in parts:
        for name, query in [("GROUP BY", GROUP_BY), *[(f"--query {r}", r) for r in REPORTS]]:
            cmd = tool("--query", query, "--format", "csv", target)
            case(f"{name}, cold", cmd, before=cold)
            case(f"{name}, warm", cmd)
    if "replay" in parts:
        replay = [sys.executable, "-c", REPLAY, target, str(cache)]
        reference = case("replay first jump, --no-cache", [*replay, "0"]).stdout
        for name, before in (("cold", cold), ("warm", None)):
            r = case(f"replay first jump, {name}", [*replay, "1"], before=before, compare=reference)
            notes.append(f"replay first jump, {name}: {r.stderr.decode(errors='replace').strip().splitlines()[-1]}")
        kept = cache / "replay"
        notes.append(
            f"replay items kept: {sum(p.stat().st_size for p in kept.rglob('*.replay')) / 2**20:.1f} MiB"
            if kept.exists()
            else "replay items kept: none"
        )

    uncompressed = 0
    manifest = args.set / "manifest.json"
    if manifest.exists():
        uncompressed = int(json.loads(manifest.read_text()).get("uncompressed_bytes", 0))
    print(f"floor `zcat | wc -l`: {floor:.2f} s (median of {args.runs})")
    print(f"{'case':40} {'wall':>8} {'x floor':>8} {'peak RSS':>10}")
    for name, wall, rss in rows:
        print(f"{name:40} {wall:7.2f}s {wall / floor:7.2f}x {rss:8.1f} MB")
    share = (
        f" ({100 * cache_bytes / uncompressed:.1f} % of the set's {uncompressed / 2**20:,.0f} MiB uncompressed)"
        if uncompressed
        else ""
    )
    for name, (frame, figures, complete) in frames:
        print(
            f"dashboard in tmux 200x60, {name}: first frame {frame:.2f} s, first frame with figures {figures:.2f} s, "
            f"history complete {complete:.2f} s ({complete / floor:.2f}x)"
        )
    if "session" in parts and not frames:
        print("dashboard frames: not measured (no tmux)")
    if "batch" in parts:
        print(f"cache on disk after the batch runs: {cache_bytes / 2**20:.1f} MiB{share}")
    for note in notes:
        print(note)
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    name = "bench_cache.json" if parts == set(PARTS) else f"bench_cache-{'-'.join(sorted(parts))}.json"
    (out / name).write_text(
        json.dumps({"floor": floor, "rows": rows, "cache_bytes": cache_bytes, "uncompressed": uncompressed}, indent=1)
    )
    shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
