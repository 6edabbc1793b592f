"""Dashboard benchmark: first frame, write->screen delay and key latency under load, RSS while following.

    python3 bench/bench_ui.py [--lines 100000] [--rate 50000] [--seconds 20] [--refresh 4]

All of it runs the real dashboard (ExeclogApp over a real MonitorSession, headless through
`App.run_test(size=(160, 50))`) in this process, on a generated log of `--lines` lines (the ring buffer's
capacity, so the buffer is full from the start):

- time to first frame: from process start (imports included) to the first refresh of the header;
- history: until the session has read the history and the dashboard shows it;
- following: a separate writer process appends `--rate` lines/s for `--seconds` (O_APPEND writes every
  2 ms, as a service would). Each line carries its wall-clock timestamp and, in its details,
  `t=<CLOCK_MONOTONIC ns>` of its write. On every frame the compositor produces, the newest log line
  drawn in it gives one sample of write->screen delay (frame time - t). Each frame is also serialised to
  terminal escape sequences, as the real driver does before writing to the tty (headless Textual skips
  that step), so the UI thread pays what it would pay in a terminal; the bytes give the bandwidth.
- keys: every 200 ms a `1`/`2` (window 1m/5m) key event is sent to the app as the terminal driver would
  (no waiting for idle, unlike `Pilot.press`); its latency is from sending to the first frame produced
  after the action handler ran. A key whose handler did not run within 2 s counts as lost.
- diagnostics: how long each refresh (`refresh_data`, on the UI thread) takes, and how late a 10 ms
  `asyncio.sleep` on the UI loop wakes up (the UI loop's stalls, whatever their cause).
- kept up: once the writer stops, the session must deliver every line written (ring total - history
  == lines written) within 10 s; the time it took is printed.

Goals (issue 5): first frame < 0.4 s, RSS < 80 MB with a full buffer, write->screen p99 < 300 ms at
4 refreshes/s with keys answered within 100 ms. Figures go to bench/out/bench_ui.json as well.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

START = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The writer: a separate process, so its work is not on this process's GIL. Lines look like a service's
# (wall-clock timestamps, a mix of components and statuses) and carry t=<monotonic ns> of their write;
# CLOCK_MONOTONIC is system-wide on Linux, so the two processes compare it directly.
WRITER = r"""
import os, sys, time
sys.path.insert(0, sys.argv[4])
from execlog_tui.core.timefmt import format_ts
path, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
kinds = ("API|CALL|{d}|SUCCESS", "CACHE|HIT|{d}|SUCCESS", "ROUTING|ROUTE|{d}|SUCCESS",
         "TEMPLATE|RENDER|{d}|SUCCESS", "CACHE|MISS|{d}|INFO", "API|CALL|{d}|FAILURE")
seq = 0
start = time.monotonic()
end = start + seconds
while True:
    now = time.monotonic()
    if now >= end:
        break
    due = int((now - start) * rate)
    if due > seq:
        t = time.monotonic_ns()
        ts = format_ts(int(time.time() * 1000))
        chunk = "".join(f"{ts}|{kinds[i % 6].format(d=i % 97)}|seq={i} t={t} user=u{i % 13}\n"
                        for i in range(seq, due))
        os.write(fd, chunk.encode())
        seq = due
    time.sleep(0.002)
os.close(fd)
print(seq)
"""


def write_log(path: Path, count: int, start_ms: int) -> None:
    from execlog_tui.core.timefmt import format_ts

    comps = ("API", "CACHE", "ROUTING", "TEMPLATE", "MEMORY")
    stats = ("SUCCESS", "SUCCESS", "INFO", "FAILURE", "WARNING")
    with path.open("w") as fh:
        for i in range(count):
            fh.write(
                f"{format_ts(start_ms + i)}|{comps[i % 5]}|OP|{i % 300}|{stats[i % 5]}|request {i} "
                f"user=u{i % 13} rss_mb={40 + i % 20}\n"
            )


def rss_mb() -> float:
    from execlog_tui.session import read_rss_mb

    return read_rss_mb() or 0.0


def pct(values: list[float]) -> dict[str, float]:
    """p50, p99 and max of `values` (ms), or zeros when there are none."""
    if len(values) < 2:
        v = values[0] if values else 0.0
        return {"n": len(values), "p50": v, "p99": v, "max": v}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"n": len(values), "p50": q[49], "p99": q[98], "max": max(values)}


def fmt(name: str, p: dict[str, float], goal: str = "") -> str:
    return (
        f"{name:<34} p50 {p['p50']:7.1f} ms   p99 {p['p99']:7.1f} ms   max {p['max']:7.1f} ms"
        f"   (n={p['n']:,}){'   goal ' + goal if goal else ''}"
    )


def stamp_of(raw: str) -> int | None:
    """The writer's t=<monotonic ns> in a line, None for history lines."""
    at = raw.find(" t=")
    if at < 0:
        return None
    end = raw.find(" ", at + 3)
    try:
        return int(raw[at + 3 : end if end > 0 else None])
    except ValueError:
        return None


async def run(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from textual import events
    from textual._compositor import CompositorUpdate

    from execlog_tui.core.config import Config
    from execlog_tui.session import MonitorSession
    from execlog_tui.ui.app import ExeclogApp
    from execlog_tui.ui.logview import LogView

    if not args.history_here:
        from execlog_tui.cache.plans import prepare_workers

        prepare_workers()  # as the CLI does: without it no child can start under Textual (stderr replaced)
    lines = args.lines
    out: dict[str, Any] = {"lines": lines, "rate": args.rate, "seconds": args.seconds, "refresh_hz": args.refresh}
    session = MonitorSession([str(path)], Config(), ring_capacity=lines, follow=True, history_process=True)
    app = ExeclogApp(session, refresh_hz=args.refresh)

    # ---- instruments (wrappers on the instance: the product code is unchanged) ----
    first_frame: list[float] = []
    orig_header = app._show_header

    def mark_header() -> None:
        orig_header()
        if not first_frame:
            first_frame.append(time.perf_counter() - START)

    app._show_header = mark_header  # type: ignore[method-assign]

    measuring = False
    drawn_newest: list[str | None] = [None]  # the newest log line drawn since the last frame
    last_sample_raw: list[str | None] = [None]
    screen_delay: list[float] = []  # ms, one per frame that drew a newer log line
    frame_times: list[float] = []
    frame_bytes = [0]
    pending_keys: list[tuple[float, float | None]] = []  # (sent, action ran) awaiting a frame
    key_latency: list[float] = []
    key_action: list[float] = []
    refresh_ms: list[float] = []

    orig_display = app._display

    def display(screen: Any, renderable: Any) -> None:
        orig_display(screen, renderable)
        if renderable is None:
            return
        if isinstance(renderable, CompositorUpdate) and measuring:
            # What the real driver does with each frame before writing it to the terminal.
            frame_bytes[0] += len(timed(renderable.render_segments, "  escape sequences")(app.console).encode())
        now_ns = time.monotonic_ns()
        now = time.perf_counter()
        if not measuring:
            return
        frame_times.append(now)
        raw = drawn_newest[0]
        if raw is not None and raw is not last_sample_raw[0]:
            t = stamp_of(raw)
            if t is not None:
                screen_delay.append((now_ns - t) / 1e6)
            last_sample_raw[0] = raw
        drawn_newest[0] = None
        still: list[tuple[float, float | None]] = []
        for sent, acted in pending_keys:
            if acted is not None:
                key_latency.append((now - sent) * 1000)
            else:
                still.append((sent, acted))
        pending_keys[:] = still

    app._display = display  # type: ignore[method-assign]

    orig_refresh = app.refresh_data

    def refresh_data() -> None:
        t0 = time.perf_counter()
        orig_refresh()
        if measuring:
            refresh_ms.append((time.perf_counter() - t0) * 1000)

    app.refresh_data = refresh_data  # type: ignore[method-assign]

    # Where a refresh's time goes: the session's snapshot (waiting for the reader's lock included),
    # the log view's pull, and redrawing the panels from the snapshot.
    parts: dict[str, list[float]] = {
        "snapshot": [],
        "lock wait (UI thread)": [],
        "log pull": [],
        "panels update": [],
        "frame render": [],
        "  compositor update": [],
        "  escape sequences": [],
    }

    # Wall time, and the UI thread's own CPU time: the difference is mostly waiting for the GIL while
    # the session's reader thread parses.
    parts_cpu: dict[str, list[float]] = {}

    def timed(fn: Any, key: str) -> Any:
        def wrapper(*a: Any, **k: Any) -> Any:
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return fn(*a, **k)
            finally:
                if measuring:
                    parts[key].append((time.perf_counter() - t0) * 1000)
                    parts_cpu.setdefault(key, []).append((time.thread_time() - c0) * 1000)

        return wrapper

    session.snapshot = timed(session.snapshot, "snapshot")  # type: ignore[method-assign]
    app._show_snapshot = timed(app._show_snapshot, "panels update")  # type: ignore[method-assign]
    main_thread = threading.main_thread()

    class TimedLock:
        """The session's RLock, timing how long the UI thread waits for it."""

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __enter__(self) -> Any:
            if threading.current_thread() is main_thread and measuring:
                t0 = time.perf_counter()
                self.inner.acquire()
                parts["lock wait (UI thread)"].append((time.perf_counter() - t0) * 1000)
            else:
                self.inner.acquire()
            return self

        def __exit__(self, *exc: object) -> None:
            self.inner.release()

        def acquire(self, *a: Any, **k: Any) -> bool:
            return self.inner.acquire(*a, **k)

        def release(self) -> None:
            self.inner.release()

    session.lock = TimedLock(session.lock)  # type: ignore[assignment]

    orig_window = app.action_window

    def action_window(name: str) -> None:
        orig_window(name)
        now = time.perf_counter()
        for i, (sent, acted) in enumerate(pending_keys):
            if acted is None:
                pending_keys[i] = (sent, now)
                key_action.append((now - sent) * 1000)
                break

    app.action_window = action_window  # type: ignore[method-assign]

    async with app.run_test(size=(160, 50)) as pilot:
        log = app.query_one(LogView)
        orig_render_line = log.render_line

        def render_line(y: int) -> Any:
            strip = orig_render_line(y)
            index = log.scroll_offset.y + y
            if index == log.shown_count - 1:  # the newest line was drawn in this frame
                drawn_newest[0] = log._raw_at(index)[0]
            return strip

        log.render_line = render_line  # type: ignore[method-assign]
        log.pull = timed(log.pull, "log pull")  # type: ignore[method-assign]
        app.screen._compositor_refresh = timed(  # type: ignore[method-assign]
            app.screen._compositor_refresh, "frame render"
        )
        compositor = app.screen._compositor
        compositor.render_update = timed(compositor.render_update, "  compositor update")  # type: ignore[method-assign]

        await pilot.pause()
        out["first_frame_s"] = first_frame[0]
        print(f"time to first frame (process start -> first refresh): {first_frame[0]:.3f} s   goal < 0.4 s")
        t0 = time.perf_counter()
        deadline = t0 + 120
        while not session.history_done and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        out["history_s"] = time.perf_counter() - t0
        history_total = session.ring.total
        out["history_in_child"] = session.history_in_child and not any("own process" in e for e in session.events)
        print(f"history read in {'a child process' if out['history_in_child'] else 'this process'}")
        print(
            f"history of {lines:,} lines read and shown in {out['history_s']:.2f} s "
            f"(ring holds {len(session.ring):,}, total {history_total:,})"
        )
        await asyncio.sleep(1.0)  # let the post-history refreshes settle

        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(args.rate), str(args.seconds), str(ROOT)],
            stdout=subprocess.PIPE,
            text=True,
        )
        profiler = None
        widget_renders: dict[str, tuple[int, float]] = {}
        if args.profile:
            import cProfile

            from textual._styles_cache import StylesCache

            profiler = cProfile.Profile()  # the UI thread only: the reader thread is not profiled
            # Which widgets the compositor re-renders, and the time they take (wall, ms).
            orig_rw = StylesCache.render_widget

            def render_widget(self: Any, widget: Any, crop: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return orig_rw(self, widget, crop)
                finally:
                    key = f"{type(widget).__name__}#{widget.id}" if widget.id else type(widget).__name__
                    n, t = widget_renders.get(key, (0, 0.0))
                    widget_renders[key] = (n + 1, t + (time.perf_counter() - t0) * 1000)

            StylesCache.render_widget = render_widget  # type: ignore[method-assign]
            profiler.enable()
        measuring = True
        t_start = time.perf_counter()
        cpu0 = time.process_time()
        lag: list[float] = []
        peak = [0.0]
        sent_keys = 0
        lost_keys = 0

        async def loop_probe() -> None:
            while measuring:
                a = time.perf_counter()
                await asyncio.sleep(0.01)
                lag.append((time.perf_counter() - a - 0.01) * 1000)

        async def rss_probe() -> None:
            while measuring:
                peak[0] = max(peak[0], rss_mb())
                await asyncio.sleep(0.25)

        probes = [asyncio.create_task(loop_probe()), asyncio.create_task(rss_probe())]
        key_names = ("2", "1")
        next_key = time.perf_counter() + 0.5
        while writer.poll() is None:
            now = time.perf_counter()
            if now >= next_key:
                # Keys whose handler has not run after 2 s are lost.
                lost_keys += sum(1 for s, a in pending_keys if a is None and now - s > 2.0)
                pending_keys[:] = [(s, a) for s, a in pending_keys if a is not None or now - s <= 2.0]
                key = key_names[sent_keys % 2]
                ev = events.Key(key, key)
                ev.set_sender(app)
                pending_keys.append((time.perf_counter(), None))
                app._driver.send_message(ev)  # type: ignore[union-attr]
                sent_keys += 1
                next_key += 0.2
            await asyncio.sleep(max(0.0, min(next_key - time.perf_counter(), 0.05)))
        t_stop = time.perf_counter()
        cpu = time.process_time() - cpu0
        written = int(writer.stdout.read())  # type: ignore[union-attr]
        behind_at_stop = written - (session.ring.total - history_total)
        while session.ring.total - history_total < written and time.perf_counter() - t_stop < 10:
            await asyncio.sleep(0.01)
        catch_up = time.perf_counter() - t_stop
        delivered = session.ring.total - history_total
        await asyncio.sleep(0.6)  # the last refresh after the catch-up
        measuring = False
        for p in probes:
            await p
        if profiler is not None:
            import io
            import pstats

            profiler.disable()
            buf = io.StringIO()
            stats = pstats.Stats(profiler, stream=buf)
            stats.sort_stats("tottime").print_stats(40)
            stats.sort_stats("cumulative").print_stats("execlog_tui|_compositor|_styles_cache", 40)
            prof_out = ROOT / "bench" / "out" / "bench_ui.profile.txt"
            prof_out.parent.mkdir(parents=True, exist_ok=True)
            frames = len(frame_times)
            buf.write(f"\nWidget renders over {frames} frames (count, total ms, ms per frame):\n")
            for key, (n, t) in sorted(widget_renders.items(), key=lambda kv: -kv[1][1]):
                buf.write(f"  {key:<40} {n:6d} {t:9.1f} {t / max(frames, 1):7.2f}\n")
            prof_out.write_text(buf.getvalue())
            print(f"UI-thread profile (by own time): {prof_out}")
        lost_keys += sum(1 for s, a in pending_keys if a is None)
        elapsed = t_stop - t_start
        rss_now = rss_mb()
        if args.trim:
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
            print(f"RSS {rss_now:.1f} MB, after malloc_trim(0) {rss_mb():.1f} MB (memory freed but kept by malloc)")
        if args.tracemalloc:
            import tracemalloc

            snap = tracemalloc.take_snapshot()
            stats = snap.statistics("filename")
            total_mb = sum(st.size for st in stats) / 1e6
            print(f"tracemalloc (Python allocations since start, by file): {total_mb:.1f} MB in all; top 15:")
            for st in stats[:15]:
                print(f"  {st.size / 1e6:7.2f} MB  {st.count:9,d} blocks  {st.traceback[0].filename}")
            for st in snap.statistics("lineno")[:8]:
                fr = st.traceback[0]
                print(f"  {st.size / 1e6:7.2f} MB  {st.count:9,d} blocks  {fr.filename}:{fr.lineno}")
        on_screen = log.shown_count and stamp_of(log._raw(log.held_count - 1))
        gaps = [(b - a) * 1000 for a, b in pairwise(frame_times)]

    session.stop()
    kept_up = delivered == written and behind_at_stop <= args.rate and catch_up <= 1.0
    out.update(
        {
            "written": written,
            "achieved_rate": written / elapsed,
            "delivered": delivered,
            "behind_at_stop": behind_at_stop,
            "catch_up_s": catch_up,
            "kept_up": kept_up,
            "screen_delay_ms": pct(screen_delay),
            "key_latency_ms": pct(key_latency),
            "key_action_ms": pct(key_action),
            "keys_sent": sent_keys,
            "keys_lost": lost_keys,
            "refresh_data_ms": pct(refresh_ms),
            "loop_lag_ms": pct(lag),
            "frame_gap_ms": pct(gaps),
            "parts_ms": {k: pct(v) for k, v in parts.items()},
            "parts_cpu_ms": {k: pct(v) for k, v in parts_cpu.items()},
            "cpu_s": cpu,
            "frames": len(frame_times),
            "frame_kb_per_s": frame_bytes[0] / 1024 / elapsed,
            "rss_peak_mb": peak[0],
            "rss_end_mb": rss_now,
            "newest_line_is_live": bool(on_screen),
        }
    )
    print(
        f"writer: {written:,} lines in {elapsed:.1f} s = {written / elapsed:,.0f} lines/s "
        f"(asked {args.rate:,.0f}); refresh {args.refresh:g}/s"
    )
    print(fmt("write -> on screen (newest line)", out["screen_delay_ms"], "p99 < 300 ms"))
    print(fmt("key -> next frame after handler", out["key_latency_ms"], "< 100 ms"))
    print(fmt("key -> handler ran", out["key_action_ms"]))
    print(f"{'keys':<34} {sent_keys} sent, {lost_keys} lost (handler not run within 2 s)")
    print(fmt("refresh_data on the UI thread", out["refresh_data_ms"]))
    for key, p in out["parts_ms"].items():
        c = out["parts_cpu_ms"].get(key)
        print(fmt(f"  {key}", p) + (f"   UI-thread CPU p50 {c['p50']:.1f} p99 {c['p99']:.1f} ms" if c else ""))
    print(
        f"{'CPU of this process':<34} {cpu:.1f} s in {elapsed:.1f} s ({cpu / elapsed * 100:.0f} % of one core;"
        f" UI loop and reader thread share one GIL)"
    )
    print(fmt("UI loop lag (10 ms sleep overshoot)", out["loop_lag_ms"]))
    print(fmt("gap between frames", out["frame_gap_ms"]))
    print(f"{'frames':<34} {len(frame_times):,}, {out['frame_kb_per_s']:.1f} KiB/s of terminal output")
    print(
        f"kept up: {'yes' if kept_up else 'NO'}: delivered {delivered:,} of {written:,} written; "
        f"{behind_at_stop:,} behind when the writer stopped, caught up in {catch_up:.2f} s"
    )
    print(
        f"following with a full buffer ({len(session.ring):,} of capacity {lines:,}): RSS now {rss_now:.1f} MB,"
        f" peak {peak[0]:.1f} MB   goal < 80 MB"
    )
    return out


def run_tmux(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The same measure through a real terminal: `execlog-top` in a detached tmux pane (160x50), read
    back with `tmux capture-pane` every ~20 ms. Coarser (each sample is late by up to one capture, a
    subprocess of a few ms, and the tmux server competes for the 2 cores), but end to end: the real
    driver's writes, tmux parsing them, a key going through the tty."""
    import re
    import shutil

    if shutil.which("tmux") is None:
        print("bench_ui: --tmux needs tmux on PATH")
        return {}
    sock = f"bench-ui-{os.getpid()}"
    tmux = ["tmux", "-L", sock]
    cmd = f"cd {ROOT} && {sys.executable} -m execlog_tui --refresh {args.refresh:g} --buffer {args.lines} {path}"
    subprocess.run(tmux + ["new-session", "-d", "-x", "160", "-y", "50", cmd], check=True)
    stamp = re.compile(r" t=(\d+)")

    def capture() -> str:
        return subprocess.run(tmux + ["capture-pane", "-p"], capture_output=True, text=True).stdout

    try:
        deadline = time.monotonic() + 30
        while "[1m]" not in capture() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(2.0)  # history read and shown
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(args.rate), str(args.seconds), str(ROOT)],
            stdout=subprocess.PIPE,
            text=True,
        )
        delays: list[float] = []
        keys: list[float] = []
        last_t = 0
        want: tuple[str, float] | None = None
        sent = lost = 0
        next_key = time.monotonic() + 0.5
        while writer.poll() is None:
            screen = capture()
            now_ns = time.monotonic_ns()
            ts = [int(m) for m in stamp.findall(screen)]
            if ts and max(ts) != last_t:
                last_t = max(ts)
                delays.append((now_ns - last_t) / 1e6)
            if want is not None and f"[{want[0]}]" in screen:
                keys.append((now_ns / 1e9 - want[1]) * 1000)
                want = None
            if time.monotonic() >= next_key:
                if want is not None:
                    lost += 1
                name, key = (("5m", "2"), ("1m", "1"))[sent % 2]
                want = (name, time.monotonic())
                subprocess.run(tmux + ["send-keys", key], check=True)
                sent += 1
                next_key += 0.2
            time.sleep(0.02)
        writer.communicate()
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
        sock_path = Path(f"/tmp/tmux-{os.getuid()}") / sock
        sock_path.unlink(missing_ok=True)  # tmux leaves the socket file behind
    out = {
        "tmux_screen_delay_ms": pct(delays),
        "tmux_key_latency_ms": pct(keys),
        "tmux_keys_sent": sent,
        "tmux_keys_unanswered_in_200ms": lost,
    }
    print(fmt("tmux: write -> pane (newest t=)", out["tmux_screen_delay_ms"], "p99 < 300 ms"))
    print(fmt("tmux: key -> pane shows it", out["tmux_key_latency_ms"], "< 100 ms"))
    print(f"{'tmux: keys':<34} {sent} sent, {lost} not on screen before the next key (200 ms)")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=100_000, help="history lines = ring buffer capacity")
    ap.add_argument("--rate", type=float, default=50_000, help="lines/s the writer appends while following")
    ap.add_argument("--seconds", type=float, default=20.0, help="how long the writer runs")
    ap.add_argument("--refresh", type=float, default=4.0, help="dashboard refreshes per second")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the UI thread while following (bench/out/bench_ui.profile.txt); slows it",
    )
    ap.add_argument(
        "--tmux", action="store_true", help="also measure through a real terminal: execlog-top in a detached tmux pane"
    )
    ap.add_argument(
        "--tracemalloc",
        action="store_true",
        help="trace Python allocations from the start; print them by file with the full buffer (slows it)",
    )
    ap.add_argument(
        "--history-here",
        action="store_true",
        help="read the history in this process (the dashboard reads it in a child; before this flag the"
        " bench did not start the child's resource tracker as the CLI does, so its child never started)",
    )
    ap.add_argument("--trim", action="store_true", help="with the full buffer, also RSS after glibc's malloc_trim(0)")
    args = ap.parse_args()
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "execution.log"
        write_log(path, args.lines, int(time.time() * 1000) - args.lines)
        print(
            f"python {sys.version.split()[0]}, pid {os.getpid()}, {os.cpu_count()} cpus, "
            f"log {path.stat().st_size / 1e6:.1f} MB"
        )
        global START
        START = time.perf_counter()  # the log is written: measure from here (imports included)
        out = asyncio.run(run(path, args))
        if args.tmux:
            write_log(path, args.lines, int(time.time() * 1000) - args.lines)  # a fresh file, same size
            out.update(run_tmux(path, args))
    dest = ROOT / "bench" / "out"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "bench_ui.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
