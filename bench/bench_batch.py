"""Benchmark `execlog-top -b --json` on the generated set against the `zcat | wc -l` floor: wall time and peak RSS."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_bigset  # noqa: E402  (a sibling script, not a package)

ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_EVERY = 0.05  # seconds between /proc samples of the process tree
TARGET_RATIO = 1.5
TARGET_RSS_MB = 150.0


@dataclass(frozen=True, slots=True)
class Run:
    wall: float  # seconds
    tree_rss_mb: float  # peak of the sampled sum of RSS over the whole process tree
    maxrss_mb: float  # ru_maxrss from wait4: the largest single process (a max, not a sum)
    returncode: int
    stdout: bytes
    stderr: bytes


def children(pid: int) -> list[int]:
    """Direct children of pid, from /proc/PID/task/TID/children."""
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def tree_rss(root: int) -> int:
    """Resident bytes of root and all its descendants right now."""
    total = 0
    stack = [root]
    seen: set[int] = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue  # gone between listing and reading
        stack.extend(children(pid))
    return total


def measure(cmd: list[str], capture: bool = True) -> Run:
    """Run cmd to completion; wall time, and peak RSS of its process tree two ways."""
    t0 = time.perf_counter()
    # Output goes to unlinked temporary files, not pipes: a pipe we had to drain would compete with
    # the sampler, and a full pipe would stall the command.
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        proc = subprocess.Popen(cmd, stdout=out_f if capture else subprocess.DEVNULL, stderr=err_f, cwd=ROOT)
        peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(SAMPLE_EVERY)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_f.seek(0)
        err_f.seek(0)
        stdout, stderr = out_f.read(), err_f.read()
    # ru_maxrss is in KiB on Linux; for wait4 it covers the child and the descendants it waited for.
    return Run(wall, peak / 2**20, usage.ru_maxrss / 1024, proc.returncode, stdout, stderr)


def members_oldest_first(directory: Path) -> tuple[list[Path], Path]:
    archives = sorted(directory.glob(f"{gen_bigset.LIVE}.*.gz"), key=lambda p: -int(p.name.split(".")[2]))
    return archives, directory / gen_bigset.LIVE


def floor_command(directory: Path) -> list[str]:
    archives, live = members_oldest_first(directory)
    zcat = " ".join(shlex.quote(str(p)) for p in archives)
    return ["bash", "-c", f"{{ zcat {zcat}; cat {shlex.quote(str(live))}; }} | wc -l"]


def tool_available() -> str | None:
    """None when `python -m execlog_tui` can run, else why not."""
    # Probed in a subprocess from the repository root, where `python -m execlog_tui` will run.
    probe = subprocess.run([sys.executable, "-m", "execlog_tui", "--help"], capture_output=True, cwd=ROOT)
    if probe.returncode != 0:
        last = (probe.stderr.decode(errors="replace").strip().splitlines() or ["(no message)"])[-1]
        return f"`python -m execlog_tui --help` exited with {probe.returncode}: {last}"
    return None


def parse_size(text: str) -> tuple[int, int]:
    try:
        files, mb = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected FILESxMB such as 7x10, got {text!r}") from None
    return files, mb


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3, help="timed runs of each command (3)")
    ap.add_argument("--files", type=int, default=7)
    ap.add_argument("--mb", type=int, default=100, help="MiB per member before compression")
    ap.add_argument("--size", type=parse_size, help="shorthand for --files and --mb, e.g. 7x10")
    ap.add_argument("--set", type=Path, help="benchmark this directory instead of a generated set")
    ap.add_argument(
        "--cmd", help="the command to measure, {set} for the directory (default: PYTHON -m execlog_tui -b --json {set})"
    )
    args = ap.parse_args(argv)
    if args.size:
        args.files, args.mb = args.size
    if args.runs < 1:
        print("bench_batch: --runs must be at least 1", file=sys.stderr)
        return 2

    if args.cmd is None:
        why = tool_available()
        if why is not None:
            print(f"bench_batch: the batch CLI is not ready ({why}); nothing to measure", file=sys.stderr)
            return 1
    if args.set is not None:
        directory = args.set.resolve()
        if not (directory / gen_bigset.LIVE).is_file():
            print(f"bench_batch: {directory} has no {gen_bigset.LIVE}", file=sys.stderr)
            return 2
    else:
        # In a subprocess: generating in this process would grow it, and a child's ru_maxrss starts
        # from the size of the parent it was forked from.
        directory = gen_bigset.default_out(args.files, args.mb)
        gen = subprocess.run(
            [
                sys.executable,
                str(Path(gen_bigset.__file__)),
                "--files",
                str(args.files),
                "--mb",
                str(args.mb),
                "--out",
                str(directory),
            ]
        )
        if gen.returncode != 0:
            print("bench_batch: generating the set failed", file=sys.stderr)
            return 1
    if args.cmd is None:
        tool = [sys.executable, "-m", "execlog_tui", "-b", "--json", str(directory)]
    else:
        tool = [a.replace("{set}", str(directory)) for a in shlex.split(args.cmd)]
    floor = floor_command(directory)
    size_on_disk = sum(p.stat().st_size for p in directory.glob(f"{gen_bigset.LIVE}*"))
    print(f"set: {directory} ({size_on_disk / 2**20:,.0f} MiB on disk)")
    print(f"tool:  {shlex.join(tool)}")
    print(f"floor: {shlex.join(floor)}")

    measure(floor)  # untimed: warm the page cache so neither side pays for the disk
    fork_floor = measure(["true"]).maxrss_mb  # what ru_maxrss reports for a process that does nothing
    tool_runs: list[Run] = []
    floor_runs: list[Run] = []
    for i in range(args.runs):
        t = measure(tool)
        if t.returncode != 0:
            msg = (t.stderr.decode(errors="replace").strip().splitlines() or ["(no message)"])[-1]
            print(f"bench_batch: the tool exited with {t.returncode}: {msg}", file=sys.stderr)
            return 1
        f = measure(floor)
        tool_runs.append(t)
        floor_runs.append(f)
        print(
            f"run {i + 1}: tool {t.wall:7.2f} s  tree RSS {t.tree_rss_mb:6.1f} MB  maxrss {t.maxrss_mb:6.1f} MB"
            f"   floor {f.wall:7.2f} s",
            flush=True,
        )

    lines = int(floor_runs[-1].stdout.split()[0])
    entries = errors = None
    try:
        report = json.loads(tool_runs[-1].stdout)
        entries, errors = report["source"]["entries"], report["source"]["parse_errors"]
    except (ValueError, KeyError, TypeError):
        print("bench_batch: warning: the tool's stdout is not SPEC section 9 JSON", file=sys.stderr)
    tool_med = statistics.median(r.wall for r in tool_runs)
    floor_med = statistics.median(r.wall for r in floor_runs)
    ratio = tool_med / floor_med
    tree_peak = max(r.tree_rss_mb for r in tool_runs)
    maxrss = max(r.maxrss_mb for r in tool_runs)
    print()
    print(f"lines in the set (floor):  {lines:,}")
    if entries is not None:
        print(f"tool read:                 {entries:,} entries + {errors:,} parse errors")
    print(f"median wall, tool:         {tool_med:.2f} s")
    print(f"median wall, floor:        {floor_med:.2f} s")
    print(
        f"ratio tool / floor:        {ratio:.2f}x   (target <= {TARGET_RATIO}x: "
        f"{'met' if ratio <= TARGET_RATIO else 'MISSED'})"
    )
    print(
        f"peak RSS, process tree:    {tree_peak:.1f} MB (sum over processes, sampled every "
        f"{SAMPLE_EVERY * 1000:.0f} ms; target <= {TARGET_RSS_MB:.0f} MB: "
        f"{'met' if tree_peak <= TARGET_RSS_MB else 'MISSED'})"
    )
    print(
        f"peak RSS, largest process: {maxrss:.1f} MB (ru_maxrss; it never reads below {fork_floor:.1f} MB, "
        "this script's size when it forks)"
    )
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "set": str(directory),
        "bytes_on_disk": size_on_disk,
        "lines": lines,
        "entries": entries,
        "parse_errors": errors,
        "tool": tool,
        "floor": floor,
        "runs": args.runs,
        "tool_wall": [round(r.wall, 3) for r in tool_runs],
        "floor_wall": [round(r.wall, 3) for r in floor_runs],
        "ratio": round(ratio, 3),
        "tree_rss_mb": round(tree_peak, 1),
        "maxrss_mb": round(maxrss, 1),
        "maxrss_fork_floor_mb": round(fork_floor, 1),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (out_dir / f"bench_batch-{directory.name}.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
