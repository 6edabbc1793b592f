"""SPEC 12: a replay's checkpoints kept between runs. Every figure, breaker, alert and incident is the
same with no cache, a cold cache and a warm one; a hit reads less; what is damaged, stale, from the
future or of another file is not used."""

from __future__ import annotations

import gzip
import marshal
import os
import random
import shutil
import tempfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execlog_tui.cache.plans import CacheOptions
from execlog_tui.cache.replay import KIND, ReplayKeeper
from execlog_tui.core.config import Config
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.fastpath import new_feeder
from execlog_tui.core.parser import LINE_LIMIT, line_timestamp
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.core.timefmt import format_ts
from execlog_tui.replay.controller import ReplayController
from execlog_tui.sources.logset import discover
from tests.unit.cache.test_cache_agreement import CONFIGS, WALL, write_rotated
from tests.unit.replay.test_replay_property import T0, logs

EVERY = 20_000  # checkpoints every 20 s of log time: the generated sets span minutes


def controller(d: Path, cache: Path | None, config: Config | None = None, **kw: object) -> ReplayController:
    options = CacheOptions(directory=str(cache)) if cache is not None else None
    args: dict = {"wall_ms": WALL, "checkpoint_every_ms": EVERY, "ring_capacity": 500, **kw}
    return ReplayController(discover([str(d)]), config or Config(), cache=options, **args)


def observed(c: ReplayController) -> dict:
    return snapshot_to_json(c.engine.snapshot())


def incidents(c: ReplayController) -> list[tuple[int, str, str, int]]:
    return [(i.ts, i.kind, i.name, i.count) for i in c.incidents]


def targets(d: Path) -> list[int]:
    """Forward into the newest archive, back to the start, into each member, at and after the end."""
    members = discover([str(d)])[0].members
    firsts = [m.first_ts for m in members if m.first_ts is not None]
    out = [firsts[-1] - 30_000] if firsts else []
    out += [T0 - 1]
    out += [f + 700 for f in firsts]
    out += [T0 + 40 * 60_000, 1 << 62, T0 + 90_000]
    return out


def item_paths(d: Path, cache: Path, config: Config | None = None) -> list[Path]:
    """The store's files for the set's archives, oldest first (whether they exist or not)."""
    keeper = ReplayKeeper.open(
        CacheOptions(directory=str(cache)),
        discover([str(d)])[0].members,
        config=config or Config(),
        line_limit=LINE_LIMIT,
        checkpoint_every_ms=EVERY,
        fast=new_feeder(MetricsEngine()) is not None,
    )
    assert keeper is not None
    keys = [keeper.item_key(j) for j in range(len(keeper.archives))]
    return [keeper.store.item_path(KIND, k) for k in keys if k is not None]


def agree(
    d: Path, cache: Path, config: Config, seeks: list[int], **kw: object
) -> tuple[ReplayController, ReplayController]:
    """No cache against the cache (cold or warm) along `seeks`: the same engine at every step, no
    incident the no-cache run knows unknown to the other, and the same incidents at the end."""
    ref, other = controller(d, None, config, **kw), controller(d, cache, config, **kw)
    for t in seeks:
        assert ref.seek(t) == other.seek(t)
        assert observed(ref) == observed(other), t
        known = {i for i in incidents(other)}
        assert all(i in known for i in incidents(ref) if i[1] != "parse"), t  # a burst may count more
    ref.seek(1 << 62)
    other.seek(1 << 62)
    assert ref.complete and other.complete
    assert observed(ref) == observed(other)
    assert incidents(ref) == incidents(other)
    return ref, other


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=logs(),
    cuts=st.lists(st.integers(0, 400), min_size=1, max_size=4),
    first=st.sampled_from(sorted(CONFIGS)),
    then=st.sampled_from(sorted(CONFIGS)),
    fast=st.booleans(),
)
def test_no_cache_cold_and_warm_agree(lines: list[str], cuts: list[int], first: str, then: str, fast: bool) -> None:
    kw: dict = {"fast": fast, "checkpoint_every_ms": 5_000}  # a checkpoint every 5 s: several in an archive
    with tempfile.TemporaryDirectory() as tmp:
        d, cache = Path(tmp) / "logs", Path(tmp) / "cache"
        d.mkdir()
        write_rotated(d, lines, cuts)
        seeks = targets(d)
        archives = len(list(d.glob("*.gz")))
        # A first run that jumps into the newest archive and ends there: the archives before it are
        # kept whole, what it has of that one as a partial segment.
        part = controller(d, cache, CONFIGS[first], **kw)
        part.seek(seeks[0])
        part.close()
        assert part.kept_archives == 0 and part.stored_archives <= archives
        _, cold = agree(d, cache, CONFIGS[first], seeks, **kw)
        assert cold.kept_archives == part.stored_archives
        assert cold.kept_archives + cold.stored_archives == archives
        # Warm under the other configuration (a miss, then kept for it too), warm under the first.
        _, other = agree(d, cache, CONFIGS[then], seeks, **kw)
        assert other.kept_archives == (archives if then == first else 0)
        _, warm = agree(d, cache, CONFIGS[first], seeks, **kw)
        assert warm.kept_archives == archives and warm.stored_archives == 0
        # Once more, the first jump far ahead made at once from the kept checkpoints.
        ref = controller(d, None, CONFIGS[first], **kw)
        warm = controller(d, cache, CONFIGS[first], **kw)
        assert warm.kept_archives == archives
        for c in (ref, warm):
            c.seek(seeks[0])
        assert observed(ref) == observed(warm)


def big_lines(n: int, seed: int, t: int = T0) -> list[str]:
    """A few minutes of log a thousand lines at a time: breakers, parse errors, late lines."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        t += rng.choice((0, 5, 20, 200, 400))
        comp = rng.choice(("API", "DB", "CACHE", "AUTH"))
        stamp = format_ts(t)
        r = rng.random()
        if r < 0.01:
            out.append(f"{stamp}|{comp}|CALL|5|FAILURE|boom")
        elif r < 0.012:
            out.append("garbage")
        elif r < 0.015:
            out.append(f"{format_ts(t - 5000)}|{comp}|CALL|3|SUCCESS|late")
        elif r < 0.02:
            out.append(f"{stamp}|MEMORY|USAGE|0|INFO|rss_mb={rng.randint(40, 120)}")
        else:
            out.append(f"{stamp}|{comp}|CALL|{rng.randint(0, 300)}|SUCCESS|ok i={i}")
    return out


def write_big(d: Path) -> list[str]:
    """execution.log.3.gz, .2.gz, .1 (not compressed yet) and the live file."""
    lines = big_lines(8_000, 1)
    d.mkdir()
    pieces = [lines[:2000], lines[2000:4000], lines[4000:6000]]
    for age, piece in ((3, pieces[0]), (2, pieces[1])):
        with gzip.open(d / f"execution.log.{age}.gz", "wt") as f:
            f.write("".join(x + "\n" for x in piece))
    (d / "execution.log.1").write_text("".join(x + "\n" for x in pieces[2]))
    (d / "execution.log").write_text("".join(x + "\n" for x in lines[6000:]))
    return lines


def rotate(d: Path, new: list[str]) -> None:
    """logrotate with delaycompress: .N.gz -> .N+1.gz, .1 -> .2.gz (compressed now), live -> .1."""
    for age in sorted((int(p.name.split(".")[2]) for p in d.glob("execution.log.*.gz")), reverse=True):
        os.rename(d / f"execution.log.{age}.gz", d / f"execution.log.{age + 1}.gz")
    with gzip.open(d / "execution.log.2.gz", "wb") as f:
        f.write((d / "execution.log.1").read_bytes())
    (d / "execution.log.1").unlink()
    os.rename(d / "execution.log", d / "execution.log.1")
    (d / "execution.log").write_text("".join(x + "\n" for x in new))


def newest_archive_jump(d: Path) -> int:
    live = discover([str(d)])[0].members[-1]
    assert live.live and live.first_ts is not None
    return live.first_ts - 60_000


def test_a_hit_reads_less_and_a_rotation_keeps_the_older_archives(tmp_path: Path) -> None:
    d, cache = tmp_path / "logs", tmp_path / "cache"
    lines = write_big(d)
    jump = newest_archive_jump(d)
    ref, cold = controller(d, None), controller(d, cache)
    for c in (ref, cold):
        c.seek(jump)
    assert observed(cold) == observed(ref) and incidents(cold) == incidents(ref)
    assert cold.stored_archives == 2  # the third archive is not read to its end by this jump
    cold.close()  # what it has of the third one is kept as a partial segment
    partial = controller(d, cache)
    assert partial.kept_archives == 2 and partial.frontier is not None and partial.frontier > jump - 2 * EVERY
    partial.seek(jump)
    assert observed(partial) == observed(ref) and partial.restores == 1
    assert partial.lines_read <= 2000 + 500 < ref.lines_read / 2
    cold.seek(1 << 62)
    assert cold.stored_archives == 3 and cold.kept_archives == 0
    assert all(p.exists() and not p.stat().st_mode & 0o077 for p in item_paths(d, cache))

    warm = controller(d, cache)
    assert warm.kept_archives == 3 and warm.kept_checkpoints > 20
    assert warm.frontier is not None and warm.frontier > jump - 3 * EVERY
    assert warm.lines_read == 0  # nothing read yet
    warm.seek(jump)
    assert observed(warm) == observed(ref)
    # From the last kept checkpoint: its member is read again up to it (and no further back than the
    # ring needs), not the set.
    assert warm.restores == 1 and warm.lines_read <= 2000 + 500 < ref.lines_read / 2
    assert {i for i in incidents(ref) if i[1] != "parse"} <= set(incidents(warm))
    assert warm.stored_archives == 0

    # A rotation: the archives renamed, the uncompressed one compressed (other bytes: its key is
    # another), the live file now an archive, a new live file.
    newest = max(t for t in map(line_timestamp, lines) if t is not None)
    rotate(d, big_lines(1500, 2, t=newest + 1000))
    again = controller(d, cache)
    assert again.kept_archives == 2  # .4.gz and .3.gz, formerly .3.gz and .2.gz
    ref = controller(d, None)
    for t in (newest_archive_jump(d), T0 + 100_000, 1 << 62, T0 + 300_000):
        ref.seek(t)
        again.seek(t)
        assert observed(again) == observed(ref), t  # the files named as they are now
    assert incidents(again) == incidents(ref)
    assert again.stored_archives == 2  # the compressed one and the former live file
    assert controller(d, cache).kept_archives == 4


def test_a_damaged_item_is_ignored_and_rebuilt(tmp_path: Path) -> None:
    d, cache = tmp_path / "logs", tmp_path / "cache"
    write_big(d)
    controller(d, cache).seek(1 << 62)
    paths = item_paths(d, cache)
    assert len(paths) == 3 and all(p.exists() for p in paths)
    data = bytearray(paths[1].read_bytes())
    data[len(data) // 2] ^= 0x10
    paths[1].write_bytes(bytes(data))
    paths[2].write_bytes(paths[2].read_bytes()[:-100])
    agree(d, cache, Config(), targets(d))
    c = controller(d, cache)
    assert c.kept_archives == 3  # rebuilt by the run that found them damaged
    # A payload that passes the store's checks but is not a segment: ignored as well.
    c.seek(1 << 62)
    from execlog_tui.cache.store import CacheStore

    store = CacheStore(cache)
    key = paths[0].name.split(".")[0]
    assert store.save(KIND, key, b"\x00not a segment")
    c = controller(d, cache)
    assert c.kept_archives == 0
    ref = controller(d, None)
    for x in (ref, c):
        x.seek(newest_archive_jump(d))
    assert observed(c) == observed(ref)
    # A well-formed segment whose checkpoint does not restore (a stale engine's pickle): not used.
    good = store.load(KIND, key)
    assert good is not None
    items = list(marshal.loads(good))
    ts, member, line, _blob, groups, journal = items[7][-1]
    items[7][-1] = (ts, member, line, zlib.compress(b"not a pickle"), groups, journal)
    assert store.save(KIND, key, marshal.dumps(tuple(items)))
    c = controller(d, cache)
    assert c.kept_archives == 0 and c.kept_checkpoints == 0
    c.seek(newest_archive_jump(d))
    assert observed(c) == observed(ref)


def test_entries_from_the_future_are_not_kept_and_not_used(tmp_path: Path) -> None:
    d, cache = tmp_path / "logs", tmp_path / "cache"
    write_big(d)
    members = discover([str(d)])[0].members
    early = T0 - 3_600_000  # the wall clock an hour before the first entry: every entry is future
    c = controller(d, cache, wall_ms=early)
    c.seek(1 << 62)
    assert c.engine.future > 0 and c.stored_archives == 0
    assert not list(cache.rglob(f"*.{KIND}"))
    # A wall clock at which the third archive's entries are future: the first two are kept.
    third = members[2].first_ts
    assert third is not None
    mid = third - 300_000 + 60_000
    ref, c = controller(d, None, wall_ms=mid), controller(d, cache, wall_ms=mid)
    for x in (ref, c):
        x.seek(1 << 62)
    assert observed(c) == observed(ref) and c.stored_archives == 2
    # Kept with the normal wall clock, then used under the early one: the kept entries would be
    # future now, so nothing is used.
    controller(d, cache).seek(1 << 62)
    assert controller(d, cache).kept_archives == 3
    assert controller(d, cache, wall_ms=mid).kept_archives == 2
    assert controller(d, cache, wall_ms=early).kept_archives == 0
    ref, c = controller(d, None, wall_ms=mid), controller(d, cache, wall_ms=mid)
    for x in (ref, c):
        x.seek(newest_archive_jump(d))
    assert observed(c) == observed(ref)


def test_an_archive_replaced_by_another_of_the_same_name_and_size_misses(tmp_path: Path) -> None:
    d, cache = tmp_path / "logs", tmp_path / "cache"
    write_big(d)
    controller(d, cache).seek(1 << 62)
    # The middle archive replaced by another under its name (one duration changed), its mtime kept.
    path = d / "execution.log.2.gz"
    st = path.stat()
    text = gzip.decompress(path.read_bytes()).decode()
    i = text.index("|CALL|") + len("|CALL|")
    text = text[:i] + ("1" if text[i] != "1" else "2") + text[i + 1 :]
    path.write_bytes(gzip.compress(text.encode(), mtime=0))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    c = controller(d, cache)
    assert c.kept_archives == 1  # the oldest archive only
    agree(d, cache, Config(), targets(d))
    # An uncompressed archive rewritten in place to the very same size and mtime.
    plain = d / "execution.log.1"
    st = plain.stat()
    body = plain.read_bytes()
    k = body.index(b"|CALL|") + len(b"|CALL|")
    plain.write_bytes(body[:k] + (b"1" if body[k : k + 1] != b"1" else b"2") + body[k + 1 :])
    os.utime(plain, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert plain.stat().st_size == st.st_size
    c = controller(d, cache)
    assert c.kept_archives == 2
    agree(d, cache, Config(), targets(d))


def test_no_cache_and_several_sets_keep_nothing(tmp_path: Path) -> None:
    d, cache = tmp_path / "logs", tmp_path / "cache"
    write_big(d)
    c = ReplayController(discover([str(d)]), cache=CacheOptions(directory=str(cache), enabled=False))
    c.seek(1 << 62)
    assert not cache.exists()
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(d / "execution.log", other / "execution.log")
    c = ReplayController(discover([str(d), str(other)]), cache=CacheOptions(directory=str(cache)))
    c.seek(1 << 62)
    assert c.complete and not cache.exists()


@pytest.mark.parametrize("flag", ["--cache-info"])
def test_cache_info_lists_the_replay_items(tmp_path: Path, flag: str) -> None:
    import subprocess
    import sys

    d, cache = tmp_path / "logs", tmp_path / "cache"
    write_big(d)
    controller(d, cache).seek(1 << 62)
    out = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "--cache-dir", str(cache), flag],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    row = next(line for line in out.splitlines() if line.split()[:1] == ["replay"])
    assert row.split()[1] == "3"
