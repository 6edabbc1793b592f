"""Evidence benchmark (issue 11): the entries behind the figures, 1h window, on the 7 x 100 MB set.

    python3 bench/gen_bigset.py && python3 bench/bench_evidence.py [--set DIR] [--runs 1]

Two ways in, each against a floor measured in the same run:
- the headless twin, `python -m execlog_tui -b --json --evidence FIGURE --window 1h SET`, whole
  processes timed like bench_batch.py (wall, peak RSS of the process tree), for the window figures with
  `--limit 1000` (a screenful and then some: the "first rows" the evidence screen shows) and with no
  practical limit (all rows), and for `breaker:CACHE` (its whole history). It pays the `-b` report's own
  read first (the figures it checks the evidence against), then reads the members overlapping the window.
- the dashboard's path, `evidence.collect_evidence(session, ...)` on a MonitorSession that has read the
  history (ring of 100,000 lines), in this process: the time from the call to the rows (first rows:
  limit 1000; all rows), the session already loaded, as the evidence screen's worker would see it.
Floors: `{ zcat <members overlapping the window>; cat <live>; } | wc -l` (the bytes the evidence must
inflate and split at least) and the same over the whole set (for full-history figures).
Figures go to bench/out/bench_evidence.json as well.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_batch  # noqa: E402  - its process measurement (wall, tree RSS)
import gen_bigset  # noqa: E402

WINDOW_FIGURES = ("error_rate", "p95")  # every window figure reads the same members: two stand for all
# (--all-figures adds response_time, cache_hit_rate, memory and requests)
MORE_FIGURES = ("response_time", "cache_hit_rate", "memory", "requests")
ALL = 100_000_000


def floor(members: list[Path]) -> list[str]:
    gz = [p for p in members if p.name.endswith(".gz")]
    plain = [p for p in members if not p.name.endswith(".gz")]
    parts = []
    if gz:
        parts.append("zcat " + " ".join(shlex.quote(str(p)) for p in gz))
    if plain:
        parts.append("cat " + " ".join(shlex.quote(str(p)) for p in plain))
    return ["bash", "-c", "{ " + "; ".join(parts) + "; } | wc -l"]


def median_wall(cmd: list[str], runs: int) -> tuple[float, float, bytes]:
    got = [bench_batch.measure(cmd) for _ in range(runs)]
    for r in got:
        if r.returncode != 0:
            raise SystemExit(f"{shlex.join(cmd)} failed: {r.stderr.decode(errors='replace')[-500:]}")
    return statistics.median(r.wall for r in got), max(r.tree_rss_mb for r in got), got[-1].stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", type=Path, default=gen_bigset.default_out(7, 100), help="the set (bench/data/bigset)")
    ap.add_argument("--runs", type=int, default=1, help="timed runs of each command (1: they are long)")
    ap.add_argument("--all-figures", action="store_true", help="every window figure, not only two")
    args = ap.parse_args(argv)
    live = args.set / gen_bigset.LIVE
    if not live.exists():
        raise SystemExit(f"no set at {args.set}: run python3 bench/gen_bigset.py first")
    from execlog_tui.core.config import Config
    from execlog_tui.core.engine import MetricsEngine
    from execlog_tui.core.windows import WINDOWS_BY_NAME
    from execlog_tui.evidence import collect_evidence
    from execlog_tui.pipeline import read_history
    from execlog_tui.session import MonitorSession
    from execlog_tui.sources.logset import discover

    sets = discover([str(live)])
    engine = MetricsEngine()
    history = read_history(sets, engine)
    newest = engine.last
    assert newest is not None
    lo = WINDOWS_BY_NAME["1h"].start_ms(newest)
    window_members = [m.path for m, top in zip(history.members, history.newest_after, strict=True) if top >= lo]
    # The members read are the first whose newest entry reaches the window, and every one after it.
    first = next(i for i, m in enumerate(history.members) if m.path in window_members)
    window_members = [m.path for m in history.members[first:]]
    all_members = [m.path for m in history.members]
    print(f"set {args.set}: {len(all_members)} members; the 1h window reads {len(window_members)}")
    bench_batch.measure(floor(all_members))  # untimed: warm the page cache
    out: dict[str, Any] = {"set": str(args.set), "window_members": [str(p) for p in window_members]}
    fw, _rss, text = median_wall(floor(window_members), args.runs)
    fa, _rss, text_all = median_wall(floor(all_members), args.runs)
    print(f"floor, members of the 1h window: {fw:6.2f} s  ({int(text.split()[0]):,} lines)")
    print(f"floor, whole set:                {fa:6.2f} s  ({int(text_all.split()[0]):,} lines)")
    report, rss, _ = median_wall([sys.executable, "-m", "execlog_tui", "-b", "--json", str(live)], args.runs)
    print(f"-b --json (the report alone):    {report:6.2f} s  {rss:5.0f} MB   {report / fa:5.2f}x the whole-set floor")
    out.update(floor_window_s=fw, floor_all_s=fa, report_s=report)
    cli: dict[str, Any] = {}
    print("\nheadless twin: -b --json --evidence FIGURE --window 1h (wall, peak RSS, ratio to the window floor)")
    figures = (*WINDOW_FIGURES, *(MORE_FIGURES if args.all_figures else ()), "breaker:CACHE")
    for figure in figures:
        for limit in (1000, ALL):
            if (figure.startswith("breaker:") or figure == "p95") and limit == ALL:
                continue
            cmd = [sys.executable, "-m", "execlog_tui", "-b", "--json", "--evidence", figure, "--window", "1h"]
            wall, rss, stdout = median_wall([*cmd, "--limit", str(limit), str(live)], args.runs)
            doc = json.loads(stdout)
            base = fa if figure.startswith("breaker:") else fw
            label = "first 1000" if limit == 1000 else "all rows"
            print(
                f"  {figure:15} {label:10} {wall:6.2f} s {rss:5.0f} MB {wall / base:6.2f}x"
                f"  total {doc['total']:>9,} (minus the report: {wall - report:5.2f} s)"
            )
            cli[f"{figure}/{limit}"] = {"wall_s": wall, "tree_rss_mb": rss, "total": doc["total"], "ratio": wall / base}
    out["cli"] = cli
    print("\ndashboard path: collect_evidence(session, FIGURE, '1h') after the history (in this process)")
    t0 = time.perf_counter()
    session = MonitorSession([str(live)], Config(), follow=False, wall_clock=lambda: newest)
    session.start()
    session.wait_history(600)
    print(f"  history read in {time.perf_counter() - t0:.2f} s")
    ui: dict[str, Any] = {}
    for figure in figures:
        for limit in (1000, ALL):
            if (figure.startswith("breaker:") or figure == "p95") and limit == ALL:
                continue
            seen: list[int] = []
            t0 = time.perf_counter()
            result = collect_evidence(session, figure, "1h", limit=limit, progress=lambda a, b, s=seen: s.append(a))
            wall = time.perf_counter() - t0
            base = fa if figure.startswith("breaker:") else fw
            label = "first 1000" if limit == 1000 else "all rows"
            print(
                f"  {figure:15} {label:10} {wall:6.2f} s {wall / base:6.2f}x  total {result.total:>9,}"
                f"  from {result.source}, {len(seen):,} progress calls"
            )
            ui[f"{figure}/{limit}"] = {"wall_s": wall, "total": result.total, "ratio": wall / base}
    session.stop()
    out["dashboard"] = ui
    dest = ROOT / "bench" / "out"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "bench_evidence.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
