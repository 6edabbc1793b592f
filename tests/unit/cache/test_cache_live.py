"""SPEC 12 for the live file: the state after its first bytes is kept and taken only while those bytes
hash as they did. The live file grows between runs (appended lines, a last line still being written),
is rewritten in place with the same size, cut short, or replaced: every report is the one without a
cache."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections import deque
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execlog_tui.cache.plans import Plans
from execlog_tui.cache.store import CacheStore
from execlog_tui.core.config import Config, LogConfig
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.pipeline import read_history
from execlog_tui.sources.follower import HistoryLimit
from execlog_tui.sources.logset import discover
from tests.unit.cache.test_cache_agreement import CONFIGS, WALL, write_rotated
from tests.unit.replay.test_replay_property import logs

pytestmark = pytest.mark.skipif(not Plans.usable(), reason="the C scanner is not built")


def report(
    d: Path, config: Config, plans: Plans | None, wall: int = WALL, stop_at: list[HistoryLimit] | None = None
) -> dict:
    engine = MetricsEngine(config, wall_ms=wall)
    tail: deque[str] = deque(maxlen=40)
    result = read_history(discover([str(d)]), engine, plans=plans, stop_at=stop_at or [], tail=tail)
    out = snapshot_to_json(engine.snapshot())
    out["_warnings"] = [(w.file, w.message) for w in engine.warnings]
    # The log view's tail and where its lines come from (their line numbers counted from what was fed).
    out["_tail"] = (list(tail), result.tail_origins)
    return out


def append(path: Path, lines: list[str], end: str = "\n") -> None:
    with path.open("a") as f:
        f.write("\n".join(lines) + end)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=logs(),
    more=st.lists(logs(), min_size=1, max_size=3),
    cuts=st.lists(st.integers(0, 400), min_size=1, max_size=3),
    config=st.sampled_from(sorted(CONFIGS)),
    unfinished=st.booleans(),
)
def test_a_growing_live_file(
    first: list[str], more: list[list[str]], cuts: list[int], config: str, unfinished: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "logs"
        d.mkdir()
        write_rotated(d, first, cuts)
        live = d / "execution.log"
        store = CacheStore(Path(tmp) / "cache")
        cfg = CONFIGS[config]
        other = CONFIGS["other" if config == "default" else "default"]
        assert report(d, cfg, Plans(cfg, 64 * 1024, store, 1)) == report(d, cfg, None)
        for i, lines in enumerate(more):
            # The last piece may end without its newline: a line still being written.
            append(live, lines, end="" if unfinished and i == len(more) - 1 else "\n")
            plans = Plans(cfg, 64 * 1024, store, 1)
            assert report(d, cfg, plans) == report(d, cfg, None)
            if live.stat().st_size and plans.stats.live_hit:
                assert plans.stats.live_hit <= live.stat().st_size
            assert report(d, other, Plans(other, 64 * 1024, store, 1)) == report(d, other, None)
        if unfinished:
            append(live, ["|tail of the unfinished line|x"])  # its end arrives
            assert report(d, cfg, Plans(cfg, 64 * 1024, store, 1)) == report(d, cfg, None)


def lines(n: int, start: int = 1_757_412_000_000, tag: str = "a") -> list[str]:
    from execlog_tui.core.timefmt import format_ts

    return [
        f"{format_ts(start + 7 * i)}|API|CALL|{i % 300}|{'FAILURE' if i % 97 == 0 else 'SUCCESS'}|{tag}{i}"
        for i in range(n)
    ]


def setup(tmp_path: Path) -> tuple[Path, Path, CacheStore]:
    d = tmp_path / "logs"
    d.mkdir()
    write_rotated(d, lines(30_000), [10_000, 20_000])
    return d, d / "execution.log", CacheStore(tmp_path / "cache")


def warm(d: Path, store: CacheStore, config: Config | None = None, **kw: object) -> tuple[dict, Plans]:
    config = config or Config()
    plans = Plans(config, 64 * 1024, store, 1)
    return report(d, config, plans, **kw), plans  # type: ignore[arg-type]


def test_appended_lines_are_all_that_is_fed(tmp_path: Path) -> None:
    d, live, store = setup(tmp_path)
    warm(d, store)
    size = live.stat().st_size
    append(live, lines(500, start=1_757_412_000_000 + 7 * 30_000, tag="b"))
    got, plans = warm(d, store)
    assert got == report(d, Config(), None)
    assert plans.stats.live_hit == size  # the first run's bytes were not fed again
    got, plans = warm(d, store)
    assert got == report(d, Config(), None)
    assert plans.stats.live_hit == live.stat().st_size


def test_a_live_file_rewritten_with_the_same_size_misses(tmp_path: Path) -> None:
    d, live, store = setup(tmp_path)
    warm(d, store)
    st = live.stat()
    data = bytearray(live.read_bytes())
    i = data.index(b"|CALL|")
    data[i + 1 : i + 5] = b"SEND"  # another action, same size, same inode
    with live.open("r+b") as f:
        f.write(data)
    os.utime(live, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert live.stat().st_ino == st.st_ino and live.stat().st_size == st.st_size
    got, plans = warm(d, store)
    assert got == report(d, Config(), None)
    assert plans.stats.live_hit == 0


def test_a_live_file_cut_short_or_replaced(tmp_path: Path) -> None:
    d, live, store = setup(tmp_path)
    warm(d, store)
    with live.open("r+b") as f:
        f.truncate(live.stat().st_size // 2)  # shorter than what was kept
    got, plans = warm(d, store)
    assert got == report(d, Config(), None) and plans.stats.live_hit == 0
    new = d / "new.log"
    new.write_bytes(live.read_bytes())
    os.replace(new, live)  # the same bytes in another file: the kept state is for the old one
    got, plans = warm(d, store)
    assert got == report(d, Config(), None) and plans.stats.live_hit == 0


def test_damaged_kept_live_state_is_rebuilt(tmp_path: Path) -> None:
    d, live, store = setup(tmp_path)
    warm(d, store)
    for item in (tmp_path / "cache" / "live").rglob("*.live"):
        data = bytearray(item.read_bytes())
        data[len(data) // 2] ^= 0xFF
        item.write_bytes(data)
    got, plans = warm(d, store)
    assert got == report(d, Config(), None) and plans.stats.live_hit == 0
    got, plans = warm(d, store)
    assert got == report(d, Config(), None) and plans.stats.live_hit == live.stat().st_size


def test_nothing_from_the_future_is_kept(tmp_path: Path) -> None:
    d, live, store = setup(tmp_path)
    newest = 1_757_412_000_000 + 7 * 30_000
    early = newest - 3_600_000  # the wall clock an hour before the newest entries: they are future
    config = dataclasses.replace(Config(), log=dataclasses.replace(LogConfig(), max_future_ms=60_000))
    got, _ = warm(d, store, config, wall=early)
    assert got == report(d, config, None, wall=early)
    got, plans = warm(d, store, config, wall=early)
    assert got == report(d, config, None, wall=early) and plans.stats.live_hit == 0
    # At a later wall clock the same entries are no longer future: read, and now kept.
    got, plans = warm(d, store, config)
    assert got == report(d, config, None) and plans.stats.live_hit == 0
    got, plans = warm(d, store, config)
    assert got == report(d, config, None) and plans.stats.live_hit == live.stat().st_size


def test_where_following_starts(tmp_path: Path) -> None:
    """The dashboard reads the live file up to where its follower starts: the kept state stops there."""
    d, live, store = setup(tmp_path)
    st = live.stat()
    half = live.read_bytes().index(b"\n", st.st_size // 2) + 1
    limit = [HistoryLimit(st.st_dev, st.st_ino, half)]
    got, _ = warm(d, store, stop_at=limit)
    assert got == report(d, Config(), None, stop_at=limit)
    got, plans = warm(d, store, stop_at=limit)
    assert got == report(d, Config(), None, stop_at=limit) and plans.stats.live_hit == half
    got, plans = warm(d, store)  # the whole file now: from the kept half on
    assert got == report(d, Config(), None) and plans.stats.live_hit == half


def test_warnings_after_the_kept_bytes_name_the_file_s_own_lines(tmp_path: Path) -> None:
    """A line over the limit after the kept bytes: its warning gives its line number in the whole file."""
    d, live, store = setup(tmp_path)
    warm(d, store)
    append(
        live,
        lines(3, start=1_757_412_000_000 + 7 * 30_000, tag="b")
        + ["2025-09-09T10:00:00Z|API|CALL|1|SUCCESS|" + "x" * 70_000],
    )
    got, plans = warm(d, store)
    assert plans.stats.live_hit
    assert got == report(d, Config(), None)
    assert any("cut" in message for _file, message in got["_warnings"])


def test_a_compressed_live_file_keeps_no_state(tmp_path: Path) -> None:
    """A live file in gzip (its bytes are not its lines' bytes): read whole every time, never doubled."""
    import gzip

    d = tmp_path / "logs"
    d.mkdir()
    (d / "execution.log").write_bytes(
        gzip.compress(b"2025-09-09T10:00:45Z|API|CALL|678|FAILURE|jtxat25kjbx19v65uhs\n", mtime=0)
    )
    store = CacheStore(tmp_path / "cache")
    for _ in range(3):
        got, plans = warm(d, store)
        assert got == report(d, Config(), None) and plans.stats.live_hit == 0
    assert not list((tmp_path / "cache").rglob("*.live"))


def test_a_kept_state_that_does_not_load_is_a_miss(tmp_path: Path) -> None:
    """An item that passes the store's checksum but holds no engine (another build's, a moved class): the
    file is read as without it, and the state kept again."""
    import marshal
    import pickle

    d, live, store = setup(tmp_path)
    warm(d, store)
    for item in (tmp_path / "cache" / "live").rglob("*.live"):
        key = item.name[: -len(".live")]
        kept = marshal.loads(store.load("live", key) or b"")
        if isinstance(kept, tuple):
            size, lines_, digest, newest, _blob = kept
            store.save("live", key, marshal.dumps((size, lines_, digest, newest, pickle.dumps({"not": "an engine"}))))
    got, plans = warm(d, store)
    assert got == report(d, Config(), None) and plans.stats.live_hit == 0
    got, plans = warm(d, store)
    assert got == report(d, Config(), None) and plans.stats.live_hit == live.stat().st_size
