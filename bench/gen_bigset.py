"""Generate the seeded benchmark log set: a live execution.log and N-1 gzip archives of about M MiB each."""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import subprocess
import sys
import time
import zlib
from calendar import timegm
from pathlib import Path
from time import gmtime
from typing import BinaryIO, Protocol

VERSION = 2  # bump when the content changes, so old sets are regenerated
START_S = timegm((2025, 9, 9, 6, 0, 0, 0, 0, 0))  # 2025-09-09T06:00:00Z
LINES_PER_SECOND = 1000
LIVE = "execution.log"
BENCH_DIR = Path(__file__).resolve().parent


def default_out(files: int, mb: int) -> Path:
    """bench/data/bigset for the full 7 x 100 set; smaller sets get their own directory beside it."""
    name = "bigset" if (files, mb) == (7, 100) else f"bigset-{files}x{mb}"
    return BENCH_DIR / "data" / name


# --- the line pools ------------------------------------------------------------------------------------
# Lines are `timestamp + tail`; the tails come from pools built once, so the per-line cost is one
# random pick and one concatenation. Pools are weighted by repetition.

TOOLS = ["weather_lookup", "calendar", "news", "reminders", "smart_home", "music", "timer", "search"]
KEYS = ["template_greeting", "user_pref", "weather_card", "calendar_day", "news_digest", "timer_set"]
ENDPOINTS = ["/v1/weather", "/v1/calendar", "/v1/news", "/v1/music", "/v1/search"]
PATTERNS = ["git_workflow", "morning_briefing", "evening_music", "commute_check"]


def tail(component: str, action: str, duration: int | float, status: str, details: str) -> str:
    return f"|{component}|{action}|{duration}|{status}|{details}\n"


def build_pool(rng: random.Random, size: int, hit_rate: float, api_error_rate: float) -> list[str]:
    """`size` tails in the proportions of the sample set's request flows."""
    pool: list[str] = []
    while len(pool) < size:
        r = rng.random()
        if r < 0.18:
            d = rng.randint(1, 4)
            pool.append(
                tail("ROUTING", "DECIDE", d, "SUCCESS", f"tool={rng.choice(TOOLS)} route={'fast' if d < 3 else 'full'}")
            )
        elif r < 0.25:
            pool.append(
                tail(
                    "FAMILY",
                    "PROFILE",
                    rng.randint(2, 9),
                    "SUCCESS",
                    f"user=u{rng.randint(1, 8)} prefs={rng.randint(3, 30)}",
                )
            )
        elif r < 0.43:
            pool.append(tail("CACHE", "LOOKUP", 1, "INFO", f"Looking for {rng.choice(KEYS)}"))
            if rng.random() < hit_rate:
                pool.append(tail("CACHE", "HIT", 0, "SUCCESS", f"L{1 if rng.random() < 0.8 else 2} cache hit"))
            else:
                pool.append(tail("CACHE", "MISS", 0, "INFO", "Cache miss all tiers"))
                pool.append(tail("CACHE", "FETCH", rng.randint(8, 45), "SUCCESS", "Fetched from source"))
                pool.append(tail("CACHE", "UPDATE", 2, "SUCCESS", "Updated L1 and L2"))
        elif r < 0.52:
            d = round(rng.lognormvariate(math.log(140), 0.45))
            ep = rng.choice(ENDPOINTS)
            if rng.random() < api_error_rate:
                if rng.random() < 0.3:
                    pool.append(tail("API", "CALL", 2000, "TIMEOUT", f"GET {ep} timed out after 2000ms"))
                else:
                    pool.append(tail("API", "CALL", d, "FAILURE", f"GET {ep} 503 from upstream"))
            else:
                pool.append(tail("API", "CALL", d, "SUCCESS", f"GET {ep} 200"))
        elif r < 0.70:
            d = rng.randint(1, 6)
            status = "SUCCESS" if rng.random() < 0.995 else "DEGRADED"
            pool.append(tail("TEMPLATE", "RENDER", d, status, f"Rendered in {d}ms"))
        elif r < 0.76:
            pool.append(
                tail("SECURITY", "AUTH", rng.randint(1, 6), "SUCCESS", f"user=u{rng.randint(1, 8)} token verified")
            )
        elif r < 0.80:
            pool.append(
                tail("MEMORY", "MATCH", rng.randint(2, 6), "SUCCESS", f"Pattern {rng.choice(PATTERNS)} matched")
            )
        elif r < 0.81:
            pool.append(
                tail("PERF", "SAMPLE", 1, "DEBUG", f"cpu_pct={rng.randint(4, 60)} threads={rng.randint(8, 14)}")
            )
        else:
            d = rng.randint(1, 5)
            pool.append(tail("ROUTING", "DISPATCH", d, "SUCCESS", f"tool={rng.choice(TOOLS)}"))
    return pool


# --- compression ---------------------------------------------------------------------------------------


class Sink(Protocol):
    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class PlainSink:
    def __init__(self, path: Path) -> None:
        self.f: BinaryIO = open(path, "wb")

    def write(self, data: bytes) -> None:
        self.f.write(data)

    def close(self) -> None:
        self.f.close()


class GzipProcessSink:
    """`gzip -6 -n` in a subprocess: the format logrotate produces, and it runs on the other core."""

    def __init__(self, path: Path, level: int) -> None:
        self.out = open(path, "wb")
        self.proc = subprocess.Popen(["gzip", f"-{level}", "-n", "-c"], stdin=subprocess.PIPE, stdout=self.out)

    def write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        if self.proc.wait() != 0:
            raise RuntimeError(f"gzip exited with status {self.proc.returncode}")
        self.out.close()


class InProcessSink:
    """zlib (level 6) or isal (its levels stop at 3) in this process; gzip header with mtime 0."""

    def __init__(self, path: Path, kind: str, level: int) -> None:
        self.out = open(path, "wb")
        if kind == "isal":
            from isal import isal_zlib

            self.comp = isal_zlib.compressobj(min(level, 3), isal_zlib.DEFLATED, 31)
        else:
            self.comp = zlib.compressobj(level, zlib.DEFLATED, 31)

    def write(self, data: bytes) -> None:
        self.out.write(self.comp.compress(data))

    def close(self) -> None:
        self.out.write(self.comp.flush())
        self.out.close()


def open_sink(path: Path, compressor: str, level: int) -> Sink:
    if not path.name.endswith(".gz"):
        return PlainSink(path)
    if compressor == "gzip":
        return GzipProcessSink(path, level)
    return InProcessSink(path, compressor, level)


def pick_compressor(choice: str) -> str:
    if choice != "auto":
        return choice
    return "gzip" if shutil.which("gzip") else "zlib"


# --- the timeline --------------------------------------------------------------------------------------


def second_prefix(sec: int) -> str:
    t = gmtime(sec)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}."


MS = [f"{i:03d}Z" for i in range(1000)]


class Schedule:
    """Incidents at fixed fractions of the expected timeline, so every size of set has all of them."""

    def __init__(self, expected_seconds: int) -> None:
        def at(frac: float) -> int:
            return int(expected_seconds * frac)

        # Spells last as long as in a real incident, but never more than a tenth of a small set.
        def spell(seconds: int) -> int:
            return max(min(seconds, expected_seconds // 10), 10)

        self.api_burst = (at(0.15), at(0.15) + spell(60))
        self.cache_cycle = at(0.30)
        self.degraded = (at(0.45), at(0.45) + spell(300))
        self.memory_climb = (at(0.60), at(0.60) + spell(600))
        self.critical = at(0.75)
        self.restart = self.critical + 6  # seconds of silence between the crash and the restart
        self.malformed_every = max(expected_seconds // 7, 1)

    def incidents(self) -> dict[str, str]:
        return {
            "api_error_burst": f"{iso(self.api_burst[0])} .. {iso(self.api_burst[1])}",
            "cache_circuit_cycle": f"{iso(self.cache_cycle)} (+30 s test, +30.004 s close)",
            "degraded_cache": f"{iso(self.degraded[0])} .. {iso(self.degraded[1])}",
            "memory_climb_over_100mb": f"{iso(self.memory_climb[0])} .. {iso(self.memory_climb[1])}",
            "critical_then_slow_bootstrap": f"{iso(self.critical)}, restart {iso(self.restart)}",
        }


def iso(sec: int) -> str:
    return second_prefix(START_S + sec) + "000Z"


def rss_at(sched: Schedule, sec: int) -> float:
    lo, hi = sched.memory_climb
    if lo <= sec < hi:
        return 58.0 + 66.0 * (sec - lo) / (hi - lo)
    if sec >= sched.restart:
        return 38.0 + min((sec - sched.restart) / 60 * 0.5, 20.0)
    return 52.0 + 6.0 * math.sin(sec / 900 * math.pi)


def extras(sched: Schedule, sec: int, n: int) -> list[tuple[int, str]]:
    """Scripted (millisecond, tail) lines for one second."""
    out: list[tuple[int, str]] = []
    if sec == sched.cache_cycle:
        out += [
            (0, tail("CACHE", "FAILURE", 5, "ERROR", "Cache operation failed")),
            (100, tail("CACHE", "FAILURE", 4, "ERROR", "Cache operation failed")),
            (200, tail("CACHE", "FAILURE", 3, "ERROR", "Cache operation failed")),
            (201, tail("CACHE", "CIRCUIT_OPEN", 0, "WARNING", "Circuit breaker opened")),
        ]
    if sec == sched.cache_cycle + 30:
        out += [
            (201, tail("CACHE", "CIRCUIT_TEST", 2, "INFO", "Testing circuit breaker")),
            (205, tail("CACHE", "CIRCUIT_CLOSE", 0, "SUCCESS", "Circuit breaker closed")),
        ]
    if sec == sched.degraded[0] + min(40, sched.degraded[1] - sched.degraded[0]):
        out.append((0, tail("SYSTEM", "DEGRADE", 0, "WARNING", "Entering degraded mode: cache hit rate below 60%")))
    if sec == sched.degraded[1] + 61:
        out.append((0, tail("SYSTEM", "RECOVER", 0, "INFO", "Leaving degraded mode: cache hit rate recovered")))
    if sec == sched.memory_climb[1]:
        out.append((5, tail("MEMORY", "EVICT", 35, "WARNING", "Aggressive eviction freed 66MB")))
    if sec == sched.critical:
        out.append((512, tail("SYSTEM", "WORKER_POOL", 5012, "CRITICAL", "Worker pool deadlocked; restarting")))
    if sec == sched.restart:
        out += [
            (0, tail("SYSTEM", "START", 0, "INFO", "Process started")),
            (20, tail("BOOTSTRAP", "START", 0, "INFO", "Bootstrap sequence initiated")),
            (132, tail("BOOTSTRAP", "CORE", 112, "SUCCESS", "Core identity loaded")),
            (330, tail("BOOTSTRAP", "PARALLEL", 198, "SUCCESS", "6 threads completed")),
            (473, tail("BOOTSTRAP", "VALIDATE", 143, "SUCCESS", "All checks passed")),
            (487, tail("BOOTSTRAP", "COMPLETE", 467, "SUCCESS", "Ready in 467ms")),
        ]
    return out


def generate(files: int, mb: int, out: Path, seed: int, compressor: str, level: int) -> dict[str, object]:
    rng = random.Random(seed)
    normal = build_pool(rng, 16384, hit_rate=0.9, api_error_rate=0.0002)
    burst = build_pool(rng, 4096, hit_rate=0.9, api_error_rate=0.95)
    degraded = build_pool(rng, 4096, hit_rate=0.35, api_error_rate=0.0002)
    avg_len = 24 + sum(map(len, normal)) / len(normal)
    limit = mb * 1024 * 1024
    sched = Schedule(int(files * limit / (avg_len * LINES_PER_SECOND)))
    names = [LIVE if k == files - 1 else f"{LIVE}.{files - 1 - k}.gz" for k in range(files)]

    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").unlink(missing_ok=True)
    for old in out.glob(f"{LIVE}*"):
        old.unlink()

    index = 0
    sink = open_sink(out / names[0], compressor, level)
    size = 0
    buf: list[bytes] = []
    buffered = 0
    lines = 0
    sizes: dict[str, int] = {}
    offsets: dict[int, list[str]] = {}
    sec = 0
    last_second = ""
    while True:
        base = START_S + sec
        prefix = second_prefix(base)
        if sched.critical < sec < sched.restart:
            sec += 1
            continue  # the process is down
        if sched.api_burst[0] <= sec < sched.api_burst[1]:
            pool = burst
        elif sched.degraded[0] <= sec < sched.degraded[1]:
            pool = degraded
        else:
            pool = normal
        n = int(LINES_PER_SECOND * (1 + 0.2 * math.sin(sec / 1200 * math.pi))) + rng.randint(-50, 50)
        offs = offsets.get(n)
        if offs is None:
            offs = offsets[n] = [MS[i * 1000 // n] for i in range(n)]
        body = [prefix + o + t for o, t in zip(offs, rng.choices(pool, k=n), strict=True)]
        rss = rss_at(sched, sec)
        head = f"{prefix}000Z|MEMORY|USAGE|0|INFO|rss_mb={rss:.1f} heap_mb={rss * 0.62:.1f}\n"
        body.insert(0, head)
        scripted = extras(sched, sec, n)
        if scripted:
            # Keep the second in time order: scripted lines go after the pool lines of their millisecond.
            keyed = [(0, 0, head)] + [(i * 1000 // n, 1, s) for i, s in enumerate(body[1:])]
            keyed += [(ms, 2, prefix + MS[ms] + t) for ms, t in scripted]
            keyed.sort(key=lambda k: (k[0], k[1]))
            body = [s for _ms, _o, s in keyed]
        if sec % sched.malformed_every == sched.malformed_every // 2:
            body.append(f"{prefix}999Z|TEMPLATE|RENDER|3\n")  # a torn write: 4 fields
        data = "".join(body).encode()
        if size + len(data) > limit and size > 0:
            # Rotate at a second's boundary, like a writer whose next line would pass the limit.
            sink.write(b"".join(buf))
            buf, buffered = [], 0
            sink.close()
            sizes[names[index]] = size
            index += 1
            if index == files:
                break  # this second did not fit in the live file: the set ends before it
            sink = open_sink(out / names[index], compressor, level)
            size = 0
        if size == 0:
            # Every member begins with the rotation entry (the oldest too: its predecessors aged out).
            rotate_line = f"{prefix}000Z|SYSTEM|ROTATE|0|INFO|Log rotated\n".encode()
            buf.append(rotate_line)
            buffered += len(rotate_line)
            size = len(rotate_line)
            lines += 1
        buf.append(data)
        buffered += len(data)
        size += len(data)
        lines += len(body)
        last_second = prefix
        if buffered >= 8 * 1024 * 1024:  # big writes: fewer syscalls and pipe wake-ups
            sink.write(b"".join(buf))
            buf, buffered = [], 0
        sec += 1
    return {
        "lines": lines,
        "uncompressed_bytes": sum(sizes.values()),
        "first": iso(0),
        "last_second": last_second + "000Z",
        "log_seconds": sec,
        "incidents": sched.incidents(),
    }


def manifest_key(files: int, mb: int, seed: int) -> dict[str, int]:
    return {"version": VERSION, "files": files, "mb": mb, "seed": seed}


def up_to_date(out: Path, key: dict[str, int]) -> dict[str, object] | None:
    """The manifest when the set there was made with these parameters and is complete."""
    try:
        manifest = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("key") != key:
        return None
    for name, size in manifest.get("members", {}).items():
        p = out / name
        if not p.is_file() or p.stat().st_size != size:
            return None
    return manifest


def ensure(
    files: int,
    mb: int,
    out: Path | None = None,
    seed: int = 1,
    compressor: str = "auto",
    level: int = 6,
    force: bool = False,
    quiet: bool = False,
) -> tuple[Path, dict[str, object]]:
    """Make the set unless an identical one is there already; return its directory and manifest."""
    out = out or default_out(files, mb)
    key = manifest_key(files, mb, seed)
    if not force:
        manifest = up_to_date(out, key)
        if manifest is not None:
            if not quiet:
                print(f"gen_bigset: {out} is up to date ({manifest['lines']:,} lines); --force to remake it")
            return out, manifest
    kind = pick_compressor(compressor)
    if not quiet:
        print(f"gen_bigset: writing {files} x {mb} MiB into {out} (compressor: {kind}) ...", flush=True)
    t0 = time.monotonic()
    info = generate(files, mb, out, seed, kind, level)
    elapsed = time.monotonic() - t0
    members = {p.name: p.stat().st_size for p in sorted(out.glob(f"{LIVE}*"))}
    manifest = {
        "key": key,
        "compressor": kind,
        "level": level,
        "generation_seconds": round(elapsed, 1),
        "members": members,
        **info,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if not quiet:
        on_disk = sum(members.values())
        print(
            f"gen_bigset: {info['lines']:,} lines, {info['uncompressed_bytes'] / 2**20:,.0f} MiB uncompressed, "
            f"{on_disk / 2**20:,.0f} MiB on disk, {info['log_seconds']:,} s of log time, in {elapsed:.1f} s"
        )
    return out, manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--files", type=int, default=7, help="members: the live file and FILES-1 archives (7)")
    ap.add_argument("--mb", type=int, default=100, help="size of each member before compression, MiB (100)")
    ap.add_argument("--out", type=Path, default=None, help="directory (bench/data/bigset, or bigset-FxM)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--compressor",
        choices=["auto", "gzip", "zlib", "isal"],
        default="auto",
        help="auto: `gzip -6 -n` in a subprocess when gzip is installed, else zlib",
    )
    ap.add_argument("--level", type=int, default=6, help="gzip level (6, logrotate's default; isal stops at 3)")
    ap.add_argument("--force", action="store_true", help="regenerate even when the set is up to date")
    args = ap.parse_args(argv)
    if args.files < 1 or args.mb < 1:
        print("gen_bigset: --files and --mb must be at least 1", file=sys.stderr)
        return 2
    try:
        ensure(args.files, args.mb, args.out, args.seed, args.compressor, args.level, args.force)
    except (OSError, RuntimeError) as exc:
        print(f"gen_bigset: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
