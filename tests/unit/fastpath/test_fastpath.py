"""The batch fast path (C scanner) gives exactly the per-line reference path's `-b --json` document."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execlog_tui.core import fastpath
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.windows import duration_bin

from .helpers import BASE, both, feed_both, feed_both_state, gen_lines, make_line, write_set

pytestmark = pytest.mark.skipif(not fastpath.available(), reason="C scanner not built (pip install -e .)")

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("seed", range(12))
def test_generated_logs_engine_level(seed: int) -> None:
    a, b, sa, sb = feed_both(gen_lines(seed, 2500))
    assert a == b
    assert sa == sb


@pytest.mark.parametrize("seed", range(12))
def test_generated_logs_bucket_state(seed: int) -> None:
    """Bucket by bucket, floats compared by repr: sums in the reference's order."""
    a, b = feed_both_state(gen_lines(seed, 2500))
    assert a == b


def test_fractional_then_integer_durations_in_one_second() -> None:
    lines = []
    for s in range(300):
        t = BASE + s * 1000
        lines.append(f"{_iso(t + 1)}|API|CALL|0.{s % 10}{s % 7}|SUCCESS|")
        lines += [f"{_iso(t + 2 + i)}|API|CALL|{(s * 7 + i) % 13}|SUCCESS|" for i in range(5)]
    a, b = feed_both_state(lines)
    assert a == b


@pytest.mark.parametrize("seed", range(6))
def test_generated_logs_with_until(seed: int) -> None:
    lines = gen_lines(100 + seed, 2000)
    rng = random.Random(seed)
    until = BASE + rng.randint(0, 400_000)
    a, b, sa, sb = feed_both(lines, until)
    assert a == b
    assert sa == sb


def test_runs_are_really_taken_by_the_scanner() -> None:
    """The fast path is not the reference in disguise: plain lines become runs, not special lines."""
    lines = [f"{_iso(BASE + 10 * i)}|ROUTING|DECIDE|3|SUCCESS|ok" for i in range(1, 2000)]
    lines = [f"{BASE // 1000}"] + lines  # a parse error first: harmless
    engine = MetricsEngine()
    feeder = fastpath.FastFeeder(engine)
    calls = {"feed_lines": 0}
    original = engine.feed_lines

    def counting(batch, until=None):  # noqa: ANN001, ANN202
        calls["feed_lines"] += len(batch)
        return original(batch, until)

    engine.feed_lines = counting  # type: ignore[method-assign]
    feeder.feed_block("\n".join(lines).encode())
    assert engine.entries == 1999
    assert calls["feed_lines"] < 20  # the first entry of a new component, the parse error


def test_half_open_breaker_is_closed_by_the_next_completed_operation() -> None:
    """Three errors open API's inferred breaker; 30 s later it is HALF_OPEN, and the very next
    completed API operation (inside a run of plain lines) must close it at its own time."""
    lines = []
    t = BASE
    for i in range(3):
        lines.append(f"{_iso(t + i * 100)}|API|CALL|5|FAILURE|x")
    t += 30_500
    for i in range(200):
        lines.append(f"{_iso(t + i * 3)}|ROUTING|DECIDE|2|SUCCESS|ok")
        if i == 77:
            lines.append(f"{_iso(t + i * 3)}|API|CALL|4|SUCCESS|ok")
    a, b, _, _ = feed_both(lines)
    assert a == b
    assert '"since": "2025-09-09T10:00:30.731Z"' in a


def test_fractional_durations_keep_the_reference_float_sums() -> None:
    lines = []
    for i in range(500):
        lines.append(f"{_iso(BASE + i * 7)}|API|CALL|{'0.1' if i % 9 == 0 else '3'}|SUCCESS|")
    a, b, _, _ = feed_both(lines)
    assert a == b


def test_histogram_bins_match_duration_bin() -> None:
    bounds = fastpath.bin_bounds()
    rng = random.Random(1)
    values = [100, 101, 102, 103, 999, 1000, 999_999_999] + [rng.randint(100, 999_999_999) for _ in range(3000)]
    values += bounds + [b - 1 for b in bounds[1:]]
    for d in values:
        j = max(i for i, b in enumerate(bounds) if b <= d)
        assert 100 + j == duration_bin(float(d)), d


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2500), st.integers(0, 10_000)), min_size=1, max_size=120),
    st.integers(0, 2**31),
)
def test_hypothesis_logs(steps: list[tuple[int, int, int]], seed: int) -> None:
    rng = random.Random(seed)
    t = BASE
    lines = []
    for kind, step, extra in steps:
        if kind == 0:
            t += step
        elif kind == 1:
            t = (t // 1000 + 1) * 1000
        elif kind == 2:
            lines.append(make_line(rng, t - extra))  # late
            continue
        else:
            t += extra * 10
        lines.append(make_line(rng, t))
    until = t - rng.randint(0, 3000) if seed % 3 == 0 else None
    a, b, sa, sb = feed_both(lines, until)
    assert a == b
    assert sa == sb


# ------------------------------------------------------------------------------------ real files
@pytest.mark.parametrize("seed", range(4))
def test_rotated_sets_on_disk(tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = gen_lines(200 + seed, 6000)
    chunks = [lines[:1500], lines[1500:3000], lines[3000:4500], lines[4500:]]
    d = write_set(tmp_path / "set", chunks, crlf=seed % 2 == 1)
    fast, ref = both([d], monkeypatch)
    assert fast == ref


def test_long_lines_are_cut_the_same_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    lines = gen_lines(7, 3000)
    for i in range(0, 3000, 400):
        lines[i] = lines[i] + " " + "z" * rng.randint(150, 2000)
    d = write_set(tmp_path / "set", [lines[:1000], lines[1000:2000], lines[2000:]])
    fast, ref = both([d], monkeypatch, line_limit=300)
    assert fast == ref
    assert "cut at 300 bytes" in fast[0]


def test_damaged_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = gen_lines(11, 4000)
    d = write_set(tmp_path / "set", [lines[:2000], lines[2000:3000], lines[3000:]])
    gz = d / "execution.log.2.gz"
    gz.write_bytes(gz.read_bytes()[:-200])
    fast, ref = both([d], monkeypatch)
    assert fast == ref
    assert "truncated gzip" in fast[0] or "damaged" in fast[0]


def test_several_gzip_members_and_empty_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = gen_lines(12, 3000)
    d = write_set(tmp_path / "set", [lines[:1000], lines[1000:2000], lines[2000:]])
    a = "\n".join(lines[:500]) + "\n"
    b = "\n".join(lines[500:1000]) + "\n"
    (d / "execution.log.2.gz").write_bytes(gzip.compress(a.encode()) + gzip.compress(b.encode()))
    (d / "execution.log.3.gz").write_bytes(gzip.compress(b""))
    fast, ref = both([d], monkeypatch)
    assert fast == ref


@pytest.mark.parametrize("at", [None, "2025-09-09T10:04:00.200Z", "2025-09-09T10:04:30.002Z", "10:00:01"])
def test_seed_sample(at: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    from execlog_tui.core.timefmt import parse_user_time

    path = ROOT / "sample_logs" / "seed_sample.log"
    until = parse_user_time(at, 1_757_412_300_000) if at else None
    fast, ref = both([path], monkeypatch, until=until)
    assert fast == ref


@pytest.mark.parametrize("until_offset", [None, 0, 1, 2, 3])
def test_sample_rotated_set(until_offset: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    d = ROOT / "sample_logs" / "rotated"
    until = None
    if until_offset is not None:
        (doc, _), _ = both([d], monkeypatch)
        import json

        src = json.loads(doc)["source"]
        from execlog_tui.core.timefmt import parse_timestamp

        first, last = parse_timestamp(src["first"]), parse_timestamp(src["last"])
        until = first + (last - first) * until_offset // 4 + 17
    fast, ref = both([d], monkeypatch, until=until)
    assert fast == ref


def _iso(ms: int) -> str:
    from execlog_tui.core.timefmt import format_ts

    return format_ts(ms)  # type: ignore[return-value]


GARBAGE = [
    "garbage",
    "no separators at all, just text 12345",
    "a|b|c|d|e",  # five fields: one short
    "x|2025-09-09T10:00:00Z|A|B|1|S|d",  # six fields, no timestamp first
    " 2025-09-09T10:00:00Z|API|CALL|1|SUCCESS|leading space",
    "2025-09-09 10:00:00Z|A|B|1|S|d",
    "caf\u00e9|\u2603",
    "   ",  # blank: ignored, not an error
    "\x1c\x1d",  # white space to Python: blank too
    "\u00a0",
    "",
    "\xff\xfe",  # replacement characters only
    "2025-09-09T10:00:00Z|API|CALL|-1|SUCCESS|bad duration",  # a timestamp first: the scanner decides
]


def test_invalid_lines_are_counted_in_bulk_as_the_reference_counts_them() -> None:
    """Runs of lines that cannot be entries are counted without going line by line through the
    per-line path (the cause of invalid lines being 60 times slower than valid ones), with the same
    counts as the reference."""
    rng = random.Random(5)
    lines: list[str] = []
    for i in range(4000):
        if rng.random() < 0.8:
            lines.append(rng.choice(GARBAGE))
        else:
            lines.append(f"{_iso(BASE + 10 * i)}|ROUTING|DECIDE|3|SUCCESS|ok")
    fast_doc, ref_doc, _, _ = feed_both(lines)
    assert fast_doc == ref_doc
    engine = MetricsEngine()
    feeder = fastpath.FastFeeder(engine)
    calls = {"feed_lines": 0}
    original = engine.feed_lines

    def counting(batch, until=None):  # noqa: ANN001, ANN202
        calls["feed_lines"] += len(batch)
        return original(batch, until)

    engine.feed_lines = counting  # type: ignore[method-assign]
    feeder.feed_block(("\n".join(lines) + "\n").encode("utf-8", errors="surrogateescape"))
    reference = MetricsEngine()
    reference.feed_lines(lines)
    assert engine.parse_errors == reference.parse_errors > 2000
    assert engine.entries == reference.entries
    # Only the lines the bulk count leaves (blank-looking ones, those starting with a timestamp) go one by one.
    assert calls["feed_lines"] < 0.4 * len(lines)


_TOKEN_CHARS = st.sampled_from(
    ["A", "z", "_", "!", "~", "|", " ", "\t", "\x00", "\x1f", "\x7f", "\x80", "\u00e9", "\u6f22"]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["API", "CACHE", "ROUTING"]),
            st.one_of(
                st.text(_TOKEN_CHARS, max_size=20),
                st.sampled_from(["h\u0131t", "m\u0131ss", "HIT", "LOOKUP_A_LONG_ONE"]),
            ),
            st.text(_TOKEN_CHARS, max_size=20),
            # Non-ASCII letters that Python's upper() turns into ASCII ones (ſ -> S, ı -> I): the reference
            # reads "ſuccess" as SUCCESS and "hıt" as HIT, so the scanner must hand such lines over.
            st.sampled_from(["SUCCESS", "success", "INFO", "FAILURE", "SUCCESS_TOO_LONG_A", "OK", "\u017fuccess"]),
            st.integers(0, 2),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_odd_bytes_in_the_fields_are_judged_as_the_reference_judges_them(
    rows: list[tuple[str, str, str, str, int]],
) -> None:
    """The scanner reads a token eight bytes at a time: a separator, a control or DEL byte, a space or a
    non-ASCII character anywhere in a component, action or status (before or after the eighth byte, or
    right at it) makes the same line, entry or parse error that the per-line reference makes of it."""
    lines = []
    for i, (comp, action, pad, status, where) in enumerate(rows):
        ts = _iso(BASE + 7 * i)
        fields = [comp, "CALL", status]
        fields[where] = (fields[where] + pad) if i % 2 else (pad + fields[where])
        lines.append(f"{ts}|{fields[0]}|{action or 'OP'}|{i % 50}|{fields[2]}|i={i}")
        lines.append(f"{ts}|{fields[0]}|{fields[1]}|{i % 50}|{fields[2]}|i={i}")
    a, b, sa, sb = feed_both(lines)
    assert a == b
    assert sa == sb
