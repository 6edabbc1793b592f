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
    python3 bench/bench_follow.py --scrape-only          # the 100-component scrape, text and OpenMetrics

`--mode engine` also feeds a MetricsEngine under a lock, as the session's worker does; `--mode exporter`
feeds an engine that counts (SPEC 11) and serves it with the exporter's HTTP server (reading it under the
same lock), which a thread scrapes every second (GET /metrics with Prometheus's Accept header, so
OpenMetrics), and prints the scrapes' times (p50, p95, max) and the median and p95 of 50 scrapes of an
engine with 100 components in both formats (`--scrape-only`: only these).
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


PROMETHEUS_ACCEPT = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"


class Scraper(threading.Thread):
    """Every `every` seconds: GET /metrics from the exporter's HTTP server (which reads `engine` under
    `lock`), with the Accept header Prometheus sends (OpenMetrics), timed (ms) to the last byte."""

    def __init__(self, engine: object, lock: threading.Lock, every: float = 1.0) -> None:
        super().__init__(daemon=True)
        from execlog_tui.exporter.metrics import scrape_engine
        from execlog_tui.exporter.server import ListenAddress, MetricsServer

        def read() -> object:
            with lock:
                return scrape_engine(engine)  # type: ignore[arg-type]

        self.server = MetricsServer(ListenAddress("127.0.0.1", 0), read)  # type: ignore[arg-type]
        self.server.start()
        self.every = every
        self.times: list[float] = []
        self.halt = threading.Event()

    def run(self) -> None:
        import urllib.request

        req = urllib.request.Request(self.server.url, headers={"Accept": PROMETHEUS_ACCEPT})
        while not self.halt.wait(self.every):
            t0 = time.perf_counter()
            with urllib.request.urlopen(req, timeout=10) as resp:
                resp.read()
            self.times.append((time.perf_counter() - t0) * 1000)

    def close(self) -> None:
        self.halt.set()
        self.join()
        self.server.close()


def pct(values: list[float], p: int) -> float:
    """The p-th percentile (statistics.quantiles, inclusive); the value itself for fewer than 2."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def scrape_100_components(runs: int = 50) -> dict[str, float]:
    """Median and p95 ms over `runs` scrapes of a day of 100 components, counting: the read under the
    lock, the rendering as Prometheus text and as OpenMetrics (what Prometheus asks for first), and a
    whole scrape (read + rendering) in each format."""
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
    from prometheus_client.exposition import choose_encoder
    from prometheus_client.registry import CollectorRegistry

    from execlog_tui.exporter.metrics import ExeclogCollector

    times: dict[str, list[float]] = {"read": [], "text": [], "openmetrics": [], "scrape_text": [], "scrape_om": []}
    times |= {"ref_text": [], "ref_om": []}  # prometheus_client's own encoders on the same scrape, same run
    body = b""
    for _ in range(runs):
        t0 = time.perf_counter()
        scrape = scrape_engine(engine)
        t1 = time.perf_counter()
        body = render(scrape)[0]
        t2 = time.perf_counter()
        scrape = scrape_engine(engine)
        t3 = time.perf_counter()
        render(scrape, "application/openmetrics-text; version=1.0.0")
        t4 = time.perf_counter()
        times["read"].append((t1 - t0) * 1000)
        times["text"].append((t2 - t1) * 1000)
        times["openmetrics"].append((t4 - t3) * 1000)
        times["scrape_text"].append((t2 - t0) * 1000)
        times["scrape_om"].append((t4 - t2) * 1000)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(ExeclogCollector(lambda: scrape))  # noqa: B023 - used at once
        for key, accept in (("ref_text", ""), ("ref_om", "application/openmetrics-text; version=1.0.0")):
            t5 = time.perf_counter()
            choose_encoder(accept)[0](registry)
            times[key].append((time.perf_counter() - t5) * 1000)
    out = {"samples": float(body.count(b"\n") - body.count(b"\n#"))}
    for k, v in times.items():
        out[k] = statistics.median(v)
        out[k + "_p95"] = pct(v, 95)
    return out


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
            scraper.close()
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
        "scrape_p95_ms": pct(scraper.times, 95) if scraper and scraper.times else 0.0,
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
    ap.add_argument(
        "--scrape-only",
        action="store_true",
        help="only the scrapes of 100 components (median and p95 of 50, text and OpenMetrics)",
    )
    args = ap.parse_args()
    if args.scrape_only:
        args.rates = ""
    if args.gc_threshold:
        import gc

        gc.set_threshold(args.gc_threshold, 50, 1000)
    best = 0.0
    print(
        f"{'rate/s':>9} {'achieved':>9} {'written':>9} {'behind@stop':>11} {'catch-up':>8} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'cpu s':>6}  kept up"
    )
    for rate in (float(r) for r in args.rates.split(",") if r):
        r = run(rate, args.seconds, args.mode)
        print(
            f"{r['rate']:>9.0f} {r['achieved']:>9.0f} {r['written']:>9.0f} {r['backlog_at_stop']:>11.0f} "
            f"{r['catch_up_s']:>7.2f}s {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['max_ms']:>7.1f} "
            f"{r['cpu_s']:>6.1f}  {'yes' if r['kept_up'] else 'NO'}",
            flush=True,
        )
        if args.mode == "exporter":
            print(
                f"  {r['scrapes']:.0f} scrapes of /metrics while following: p50 {r['scrape_p50_ms']:.1f} ms, "
                f"p95 {r['scrape_p95_ms']:.1f} ms, max {r['scrape_max_ms']:.1f} ms"
            )
        if r["kept_up"]:
            best = max(best, rate)
        elif r["achieved"] < 0.95 * rate:
            print(f"  (the writer itself reached only {r['achieved']:.0f} lines/s)")
    if args.mode == "exporter" or args.scrape_only:
        s = scrape_100_components()
        print(
            f"scrapes of a day of 100 components ({s['samples']:.0f} samples), median / p95 of 50: read under "
            f"the lock {s['read']:.1f} / {s['read_p95']:.1f} ms; rendered as text {s['text']:.1f} / "
            f"{s['text_p95']:.1f} ms, as OpenMetrics {s['openmetrics']:.1f} / {s['openmetrics_p95']:.1f} ms; "
            f"a whole scrape (read + rendering) as text {s['scrape_text']:.1f} / {s['scrape_text_p95']:.1f} ms, "
            f"as OpenMetrics {s['scrape_om']:.1f} / {s['scrape_om_p95']:.1f} ms (target <= 20 ms); "
            f"prometheus_client's encoders on the same scrapes: text {s['ref_text']:.1f} / {s['ref_text_p95']:.1f} ms, "
            f"OpenMetrics {s['ref_om']:.1f} / {s['ref_om_p95']:.1f} ms"
        )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"highest rate kept up with: {best:.0f} lines/s; peak RSS of this process "
        f"(follower + parser + full 100,000-entry ring buffer): {rss_mb:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
