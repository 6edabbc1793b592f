"""Benchmark of the live follower: the highest write rate it keeps up with, and write->engine delay.

A writer process (tests/unit/follower/rate_writer.py) appends lines stamped with CLOCK_MONOTONIC at a
steady rate; this process follows the file with LogFollower, woken by wait(), parses every line with
parse_line and appends it to a RingBuffer (what the engine's worker does), and measures for each line
the delay from its write to the buffer having it. A rate is "kept up with" when the writer reached it
and, when the writer stopped, the follower was at most 1 s of lines behind and caught up within 1 s.

    python3 bench/bench_follow.py                       # ladder 50k..800k lines/s, 30 s each
    python3 bench/bench_follow.py --seconds 10 --rates 20000,200000
    python3 bench/bench_follow.py --gc-threshold 50000   # the p99 is mostly GC pauses over a full buffer
    python3 bench/bench_follow.py --mode exporter --seconds 10 --rates 50000,100000,200000

`--mode engine` also feeds a MetricsEngine under a lock, as the session's worker does; `--mode exporter`
feeds an engine that counts (SPEC 11) and scrapes it every second from another thread under the same
lock (the exporter's collector, rendered as Prometheus text), and prints the scrapes' times and the time
of one scrape of an engine with 100 components.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from execlog_tui.core.parser import parse_line  # noqa: E402
from execlog_tui.core.ringbuffer import RingBuffer  # noqa: E402
from execlog_tui.sources.follower import LogFollower  # noqa: E402

WRITER = ROOT / "tests" / "unit" / "follower" / "rate_writer.py"


class Scraper(threading.Thread):
    """Every `every` seconds: the exporter's scrape of `engine` under `lock`, timed (ms)."""

    def __init__(self, engine: object, lock: threading.Lock, every: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.engine, self.lock, self.every = engine, lock, every
        self.times: list[float] = []
        self.halt = threading.Event()

    def run(self) -> None:
        from execlog_tui.exporter.metrics import scrape_engine
        from execlog_tui.exporter.server import render

        while not self.halt.wait(self.every):
            t0 = time.perf_counter()
            with self.lock:
                scrape = scrape_engine(self.engine)  # type: ignore[arg-type]
            render(scrape)
            self.times.append((time.perf_counter() - t0) * 1000)


def scrape_100_components(runs: int = 30) -> dict[str, float]:
    """Median ms of one scrape of a day of 100 components, counting: the read under the lock, then the
    rendering as Prometheus text and as OpenMetrics (what Prometheus asks for first)."""
    from execlog_tui.core.engine import MetricsEngine
    from execlog_tui.exporter.metrics import scrape_engine
    from execlog_tui.exporter.server import render

    base = 1_757_412_000_000
    engine = MetricsEngine(wall_ms=base + 86_400_000)
    lines = []
    for i in range(20_000):
        ts = base + i * 4000  # a day of history
        sec, ms = divmod(ts, 1000)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{ms:03d}Z"
        lines.append(f"{stamp}|C{i % 100:03d}|CALL|{i % 250}|{'FAILURE' if i % 997 == 0 else 'SUCCESS'}|x")
    engine.feed_lines(lines[:10_000])
    engine.start_counting()
    engine.feed_lines(lines[10_000:])
    read, text, om = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        scrape = scrape_engine(engine)
        t1 = time.perf_counter()
        body = render(scrape)[0]
        t2 = time.perf_counter()
        render(scrape, "application/openmetrics-text; version=1.0.0")
        t3 = time.perf_counter()
        read.append((t1 - t0) * 1000)
        text.append((t2 - t1) * 1000)
        om.append((t3 - t2) * 1000)
    return {
        "read": statistics.median(read),
        "text": statistics.median(text),
        "openmetrics": statistics.median(om),
        "samples": float(body.count(b"\n") - body.count(b"\n#")),
    }


def run(rate: float, seconds: float, mode: str = "ring") -> dict[str, float]:
    from execlog_tui.core.engine import MetricsEngine

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "execution.log"
        log.write_bytes(b"")
        f = LogFollower(log, poll_interval=0.25)
        rb = RingBuffer(100_000)
        lock = threading.Lock()
        engine = MetricsEngine() if mode != "ring" else None
        scraper = None
        if engine is not None and mode == "exporter":
            engine.start_counting()
            scraper = Scraper(engine, lock)
            scraper.start()
        writer = subprocess.Popen(
            [sys.executable, str(WRITER), str(log), "--rate", str(rate), "--seconds", str(seconds), "--tick", "0.001"],
            stdout=subprocess.PIPE,
            text=True,
        )
        delays: list[float] = []  # ms, one per batch write (all lines of a write share its stamp)
        delivered = 0
        cpu0 = time.process_time()
        t_stop: float | None = None
        backlog_at_stop = 0
        while True:
            f.wait(0.25)
            b = f.poll()
            if b.lines:
                items = [e for e in map(parse_line, b.lines) if e is not None]
                if engine is not None:
                    with lock:
                        engine.feed_parsed(items)
                rb.extend(items)
                now = time.monotonic_ns()
                delivered += len(b.lines)
                last_t = None
                for line in b.lines:
                    t = line[line.index(" t=") + 3 : line.index(" ", line.index(" t=") + 3)]
                    if t != last_t:  # one sample per write
                        delays.append((now - int(t)) / 1e6)
                        last_t = t
            if t_stop is None and writer.poll() is not None:
                t_stop = time.monotonic()
                written = int(writer.stdout.read())  # type: ignore[union-attr]
                backlog_at_stop = written - delivered
            if t_stop is not None and (delivered >= written or time.monotonic() - t_stop > 10):
                break
        catch_up = time.monotonic() - t_stop
        cpu = time.process_time() - cpu0
        f.close()
        if scraper is not None:
            scraper.halt.set()
            scraper.join()
    achieved = written / seconds
    delays.sort()
    q = statistics.quantiles(delays, n=100) if len(delays) > 2 else [0.0] * 99
    return {
        "rate": rate,
        "achieved": achieved,
        "written": written,
        "delivered": delivered,
        "backlog_at_stop": backlog_at_stop,
        "catch_up_s": catch_up,
        "p50_ms": q[49],
        "p99_ms": q[98],
        "max_ms": delays[-1] if delays else 0.0,
        "cpu_s": cpu,
        "scrapes": float(len(scraper.times)) if scraper else 0.0,
        "scrape_p50_ms": statistics.median(scraper.times) if scraper and scraper.times else 0.0,
        "scrape_max_ms": max(scraper.times) if scraper and scraper.times else 0.0,
        "kept_up": float(
            delivered == written and achieved >= 0.95 * rate and backlog_at_stop <= rate and catch_up <= 1.0
        ),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30.0, help="how long the writer runs at each rate")
    ap.add_argument("--rates", default="50000,100000,200000,400000,800000", help="lines per second, comma separated")
    ap.add_argument(
        "--gc-threshold",
        type=int,
        default=0,
        help="set gc's first threshold (e.g. 50000): fewer collections walking the full buffer",
    )
    ap.add_argument(
        "--mode",
        choices=("ring", "engine", "exporter"),
        default="ring",
        help="ring: follow, parse, buffer (default); engine: and feed an engine; exporter: a counting engine "
        "scraped every second",
    )
    args = ap.parse_args()
    if args.gc_threshold:
        import gc

        gc.set_threshold(args.gc_threshold, 50, 1000)
    best = 0.0
    print(
        f"{'rate/s':>9} {'achieved':>9} {'written':>9} {'behind@stop':>11} {'catch-up':>8} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'cpu s':>6}  kept up"
    )
    for rate in (float(r) for r in args.rates.split(",")):
        r = run(rate, args.seconds, args.mode)
        print(
            f"{r['rate']:>9.0f} {r['achieved']:>9.0f} {r['written']:>9.0f} {r['backlog_at_stop']:>11.0f} "
            f"{r['catch_up_s']:>7.2f}s {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['max_ms']:>7.1f} "
            f"{r['cpu_s']:>6.1f}  {'yes' if r['kept_up'] else 'NO'}",
            flush=True,
        )
        if args.mode == "exporter":
            print(
                f"  {r['scrapes']:.0f} scrapes while following: p50 {r['scrape_p50_ms']:.1f} ms, "
                f"max {r['scrape_max_ms']:.1f} ms"
            )
        if r["kept_up"]:
            best = max(best, rate)
        elif r["achieved"] < 0.95 * rate:
            print(f"  (the writer itself reached only {r['achieved']:.0f} lines/s)")
    if args.mode == "exporter":
        s = scrape_100_components()
        print(
            f"one scrape of a day of 100 components ({s['samples']:.0f} samples), median: read under the lock "
            f"{s['read']:.1f} ms, rendered as text {s['text']:.1f} ms, as OpenMetrics {s['openmetrics']:.1f} ms"
        )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"highest rate kept up with: {best:.0f} lines/s; peak RSS of this process "
        f"(follower + parser + full 100,000-entry ring buffer): {rss_mb:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
