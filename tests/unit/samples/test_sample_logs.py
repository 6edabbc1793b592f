"""The committed sample logs: reproducible, well-formed, and with their incidents where the README says."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from collections import defaultdict, deque
from pathlib import Path

import pytest

from execlog_tui.core.entry import Entry, ParseError, is_completed, is_error
from execlog_tui.core.parser import parse_line
from execlog_tui.core.timefmt import format_ts, parse_timestamp

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "sample_logs"
ROTATED = SAMPLES / "rotated"
SCRIPT = SAMPLES / "make_samples.py"
# Oldest first: the order a reader must follow.
MEMBERS = ["execution.log.4.gz", "execution.log.3.gz", "execution.log.2.gz", "execution.log.1", "execution.log"]


def make(out: Path) -> None:
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=True, capture_output=True, timeout=60)


def text_of(path: Path) -> str:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8")


def read_set(directory: Path) -> tuple[list[Entry], list[ParseError]]:
    entries: list[Entry] = []
    errors: list[ParseError] = []
    for name in MEMBERS:
        for raw in text_of(directory / name).split("\n"):
            parsed = parse_line(raw)
            if isinstance(parsed, Entry):
                entries.append(parsed)
            elif isinstance(parsed, ParseError):
                errors.append(parsed)
    return entries, errors


@pytest.fixture(scope="module")
def committed() -> tuple[list[Entry], list[ParseError]]:
    return read_set(ROTATED)


def ts(text: str) -> int:
    value = parse_timestamp(text)
    assert value is not None
    return value


# --- reproducibility --------------------------------------------------------------------------------


def test_regenerates_byte_identically(tmp_path: Path) -> None:
    make(tmp_path / "a")
    make(tmp_path / "b")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(MEMBERS)
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
        generated = tmp_path / "a" / name
        if name.endswith(".gz"):
            # Compressed bytes may differ with another zlib build; the content may not.
            assert text_of(generated) == text_of(ROTATED / name), f"{name} differs from the committed file"
        else:
            assert generated.read_bytes() == (ROTATED / name).read_bytes(), f"{name} differs from the committed file"


# --- well-formed members ------------------------------------------------------------------------------


def test_members_are_valid_and_start_with_rotate() -> None:
    total = 0
    for name in MEMBERS:
        path = ROTATED / name
        data = path.read_bytes()
        assert (data[:2] == b"\x1f\x8b") == name.endswith(".gz"), name
        text = text_of(path)
        assert text.endswith("\n")
        first = text.split("\n", 1)[0]
        assert re.fullmatch(r"\S+\|SYSTEM\|ROTATE\|0\|INFO\|Log rotated", first), (name, first)
        assert len(text.encode()) <= 300_000
        total += path.stat().st_size
    assert total < 2_000_000


def test_timeline_is_ordered_and_parse_errors_are_the_three_planted(committed) -> None:
    entries, errors = committed
    stamps = [e.ts for e in entries]
    assert stamps == sorted(stamps)
    assert format_ts(stamps[0]) == "2025-09-09T08:00:00.000Z"
    assert len(entries) > 15_000
    assert [e.raw for e in errors] == [
        "2025-09-09T08:17:42.118Z|TEMPLATE|RENDER|3",
        "2025-09-09 08:44:10.001|ROUTING|DECIDE|2|SUCCESS|tool=calendar route=fast",
        "2025-09-09T09:12:04.9",
    ]
    components = {e.component for e in entries}
    assert {
        "SYSTEM",
        "BOOTSTRAP",
        "CACHE",
        "MEMORY",
        "FAMILY",
        "ROUTING",
        "TEMPLATE",
        "API",
        "PERF",
        "SECURITY",
    } <= components
    cache_actions = {e.action for e in entries if e.component == "CACHE"}
    assert {"LOOKUP", "HIT", "MISS", "FETCH", "UPDATE"} <= cache_actions
    assert any(re.search(r"\buser=u\d+\b", e.details) for e in entries if e.component == "FAMILY")


def test_seed_sample_is_the_seeds_22_entries() -> None:
    lines = (SAMPLES / "seed_sample.log").read_text().splitlines()
    assert len(lines) == 22
    parsed = [parse_line(line) for line in lines]
    assert all(isinstance(p, Entry) for p in parsed)
    assert lines[0] == "2025-09-09T10:00:00.000Z|BOOTSTRAP|START|0|INFO|Bootstrap sequence initiated"
    assert lines[-1] == "2025-09-09T10:04:30.002Z|CACHE|CIRCUIT_CLOSE|0|SUCCESS|Service restored"


# --- the incidents, by a small reference computation -----------------------------------------------------


def test_scripted_entries_are_at_their_times(committed) -> None:
    entries, _ = committed
    at = {(format_ts(e.ts), e.component, e.action, e.status) for e in entries}
    for row in [
        ("2025-09-09T08:35:21.021Z", "CACHE", "CIRCUIT_OPEN", "WARNING"),
        ("2025-09-09T08:35:51.021Z", "CACHE", "CIRCUIT_TEST", "INFO"),
        ("2025-09-09T08:35:51.401Z", "CACHE", "CIRCUIT_OPEN", "WARNING"),
        ("2025-09-09T08:36:21.401Z", "CACHE", "CIRCUIT_TEST", "INFO"),
        ("2025-09-09T08:36:21.405Z", "CACHE", "CIRCUIT_CLOSE", "SUCCESS"),
        ("2025-09-09T08:23:48.250Z", "API", "CALL", "SUCCESS"),
        ("2025-09-09T08:47:45.000Z", "SYSTEM", "DEGRADE", "WARNING"),
        ("2025-09-09T08:52:05.000Z", "SYSTEM", "RECOVER", "INFO"),
        ("2025-09-09T09:04:05.000Z", "MEMORY", "EVICT", "WARNING"),
        ("2025-09-09T09:12:04.512Z", "SYSTEM", "WORKER_POOL", "CRITICAL"),
        ("2025-09-09T09:12:11.020Z", "BOOTSTRAP", "START", "INFO"),
        ("2025-09-09T09:12:11.487Z", "BOOTSTRAP", "COMPLETE", "SUCCESS"),
    ]:
        assert row in at, row
    boots = [e for e in entries if e.component == "BOOTSTRAP" and e.action == "COMPLETE"]
    assert [(format_ts(e.ts), e.duration_ms) for e in boots] == [("2025-09-09T09:12:11.487Z", 467.0)]
    assert [format_ts(e.ts) for e in entries if e.status == "CRITICAL"] == ["2025-09-09T09:12:04.512Z"]
    # API is quiet between the inferred HALF_OPEN (08:23:45.900) and the closing success.
    api = [
        e
        for e in entries
        if e.component == "API" and ts("2025-09-09T08:23:39.900Z") < e.ts < ts("2025-09-09T08:23:48.250Z")
    ]
    assert api == []
    # The process is down from the shutdown to the restart: no entries at all.
    gap = [e for e in entries if ts("2025-09-09T09:12:05.000Z") < e.ts < ts("2025-09-09T09:12:11.000Z")]
    assert gap == []


def test_only_the_scripted_incidents_trip_an_inferred_breaker(committed) -> None:
    entries, _ = committed
    errors: dict[str, list[int]] = defaultdict(list)
    trips: dict[str, str] = {}
    for e in entries:
        if is_error(e.status) and e.component not in trips:
            errs = errors[e.component]
            errs.append(e.ts)
            if len(errs) >= 3 and errs[-1] - errs[-3] <= 10_000:
                trips[e.component] = format_ts(e.ts)
    assert trips == {"API": "2025-09-09T08:23:15.900Z", "CACHE": "2025-09-09T08:35:21.020Z"}


def _spans(entries: list[Entry]) -> dict[str, list[tuple[str, str]]]:
    """When each 1m-window alert condition holds, evaluated as of every whole second (SPEC sections 3, 7):
    the window as of S.000 holds the entries from (S-59).000 to S.000."""
    window: deque[Entry] = deque()
    n = err = hit = miss = done = 0
    total_ms = 0.0
    mem: deque[tuple[int, float]] = deque()
    start: dict[str, int | None] = defaultdict(lambda: None)
    spans: dict[str, list[tuple[str, str]]] = defaultdict(list)
    # (first whole second the condition holds, first whole second it no longer holds)
    i = 0
    # A batch report's clock stops at the newest entry: the window never drains past the end of the log.
    first, last = entries[0].ts // 1000, entries[-1].ts // 1000
    for second in range(first, last + 1):
        now = second * 1000
        while i < len(entries) and entries[i].ts <= now:
            e = entries[i]
            i += 1
            window.append(e)
            n += 1
            err += is_error(e.status)
            hit += e.component == "CACHE" and e.action == "HIT"
            miss += e.component == "CACHE" and e.action == "MISS"
            if is_completed(e.component, e.status):
                done += 1
                total_ms += e.duration_ms
            m = re.search(r"\brss_mb=([0-9.]+)", e.details)
            if m:
                mem.append((e.ts, float(m.group(1))))
        while window and window[0].ts < now - 59_000:
            e = window.popleft()
            n -= 1
            err -= is_error(e.status)
            hit -= e.component == "CACHE" and e.action == "HIT"
            miss -= e.component == "CACHE" and e.action == "MISS"
            if is_completed(e.component, e.status):
                done -= 1
                total_ms -= e.duration_ms
        while mem and mem[0][0] < now - 59_000:
            mem.popleft()
        holds = {
            "error_rate > 5%": n > 0 and 100 * err / n > 5,
            "cache_hit_rate < 70%": hit + miss > 0 and 100 * hit / (hit + miss) < 70,
            "degraded (hit rate < 60%)": hit + miss > 0 and 100 * hit / (hit + miss) < 60,
            "memory_usage > 100MB": bool(mem) and mem[-1][1] > 100,
            "response_time > 200ms": done > 0 and total_ms / done > 200,
        }
        for name, on in holds.items():
            if on and start[name] is None:
                start[name] = now
            elif not on and start[name] is not None:
                spans[name].append((format_ts(start[name]), format_ts(now)))
                start[name] = None
    for name, since in start.items():
        if since is not None:
            spans[name].append((format_ts(since), "still holding"))
    return dict(spans)


def test_each_alert_fires_once_where_scripted_and_nowhere_else(committed) -> None:
    entries, _ = committed
    assert _spans(entries) == {
        "error_rate > 5%": [("2025-09-09T08:23:23.000Z", "2025-09-09T08:24:28.000Z")],
        "cache_hit_rate < 70%": [("2025-09-09T08:47:17.000Z", "2025-09-09T08:51:36.000Z")],
        "degraded (hit rate < 60%)": [("2025-09-09T08:47:23.000Z", "2025-09-09T08:51:26.000Z")],
        "memory_usage > 100MB": [("2025-09-09T09:00:50.000Z", "2025-09-09T09:04:06.000Z")],
    }
