"""Write the deterministic sample log set (sample_logs/rotated/) with scripted incidents at fixed log times."""

from __future__ import annotations

import argparse
import gzip
import math
import random
import sys
from calendar import timegm
from dataclasses import dataclass, field
from pathlib import Path
from time import gmtime

# Everything below is fixed so that a rerun writes byte-identical files: one seeded Random, a fixed
# start time, gzip headers without a name and with mtime 0. Lines are written here, not by the
# project's writer, so the samples do not change when the writer does.
# The seed was picked (by trying a few) so that each scripted alert fires once and resolves once and
# nothing fires by chance; tests/unit/samples checks that with a reference computation.
SEED = 20250923
START_MS = timegm((2025, 9, 9, 8, 0, 0, 0, 0, 0)) * 1000  # 2025-09-09T08:00:00Z
END_MS = START_MS + 88 * 60 * 1000  # 09:28:00Z
ROTATE_BYTES = 300_000  # rotation by size, like the seed's writer (100MB there, scaled down)
ARCHIVES = 4  # execution.log.1 (plain: delaycompress) and .2.gz ... .4.gz
LIVE = "execution.log"
ROTATE_DETAILS = "Log rotated"


def hms(h: int, m: int, s: float) -> int:
    """Epoch ms of a time of day on 2025-09-09 (UTC)."""
    return START_MS + ((h - 8) * 3600 + m * 60) * 1000 + round(s * 1000)


def fmt_ts(ms: int) -> str:
    t = gmtime(ms // 1000)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{ms % 1000:03d}Z"
    )


def line(ms: int, component: str, action: str, duration: float, status: str, details: str) -> str:
    d = f"{duration:.1f}" if duration != int(duration) else str(int(duration))
    return f"{fmt_ts(ms)}|{component}|{action}|{d}|{status}|{details}"


# --- incident schedule (log times); the README lists the same times ------------------------------

API_BURST_START = hms(8, 23, 10)
# Offsets (s) of API errors from API_BURST_START; the third (5.900 s) opens the inferred breaker.
API_BURST = [
    (0.120, "FAILURE", 342, "GET /v1/weather 503 from upstream"),
    (2.480, "TIMEOUT", 2000, "GET /v1/weather timed out after 2000ms"),
    (5.900, "FAILURE", 318, "GET /v1/calendar 503 from upstream"),
]
# After the breaker opens the calls keep failing (nothing in the application stops them: the breaker
# is only inferred by the monitor), about one a second for another half minute.
_BURST_RNG = random.Random(20250910)
for _i in range(26):
    _off = 6.0 + _i * 23.5 / 26 + _BURST_RNG.uniform(0.05, 0.8)
    if _BURST_RNG.random() < 0.3:
        API_BURST.append((round(_off, 3), "TIMEOUT", 2000, "GET /v1/news timed out after 2000ms"))
    else:
        API_BURST.append((round(_off, 3), "FAILURE", _BURST_RNG.randint(260, 360), "GET /v1/weather 503 from upstream"))
API_RECOVERY_MS = hms(8, 23, 48.250)  # first API operation after the inferred HALF_OPEN (08:23:45.900)
API_QUIET = (API_BURST_START - 15_000, API_RECOVERY_MS)  # no background API traffic in here

CACHE_CYCLE = [
    (hms(8, 35, 20.000), "FAILURE", 5, "ERROR", "Cache operation failed"),
    (hms(8, 35, 20.350), "FAILURE", 4, "ERROR", "Cache operation failed"),
    (hms(8, 35, 21.020), "FAILURE", 6, "ERROR", "Cache operation failed"),
    (hms(8, 35, 21.021), "CIRCUIT_OPEN", 0, "WARNING", "Circuit breaker opened"),
    (hms(8, 35, 51.021), "CIRCUIT_TEST", 2, "INFO", "Testing circuit breaker"),
    (hms(8, 35, 51.400), "FAILURE", 7, "ERROR", "Cache operation failed during test"),
    (hms(8, 35, 51.401), "CIRCUIT_OPEN", 0, "WARNING", "Circuit breaker remains open"),
    (hms(8, 36, 21.401), "CIRCUIT_TEST", 2, "INFO", "Testing circuit breaker"),
    (hms(8, 36, 21.405), "CIRCUIT_CLOSE", 0, "SUCCESS", "Circuit breaker closed"),
]
CACHE_QUIET = (hms(8, 35, 20), hms(8, 36, 21.405))  # cache bypassed: no background CACHE traffic

DEGRADED_LOW = (hms(8, 47, 0), hms(8, 51, 0))  # lookups hit only 35 % of the time in here
DEGRADED_ENTER_MS = hms(8, 47, 45)
DEGRADED_LEAVE_MS = hms(8, 52, 5)

MEMORY_CLIMB = (hms(8, 55, 0), hms(9, 4, 0))  # rss_mb climbs from 56 to 124 (samples every 10 s)
MEMORY_EVICT_MS = hms(9, 4, 5)
CLIMB_FROM, CLIMB_TO = 56.0, 124.0

CRITICAL_MS = hms(9, 12, 4.512)
TORN_LINE_MS = hms(9, 12, 4.990)
SHUTDOWN_MS = hms(9, 12, 5.000)
RESTART_MS = hms(9, 12, 11.000)  # process start; BOOTSTRAP START 20 ms later
BOOT_START_MS = RESTART_MS + 20
BOOT_STEPS = [("CORE", 112), ("PARALLEL", 198), ("VALIDATE", 143)]  # COMPLETE = 467 ms in all
DOWN = (SHUTDOWN_MS + 1, BOOT_START_MS + 467 + 1)  # no background traffic while the process is down

MALFORMED = [
    (hms(8, 17, 42.118), "2025-09-09T08:17:42.118Z|TEMPLATE|RENDER|3"),  # 4 fields: a torn write
    (hms(8, 44, 10.001), "2025-09-09 08:44:10.001|ROUTING|DECIDE|2|SUCCESS|tool=calendar route=fast"),
    (TORN_LINE_MS, "2025-09-09T09:12:04.9"),  # half a timestamp, written as the process died
]


# --- background traffic ----------------------------------------------------------------------------

TOOLS = ["weather_lookup", "calendar", "news", "reminders", "smart_home", "music", "timer", "search"]
TEMPLATES = [
    "template_greeting",
    "user_pref",
    "weather_card",
    "calendar_day",
    "news_digest",
    "timer_set",
    "music_queue",
    "search_results",
    "reminder_list",
]
ENDPOINTS = ["/v1/weather", "/v1/calendar", "/v1/news", "/v1/music", "/v1/search"]
PATTERNS = ["git_workflow", "morning_briefing", "evening_music", "commute_check", "weekly_review"]
USERS = [f"u{i}" for i in range(1, 9)]


@dataclass
class Sim:
    rng: random.Random
    events: list[tuple[int, int, str]] = field(default_factory=list)
    seq: int = 0
    last_error: dict[str, int] = field(default_factory=dict)
    miss_credit: float = 0.0
    miss_threshold: float = 1.0

    def add(self, ms: int, text: str) -> None:
        # seq keeps the order of lines written in the same millisecond
        self.events.append((ms, self.seq, text))
        self.seq += 1

    def emit(self, ms: int, component: str, action: str, duration: float, status: str, details: str) -> None:
        self.add(ms, line(ms, component, action, duration, status, details))

    def may_fail(self, component: str, ms: int, p: float) -> bool:
        """A rare background error; at most one a minute per component, so background noise never
        trips an inferred breaker (3 errors in 10 s): only the scripted incidents do."""
        if self.rng.random() >= p or ms - self.last_error.get(component, -(10**12)) < 60_000:
            return False
        self.last_error[component] = ms
        return True


def in_range(ms: int, span: tuple[int, int]) -> bool:
    return span[0] <= ms <= span[1]


def request(sim: Sim, t: int) -> None:
    """One user request: routing, profile, cache lookup, maybe an external call, rendering."""
    rng = sim.rng
    tool = rng.choice(TOOLS)
    user = rng.choice(USERS)
    d = rng.randint(1, 4)
    sim.emit(t, "ROUTING", "DECIDE", d, "SUCCESS", f"tool={tool} route={'fast' if d < 3 else 'full'}")
    t += d
    if rng.random() < 0.4:
        d = rng.randint(2, 9)
        if sim.may_fail("FAMILY", t, 0.01):
            sim.emit(t + d, "FAMILY", "PROFILE", d, "FAILURE", f"user={user} profile store unavailable")
        else:
            sim.emit(t + d, "FAMILY", "PROFILE", d, "SUCCESS", f"user={user} profile loaded prefs={rng.randint(3, 30)}")
        t += d
    if rng.random() < 0.08:
        d = rng.randint(1, 6)
        sim.emit(t + d, "SECURITY", "AUTH", d, "SUCCESS", f"user={user} token verified")
        t += d
    cache_ok = not in_range(t, CACHE_QUIET)
    if cache_ok:
        key = rng.choice(TEMPLATES)
        sim.emit(t, "CACHE", "LOOKUP", 1, "INFO", f"Looking for {key}")
        t += 1
        p_hit = 0.35 if in_range(t, DEGRADED_LOW) else 0.9
        # Misses are spread out (error diffusion with a jittered threshold) rather than drawn one by
        # one: a hit rate that wobbles by chance would trip the 70 % alert outside the scripted spell.
        sim.miss_credit += 1.0 - p_hit
        if sim.miss_credit < sim.miss_threshold:
            tier = "L1" if rng.random() < 0.8 else "L2"
            sim.emit(t, "CACHE", "HIT", 0, "SUCCESS", f"{tier} cache hit")
        else:
            sim.miss_credit -= sim.miss_threshold
            sim.miss_threshold = rng.uniform(0.6, 1.4)
            sim.emit(t + 1, "CACHE", "MISS", 0, "INFO", "Cache miss all tiers")
            d = rng.randint(8, 45)
            sim.emit(t + 1 + d, "CACHE", "FETCH", d, "SUCCESS", "Fetched from source")
            sim.emit(t + 3 + d, "CACHE", "UPDATE", 2, "SUCCESS", "Updated L1 and L2")
            t += 3 + d
            if rng.random() < 0.03:
                sim.emit(t + 1, "CACHE", "EVICT", 1, "INFO", "Cache eviction triggered tier=L1 policy=LRU")
    else:
        sim.emit(t, "CACHE", "BYPASS", 0, "SKIPPED", "Circuit open, cache bypassed")
    api = (not cache_ok) or rng.random() < 0.3
    if api and not in_range(t, API_QUIET):
        d = round(rng.lognormvariate(math.log(140), 0.45))
        ep = rng.choice(ENDPOINTS)
        if sim.may_fail("API", t, 0.01):
            sim.emit(t + d, "API", "CALL", d, "FAILURE", f"GET {ep} 500 from upstream")
        elif rng.random() < 0.01:
            sim.emit(t + d, "API", "CALL", d, "RETRY", f"GET {ep} 429 rate limited, retrying")
        else:
            sim.emit(t + d, "API", "CALL", d, "SUCCESS", f"GET {ep} 200")
        t += d
    d = rng.randint(1, 6)
    if sim.may_fail("TEMPLATE", t, 0.005):
        sim.emit(t + d, "TEMPLATE", "RENDER", d, "FAILURE", "Missing variable: user.name")
    elif rng.random() < 0.01:
        sim.emit(t + d, "TEMPLATE", "RENDER", d, "DEGRADED", "Rendered plain-text fallback")
    else:
        sim.emit(t + d, "TEMPLATE", "RENDER", d, "SUCCESS", f"Rendered in {d}ms")
    if rng.random() < 0.04:
        t += d
        sim.emit(t + 5, "MEMORY", "DETECT", 5, "INFO", f"Pattern: {rng.choice(PATTERNS)}")
        sim.emit(t + 8, "MEMORY", "MATCH", 3, "SUCCESS", f"Pattern matched {rng.randint(2, 9)} times")
        if rng.random() < 0.5:
            sim.emit(t + 18, "MEMORY", "LEARN", 10, "SUCCESS", "Pattern learned")
            sim.emit(t + 23, "MEMORY", "PERSIST", 5, "SUCCESS", "Saved to long-term")
        else:
            sim.emit(t + 9, "MEMORY", "LEARN", 0, "SKIPPED", "Pattern already known")


def rss_at(sim: Sim, ms: int) -> float:
    """The process's resident memory in MB: a gentle wave, the scripted climb, a fresh start after the restart."""
    if in_range(ms, MEMORY_CLIMB):
        frac = (ms - MEMORY_CLIMB[0]) / (MEMORY_CLIMB[1] - MEMORY_CLIMB[0])
        return CLIMB_FROM + (CLIMB_TO - CLIMB_FROM) * frac
    if ms >= RESTART_MS:
        return 38.0 + (ms - RESTART_MS) / 60_000 * 0.6 + sim.rng.uniform(-0.4, 0.4)
    wave = 52.0 + 5.0 * math.sin((ms - START_MS) / 600_000 * math.pi)
    return wave + sim.rng.uniform(-1.5, 1.5)


def simulate(seed: int = SEED) -> list[tuple[int, str]]:
    """Every line of the set as (log time, text) in log-time order (rotation markers not yet added)."""
    sim = Sim(random.Random(seed))
    rng = sim.rng
    warned_90 = False
    for sec in range((END_MS - START_MS) // 1000):
        base = START_MS + sec * 1000
        if in_range(base, DOWN) or in_range(base + 999, DOWN):
            continue
        # Busier in the middle of the hour; a few requests a second at most in quiet spells.
        lam = 0.62 + 0.22 * math.sin(sec / 1800 * math.pi)
        n = 0
        threshold, p = math.exp(-lam), rng.random()
        while p > threshold:  # Knuth's Poisson draw
            n += 1
            p *= rng.random()
        for offset in sorted(rng.randrange(1000) for _ in range(n)):
            request(sim, base + offset)
        if sec % 10 == 0:
            rss = rss_at(sim, base)
            sim.emit(base, "MEMORY", "USAGE", 0, "INFO", f"rss_mb={rss:.1f} heap_mb={rss * 0.62:.1f}")
            if rss > 90 and not warned_90 and in_range(base, MEMORY_CLIMB):
                warned_90 = True
                sim.emit(
                    base + 1, "MEMORY", "LIMIT", 0, "WARNING", f"Memory limit approaching rss_mb={rss:.1f} limit_mb=100"
                )
        if sec % 60 == 30:
            sim.emit(
                base + 500, "PERF", "SAMPLE", 1, "INFO", f"cpu_pct={rng.randint(4, 35)} threads={rng.randint(8, 14)}"
            )
        if sec % 300 == 150:
            sim.emit(base + 250, "SYSTEM", "HEALTH", 2, "DEBUG", "Health check ok")
    # Scripted incidents.
    for off, status, dur, details in API_BURST:
        sim.emit(API_BURST_START + round(off * 1000), "API", "CALL", dur, status, details)
    sim.emit(API_RECOVERY_MS, "API", "CALL", 143, "SUCCESS", "GET /v1/weather 200")
    for ms, action, dur, status, details in CACHE_CYCLE:
        sim.emit(ms, "CACHE", action, dur, status, details)
    sim.emit(
        DEGRADED_ENTER_MS,
        "SYSTEM",
        "DEGRADE",
        0,
        "WARNING",
        "Entering degraded mode: cache hit rate below 60%, non-essential features disabled",
    )
    sim.emit(DEGRADED_LEAVE_MS, "SYSTEM", "RECOVER", 0, "INFO", "Leaving degraded mode: cache hit rate recovered")
    sim.emit(MEMORY_EVICT_MS, "MEMORY", "EVICT", 35, "WARNING", "Aggressive eviction freed 68MB")
    sim.emit(MEMORY_EVICT_MS + 40, "MEMORY", "USAGE", 0, "INFO", "rss_mb=56.4 heap_mb=35.0")
    sim.emit(CRITICAL_MS, "SYSTEM", "WORKER_POOL", 5012, "CRITICAL", "Worker pool deadlocked for 5012ms; restarting")
    sim.emit(SHUTDOWN_MS, "SYSTEM", "SHUTDOWN", 0, "WARNING", "Shutting down for restart")
    sim.emit(RESTART_MS, "SYSTEM", "START", 0, "INFO", "Process started pid=48213")
    sim.emit(BOOT_START_MS, "BOOTSTRAP", "START", 0, "INFO", "Bootstrap sequence initiated")
    t = BOOT_START_MS
    for step, dur in BOOT_STEPS:
        t += dur
        text = {"CORE": "Core identity loaded", "PARALLEL": "6 threads completed", "VALIDATE": "All checks passed"}[
            step
        ]
        sim.emit(t, "BOOTSTRAP", step, dur, "SUCCESS", text)
    sim.emit(BOOT_START_MS + 467, "BOOTSTRAP", "COMPLETE", 467, "SUCCESS", "Ready in 467ms (cold cache)")
    for ms, raw in MALFORMED:
        sim.add(ms, raw)
    # Lines of one millisecond keep the order they were emitted in (seq), so incident lines stay in order.
    sim.events.sort()
    return [(ms, text) for ms, _seq, text in sim.events]


def rotate(timeline: list[tuple[int, str]]) -> list[list[str]]:
    """Split the timeline like a size-rotating writer: a new file (starting with a ROTATE entry) when
    the next line would push the current one past ROTATE_BYTES. The oldest file kept also begins
    with one: its predecessors have aged out."""
    files: list[list[str]] = []
    current: list[str] = []
    size = ROTATE_BYTES + 1  # forces a ROTATE line at the very start
    for ms, text in timeline:
        n = len(text.encode()) + 1
        if size + n > ROTATE_BYTES:
            if current:
                files.append(current)
            marker = line(ms, "SYSTEM", "ROTATE", 0, "INFO", ROTATE_DETAILS)
            current, size = [marker], len(marker) + 1
        current.append(text)
        size += n
    files.append(current)
    return files


def build(seed: int = SEED) -> dict[str, bytes]:
    """File name -> bytes for the whole set."""
    chunks = rotate(simulate(seed))
    if len(chunks) != ARCHIVES + 1:
        raise SystemExit(f"make_samples: expected {ARCHIVES + 1} files, the timeline gave {len(chunks)}")
    out: dict[str, bytes] = {}
    for age, chunk in enumerate(reversed(chunks)):  # age 0 = live
        data = ("\n".join(chunk) + "\n").encode()
        if age == 0:
            out[LIVE] = data
        elif age == 1:
            out[f"{LIVE}.1"] = data  # delaycompress: the newest archive stays plain
        else:
            out[f"{LIVE}.{age}.gz"] = gzip.compress(data, compresslevel=9, mtime=0)
    return out


def write(out_dir: Path) -> dict[str, bytes]:
    files = build()
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out_dir / name).write_bytes(data)
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "rotated",
        help="directory to write the set into (default: sample_logs/rotated)",
    )
    args = ap.parse_args(argv)
    files = write(args.out)
    for name in sorted(files, key=lambda n: (n != LIVE, n)):
        data = files[name]
        text = gzip.decompress(data) if name.endswith(".gz") else data
        lines = text.count(b"\n")
        first = text.split(b"\n", 1)[0][:24].decode()
        last = text.rstrip(b"\n").rsplit(b"\n", 1)[-1][:24].decode()
        print(f"{name:22} {len(data):8d} bytes {lines:6d} lines  {first} .. {last}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
