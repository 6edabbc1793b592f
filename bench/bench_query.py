"""Benchmark the analysis queries: each report's wall time and peak RSS, and a GROUP BY against lnav.

    python bench/bench_query.py [SET_DIR]            # default bench/data/bigset
    python bench/bench_query.py --make DIR --files 7 --mb 10   # write a test set first (no gen_bigset.py needed)
    python bench/bench_query.py --spill [--memory-limit 160MB] SET_DIR   # the GROUP BY that must spill

--spill runs only `SELECT details, line, count(*) FROM entries GROUP BY details, line` (a group per line:
issue 13 failed it "Out of Memory" on 46.7M lines) under the query's memory limit, and prints its wall
time, peak RSS and the spill directory's largest size. A set of a few million lines to try it on:
`python bench/gen_bigset.py --files 10 --mb 100 --out /tmp/bigset10` (15.5M lines).

Every query runs in a fresh child process, so each peak RSS (ru_maxrss of that child) is the query's
own, including the import of the SQL engine.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPILL_QUERY = "SELECT details, line, count(*) FROM entries GROUP BY details, line"
GROUP_BY = (
    "SELECT component, count(*) AS n, avg(duration_ms) AS avg_ms FROM entries GROUP BY component ORDER BY component"
)
# The same question in lnav's terms: a custom format table (see _lnav_format) named execlog_top.
LNAV_GROUP_BY = "SELECT component, count(*), avg(duration_ms) FROM execlog_top GROUP BY component ORDER BY component"


def make_set(out: Path, files: int, mb: float, gz: bool = False) -> None:
    """A rotated set of `files` members of about `mb` MB each, by replaying sample_logs/rotated with shifted
    times (so its parse errors, incidents and proportions repeat)."""
    from execlog_tui.core.entry import Entry
    from execlog_tui.core.timefmt import format_ts
    from execlog_tui.sources.logset import discover
    from execlog_tui.sources.timeline import merge_sets

    items = list(merge_sets(discover([ROOT / "sample_logs" / "rotated"]), []))
    stamps = [i.ts for i in items if isinstance(i, Entry)]
    span = max(stamps) - min(stamps) + 1000
    out.mkdir(parents=True, exist_ok=True)
    target = int(mb * 1024 * 1024)
    rep = 0
    for k in range(files - 1, -1, -1):  # oldest archive first: execution.log.(files-1) ... live last
        name = f"execution.log.{k}" if k else "execution.log"
        path = out / name
        size = 0
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            while size < target:
                shift = rep * span
                chunk = []
                for item in items:
                    if isinstance(item, Entry):
                        rest = item.raw.split("|", 1)[1]
                        chunk.append(f"{format_ts(item.ts + shift)}|{rest}\n")
                    else:
                        chunk.append(item.raw + "\n")
                text = "".join(chunk)
                f.write(text)
                size += len(text.encode())
                rep += 1
        if gz and k:
            with open(path, "rb") as src, gzip.open(str(path) + ".gz", "wb", compresslevel=1) as dst:
                shutil.copyfileobj(src, dst)
            path.unlink()


def _child(
    query: str, paths: list[str], window: str | None, memory_limit: str | None = None, cache: str | None = None
) -> None:
    """Run one query in this process and print its timing as JSON on stdout."""
    from execlog_tui.query import run_query

    t0 = time.perf_counter()
    extra: dict = {"memory_limit": memory_limit, "max_rows": 10} if memory_limit else {}
    if cache:
        from execlog_tui.cache.store import CacheStore

        extra["store"] = CacheStore(Path(cache))
    result = run_query(paths, query, window=window, **extra)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall_s": wall, "rss_mb": rss_mb, "rows": len(result.rows)}))


def _run_child(
    query: str, paths: list[str], window: str | None = None, memory_limit: str | None = None, cache: str | None = None
) -> dict:
    cmd = [sys.executable, __file__, "--child", query, *(["--window", window] if window else []), *paths]
    if cache:
        cmd[2:2] = ["--cache-dir", cache]
    if memory_limit:
        cmd[2:2] = ["--memory-limit", memory_limit]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        # Keep going: one failing report must not hide the others' figures.
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        return {"error": last[:160]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _lnav_format(directory: Path) -> Path:
    """An lnav format file for the execution log, so lnav's SQL sees the same six columns."""
    fmt = {
        "$schema": "https://lnav.org/schemas/format-v1.schema.json",
        "execlog_top": {
            "title": "execlog-top execution log",
            "description": "timestamp|component|action|duration_ms|status|details",
            "regex": {
                "std": {
                    "pattern": r"^(?<timestamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})?)"
                    r"\|(?<component>[^|\s]+)\|(?<action>[^|\s]+)\|(?<duration_ms>\d+(?:\.\d+)?)"
                    r"\|(?<status>[^|\s]+)\|(?<body>.*)$"
                }
            },
            "level-field": "status",
            "level": {"error": "FAILURE|TIMEOUT|ERROR|CRITICAL", "warning": "WARNING|DEGRADED|RETRY"},
            "value": {
                "component": {"kind": "string", "identifier": True},
                "action": {"kind": "string", "identifier": True},
                "duration_ms": {"kind": "float"},
                "status": {"kind": "string"},
            },
            "sample": [{"line": "2025-09-09T10:00:00.254Z|BOOTSTRAP|COMPLETE|254|SUCCESS|Ready in 254ms"}],
        },
    }
    d = directory / "formats" / "installed"
    d.mkdir(parents=True, exist_ok=True)
    (d / "execlog_top.json").write_text(json.dumps(fmt, indent=2))
    return directory


def _run_lnav(files: list[str], tmp: Path) -> dict | None:
    lnav = shutil.which("lnav")
    if lnav is None:
        return None
    home = _lnav_format(tmp / "lnav-home")
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home))
    # lnav keeps its configuration in ~/.lnav or $XDG_CONFIG_HOME/lnav: install the format in both.
    shutil.copytree(home / "formats", home / ".lnav" / "formats", dirs_exist_ok=True)
    shutil.copytree(home / "formats", home / "lnav" / "formats", dirs_exist_ok=True)
    cmd = ["/usr/bin/time", "-f", "%e %M", lnav, "-n", "-c", f";{LNAV_GROUP_BY}", *files]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    rss_mb = None
    for line in proc.stderr.strip().splitlines()[-1:]:
        parts = line.split()
        if len(parts) == 2:
            rss_mb = int(parts[1]) / 1024
    return {
        "wall_s": wall,
        "rss_mb": rss_mb,
        "rc": proc.returncode,
        "out": proc.stdout[-2000:],
        "err": proc.stderr[-600:],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", default=[str(ROOT / "bench" / "data" / "bigset")])
    ap.add_argument("--make", type=Path, metavar="DIR", help="write a test set to DIR and exit")
    ap.add_argument("--files", type=int, default=7)
    ap.add_argument("--mb", type=float, default=10.0)
    ap.add_argument("--gz", action="store_true", help="with --make: gzip the archives")
    ap.add_argument("--child", metavar="QUERY", help=argparse.SUPPRESS)
    ap.add_argument("--window", help="run the reports over this window (e.g. 1h)")
    ap.add_argument("--no-lnav", action="store_true")
    ap.add_argument("--spill", action="store_true", help="only the GROUP BY details, line that must spill")
    ap.add_argument("--memory-limit", help="the query's memory limit (with --spill: default the program's)")
    ap.add_argument(
        "--cold-warm",
        action="store_true",
        help="each query twice with the columnar cache: cold (an empty cache, which it fills) then warm",
    )
    ap.add_argument("--cache-dir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.make:
        make_set(args.make, args.files, args.mb, args.gz)
        return 0
    if args.child:
        _child(args.child, args.paths, args.window, args.memory_limit, args.cache_dir)
        return 0
    if args.spill:
        return _spill(args.paths, args.memory_limit)
    if args.cold_warm:
        return _cold_warm(args.paths, args.window)
    from execlog_tui.query import REPORTS
    from execlog_tui.sources.logset import discover

    members = [str(m.path) for s in discover(args.paths) for m in s.members]
    size_mb = sum(os.path.getsize(p) for p in members) / 1e6
    print(f"set: {' '.join(args.paths)}: {len(members)} files, {size_mb:.0f} MB on disk")
    print(f"{'query':<18} {'wall s':>8} {'peak RSS MB':>12} {'rows':>6}")
    ours = None
    for name in [*REPORTS, "group_by"]:
        query = GROUP_BY if name == "group_by" else name
        r = _run_child(query, args.paths, args.window)
        if "error" in r:
            print(f"{name:<18} FAILED: {r['error']}", flush=True)
            continue
        print(f"{name:<18} {r['wall_s']:8.2f} {r['rss_mb']:12.0f} {r['rows']:6d}", flush=True)
        if name == "group_by":
            ours = r
    if args.no_lnav or ours is None:
        return 0
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_query_lnav_{os.getpid()}"
    try:
        ln = _run_lnav(members, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if ln is None:
        print("lnav: not installed (apt-get install -y lnav), no ratio")
    elif ln["rc"] != 0:
        print(f"lnav: failed (exit {ln['rc']}): {ln['err'].strip()}")
    else:
        print(f"lnav group_by       {ln['wall_s']:8.2f} {ln['rss_mb'] or 0:12.0f}")
        print(f"lnav output:\n{ln['out'].strip()}")
        print(f"ratio: execlog-top is {ln['wall_s'] / ours['wall_s']:.1f}x faster than lnav on the GROUP BY")
    return 0


def _cold_warm(paths: list[str], window: str | None) -> int:
    """Each report and the GROUP BY: without the cache, cold (an empty cache it fills), warm (a full one)."""
    import tempfile

    from execlog_tui.query import REPORTS

    print(
        f"{'query':<18} {'no cache s':>10} {'cold s':>8} {'warm s':>8} {'cold RSS MB':>12} {'warm RSS MB':>12}"
        f" {'cache MB':>9}"
    )
    for name in [*REPORTS, "group_by"]:
        query = GROUP_BY if name == "group_by" else name
        cache = tempfile.mkdtemp(prefix="bench-query-cache-")
        try:
            plain = _run_child(query, paths, window)
            cold = _run_child(query, paths, window, cache=cache)
            warm = _run_child(query, paths, window, cache=cache)
            size = sum(f.stat().st_size for f in Path(cache).rglob("*") if f.is_file()) / 1e6
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        if any("error" in r for r in (plain, cold, warm)):
            print(f"{name:<18} FAILED: {[r.get('error') for r in (plain, cold, warm)]}", flush=True)
            continue
        print(
            f"{name:<18} {plain['wall_s']:10.2f} {cold['wall_s']:8.2f} {warm['wall_s']:8.2f} {cold['rss_mb']:12.0f}"
            f" {warm['rss_mb']:12.0f} {size:9.1f}",
            flush=True,
        )
    return 0


def _spill(paths: list[str], memory_limit: str | None) -> int:
    """The GROUP BY with a group per line, in a child, sampling the spill directories' size meanwhile."""
    import threading

    from execlog_tui.query.run import MEMORY_LIMIT

    limit = memory_limit or MEMORY_LIMIT
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    before = set(tmp.glob("execlog-query-*"))
    biggest = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            total = 0
            for d in set(tmp.glob("execlog-query-*")) - before:
                for f in d.rglob("*"):
                    try:
                        total += f.stat().st_size if f.is_file() else 0
                    except OSError:
                        pass
            biggest[0] = max(biggest[0], total)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    r = _run_child(SPILL_QUERY, paths, None, limit)
    done.set()
    sampler.join()
    if "error" in r:
        print(f"spill: {SPILL_QUERY!r} at memory limit {limit}: FAILED: {r['error']}")
        return 1
    print(
        f"spill: {SPILL_QUERY!r} at memory limit {limit}: {r['wall_s']:.1f} s, peak RSS {r['rss_mb']:.0f} MB,"
        f" spill directory up to {biggest[0] / 1024**2:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
