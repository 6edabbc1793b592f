"""Dashboard benchmark: time to first frame, and the monitor's RSS while following with a full buffer.

    python3 bench/bench_ui.py [--lines 100000] [--seconds 5]

Time to first frame: from process start to the first screen written by a headless run of the real
dashboard over a real MonitorSession on a generated log. RSS: the same session following the file
while a writer appends, with the ring buffer full (capacity = --lines).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

START = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def write_log(path: Path, count: int, start_ms: int) -> None:
    from execlog_tui.core.timefmt import format_ts

    comps = ("API", "CACHE", "ROUTING", "TEMPLATE", "MEMORY")
    stats = ("SUCCESS", "SUCCESS", "INFO", "FAILURE", "WARNING")
    with path.open("w") as fh:
        for i in range(count):
            fh.write(f"{format_ts(start_ms + i)}|{comps[i % 5]}|OP|{i % 300}|{stats[i % 5]}|request {i} "
                     f"user=u{i % 13} rss_mb={40 + i % 20}\n")


def rss_mb() -> float:
    from execlog_tui.ui.app import read_rss_mb

    return read_rss_mb() or 0.0


async def run(path: Path, lines: int, seconds: float) -> None:
    from execlog_tui.core.config import Config
    from execlog_tui.session import MonitorSession
    from execlog_tui.ui.app import ExeclogApp

    session = MonitorSession([str(path)], Config(), ring_capacity=lines, follow=True)
    app = ExeclogApp(session, refresh_hz=4.0)
    first_frame: list[float] = []
    orig = app._show_header

    def mark() -> None:
        orig()
        if not first_frame:
            first_frame.append(time.perf_counter() - START)

    app._show_header = mark  # type: ignore[method-assign]
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        print(f"time to first frame (process start -> first refresh): {first_frame[0]:.3f} s")
        t0 = time.perf_counter()
        deadline = t0 + 120
        while not session.history_done and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        print(f"history of {lines:,} lines read and shown in {time.perf_counter() - t0:.2f} s")
        stop = threading.Event()

        def writer() -> None:
            from execlog_tui.core.timefmt import format_ts
            i = 0
            with path.open("a") as fh:
                while not stop.is_set():
                    now = int(time.time() * 1000)
                    fh.write("".join(f"{format_ts(now)}|API|CALL|{j % 90}|SUCCESS|live {i + j}\n"
                                     for j in range(500)))
                    fh.flush()
                    i += 500
                    time.sleep(0.05)  # ~10,000 lines/s

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        peak = 0.0
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            await asyncio.sleep(0.25)
            peak = max(peak, rss_mb())
        stop.set()
        thread.join()
        log_held = len(session.ring)
        print(f"following with a full buffer ({log_held:,} of capacity {lines:,}): RSS now {rss_mb():.1f} MB,"
              f" peak {peak:.1f} MB (goal < 80 MB)")
    session.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "execution.log"
        write_log(path, args.lines, int(time.time() * 1000) - args.lines)
        print(f"python {sys.version.split()[0]}, pid {os.getpid()}, log {path.stat().st_size / 1e6:.1f} MB")
        global START
        START = time.perf_counter()  # the log is written: measure from here (imports included)
        asyncio.run(run(path, args.lines, args.seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
