"""SPEC 12: a kept item that is truncated, bit-flipped, of another format or another user, a cache
directory that cannot be written, two instances at once, an archive replaced under the same name and
size, a writer's rotation between two runs: detected, rebuilt, never trusted, never a crash, and the
report is always the one reading the archives gives."""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from execlog_tui.cache import store as store_module
from execlog_tui.cache.plans import CacheOptions, Plans, plans_for
from execlog_tui.cache.store import IDENT_KIND, CacheStore, content_key
from execlog_tui.core.config import Config
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.core.timefmt import format_ts
from execlog_tui.pipeline import read_history
from execlog_tui.sources.logset import discover

pytestmark = pytest.mark.skipif(not Plans.usable(), reason="the C scanner is not built")

T0 = 1_757_412_000_000
WALL = T0 + 86_400_000
LIMIT = 64 * 1024


def lines_from(seed: int, n: int, t0: int) -> list[str]:
    rng = random.Random(seed)
    t, out = t0, []
    for i in range(n):
        t += rng.choice((0, 3, 40, 300))
        comp = rng.choice(("API", "DB", "CACHE"))
        status = "FAILURE" if rng.random() < 0.02 else "SUCCESS"
        out.append(f"{format_ts(t)}|{comp}|CALL|{rng.randint(0, 400)}|{status}|i={i}")
    return out


def make_set(d: Path, seed: int = 1) -> None:
    d.mkdir(parents=True, exist_ok=True)
    a = lines_from(seed, 3000, T0)
    b = lines_from(seed + 1, 3000, T0 + 2_000_000)
    c = lines_from(seed + 2, 500, T0 + 4_000_000)
    with gzip.open(d / "execution.log.2.gz", "wt") as f:
        f.write("\n".join(a) + "\n")
    with gzip.open(d / "execution.log.1.gz", "wt") as f:
        f.write("\n".join(b) + "\n")
    (d / "execution.log").write_text("\n".join(c) + "\n")


def report(d: Path, plans: Plans | None) -> dict:
    engine = MetricsEngine(Config(), wall_ms=WALL)
    read_history(discover([str(d)]), engine, plans=plans)
    return snapshot_to_json(engine.snapshot())


def plans(store_dir: Path, states: bool = False) -> Plans:
    """Plans over the store; without its kept states unless asked (the tests here are about plans), and
    never with the states after the live file's first bytes (test_cache_live.py), taken before these."""
    shutil.rmtree(store_dir / "live", ignore_errors=True)
    if not states:
        shutil.rmtree(store_dir / "state", ignore_errors=True)
    return Plans(Config(), LIMIT, CacheStore(store_dir), 1)


def plan_files(store_dir: Path) -> list[Path]:
    return sorted(p for p in (store_dir / "plan").rglob("*.plan"))


def test_damaged_items_are_rebuilt(tmp_path: Path) -> None:
    d, cache = tmp_path / "logs", tmp_path / "cache"
    make_set(d)
    reference = report(d, None)
    assert report(d, plans(cache)) == reference
    items = plan_files(cache)
    assert len(items) == 2
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in items)
    assert (cache / "plan").stat().st_mode & 0o777 == 0o700 and cache.stat().st_mode & 0o777 == 0o700

    def damage(how: str, p: Path) -> None:
        data = bytearray(p.read_bytes())
        if how == "truncated":
            p.write_bytes(bytes(data[: len(data) // 2]))
        elif how == "bit-flipped":
            data[len(data) // 2] ^= 0x10
            p.write_bytes(bytes(data))
        elif how == "empty":
            p.write_bytes(b"")
        elif how == "other format":
            data[8] ^= 0xFF  # the store format number in the header
            p.write_bytes(bytes(data))
        elif how == "garbage payload":  # a valid header and digest over bytes that are no plan
            from execlog_tui.cache.store import CacheStore as Store

            key = p.name.split(".")[0]
            Store(cache).save("plan", key, b"\x00not a marshalled plan")
        elif how == "readable by others":
            p.chmod(0o644)

    for how in ("truncated", "bit-flipped", "empty", "other format", "garbage payload", "readable by others"):
        damage(how, items[0])
        p = plans(cache)
        assert report(d, p) == reference, how
        assert p.stats.hits == 1 and p.stats.built == 1, how  # the damaged one was read and kept again
        assert items[0].stat().st_mode & 0o777 == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file to another user")
def test_an_item_of_another_user_is_not_used(tmp_path: Path) -> None:
    d, cache = tmp_path / "logs", tmp_path / "cache"
    make_set(d)
    reference = report(d, None)
    report(d, plans(cache))
    item = plan_files(cache)[0]
    os.chown(item, 4242, -1)
    p = plans(cache)
    assert report(d, p) == reference
    assert p.stats.hits == 1 and p.stats.built == 1


def test_a_cache_directory_that_cannot_be_written(tmp_path: Path) -> None:
    d = tmp_path / "logs"
    make_set(d)
    reference = report(d, None)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")  # the cache directory would have to be inside a regular file
    p = Plans(Config(), LIMIT, CacheStore(blocker / "cache"), 1)
    assert report(d, p) == reference
    assert p.stats.hits == 0


def test_a_full_cache_filesystem(tmp_path: Path) -> None:
    d = tmp_path / "logs"
    make_set(d)
    reference = report(d, None)
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        store = CacheStore(mnt / "cache")
        p = Plans(Config(), LIMIT, store, 1)
        assert report(d, p) == reference
        assert store.write_errors >= 1  # the plans did not fit: the run went on without them
        assert not list((mnt / "cache").rglob(".tmp-*"))  # nothing half-written left behind
        p2 = Plans(Config(), LIMIT, CacheStore(mnt / "cache"), 1)
        assert report(d, p2) == reference
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


@pytest.fixture(params=["hashed", "remembered"])
def remembered(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Both ways an archive's key is found: hashed, or remembered under its stat (store.content_key),
    which a file written this second never is (SETTLED_S): "remembered" lifts that guard."""
    if request.param == "remembered":
        monkeypatch.setattr(store_module, "SETTLED_S", -1.0)
    return request.param == "remembered"


def idents(store_dir: Path) -> int:
    return len(list((store_dir / IDENT_KIND).rglob(f"*.{IDENT_KIND}")))


def test_an_archive_replaced_by_another_of_the_same_name_and_size(tmp_path: Path, remembered: bool) -> None:
    d, cache = tmp_path / "logs", tmp_path / "cache"
    make_set(d)
    report(d, plans(cache))
    assert idents(cache) == (2 if remembered else 0)
    old = d / "execution.log.1.gz"
    size, mtime = old.stat().st_size, old.stat().st_mtime_ns
    # Other lines, compressed to exactly the same size (padded in the gzip header's comment-free way:
    # the FNAME field), with the old mtime put back: only the content tells them apart.
    other = "\n".join(lines_from(99, 3000, T0 + 2_000_000)).encode() + b"\n"
    body = gzip.compress(other, mtime=0)
    assert len(body) < size
    pad = size - len(body) - 1
    header = bytearray(body[:10])
    header[3] |= 0x08  # FNAME: a zero-terminated name after the header
    old.write_bytes(bytes(header) + b"n" * pad + b"\x00" + body[10:])
    os.utime(old, ns=(mtime, mtime))
    assert old.stat().st_size == size
    reference = report(d, None)
    p = plans(cache)
    assert report(d, p) == reference
    assert p.stats.hits == 1 and p.stats.built == 1  # the other archive: by its remembered key when so


def test_the_writers_rotation_between_two_runs(tmp_path: Path, remembered: bool) -> None:
    """The project's writer rotates `.1` into `.2.gz` and `.2.gz` into `.3.gz`: the renamed archive is
    found again, the recompressed one is read again, and the figures are those of reading."""
    from execlog_tui.writer.logger import ExecutionLogger

    d, cache = tmp_path / "logs", tmp_path / "cache"
    d.mkdir()
    log = ExecutionLogger(str(d / "execution.log"), max_bytes=0, backups=7)
    t = [T0]

    def write(n: int) -> None:
        for line in lines_from(t[0], n, t[0]):
            ts, comp, action, dur, status, details = line.split("|")
            log.log(comp, action, float(dur), status, details)
        t[0] += 1

    write(2000)
    log.rotate()
    write(2000)
    log.rotate()
    write(300)
    assert log.wait_compressed()
    names = sorted(p.name for p in d.iterdir())
    assert "execution.log.1" in names and "execution.log.2.gz" in names, names
    p1 = plans(cache)
    assert report(d, p1) == report(d, None)
    assert p1.stats.built == 2
    log.rotate()  # .2.gz -> .3.gz (a rename), .1 -> .2.gz (compressed), live -> .1
    write(100)
    assert log.wait_compressed()
    log.close()
    names = sorted(p.name for p in d.iterdir())
    assert "execution.log.3.gz" in names, names
    p2 = plans(cache)
    assert report(d, p2) == report(d, None)
    assert p2.stats.hits == 1  # the renamed .3.gz; the new .2.gz and .1 were read
    assert p2.stats.built == 2


def test_two_instances_starting_together(tmp_path: Path) -> None:
    d, cache = tmp_path / "logs", tmp_path / "cache"
    make_set(d)
    cmd = [sys.executable, "-m", "execlog_tui", "--cache-dir", str(cache), "-b", "--json", str(d)]
    reference = subprocess.run([*cmd[:3], "--no-cache", *cmd[5:]], capture_output=True, text=True, check=True)
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    strip = lambda s: {k: v for k, v in json.loads(s).items() if k != "generated_at"}  # noqa: E731
    for out in outs:
        assert strip(out) == strip(reference.stdout)
    warm = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert strip(warm.stdout) == strip(reference.stdout)
    assert len(plan_files(cache)) == 2
    assert not list(cache.rglob(".tmp-*"))


def test_cache_info_and_clear(tmp_path: Path) -> None:
    d, cache = tmp_path / "logs", tmp_path / "cache"
    make_set(d)
    base = [sys.executable, "-m", "execlog_tui", "--cache-dir", str(cache)]
    subprocess.run([*base, "-b", str(d)], capture_output=True, check=True)
    info = subprocess.run([*base, "--cache-info"], capture_output=True, text=True, check=True).stdout
    assert "plan" in info and " 2 items" in info
    out = subprocess.run([*base, "--cache-clear"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("removed ")
    assert plan_files(cache) == []
    info = subprocess.run([*base, "--cache-info"], capture_output=True, text=True, check=True).stdout
    assert " 0 items" in info


def test_the_size_limit_prunes_the_least_recently_used(tmp_path: Path) -> None:
    d1, d2, cache = tmp_path / "a", tmp_path / "b", tmp_path / "cache"
    make_set(d1, seed=1)
    make_set(d2, seed=50)
    report(d1, plans(cache))
    first = plan_files(cache)
    for p in first:
        os.utime(p, (1, 1))  # long unused
    one = max(p.stat().st_size for p in first)
    # Room for what the second run keeps (two plans, the state after its archives and the one after its
    # live file: measured in a store of its own) and one plan more: not for the first set's two plans too.
    scratch = tmp_path / "scratch"
    report(d2, Plans(Config(), LIMIT, CacheStore(scratch), 1))
    need = sum(p.stat().st_size for p in scratch.rglob("*.*") if p.is_file())
    store = CacheStore(cache, limit=need + one)
    report(d2, Plans(Config(), LIMIT, store, 1))  # closing the plans prunes the store to its limit
    left = plan_files(cache)
    assert sum(p.stat().st_size for p in cache.rglob("*.*")) <= need + one
    assert not set(first) <= set(left)  # the old set's plans went first
    assert len(set(left) - set(first)) == 2  # the new ones stayed


def test_no_cache_keeps_nothing(tmp_path: Path) -> None:
    d, cache = tmp_path / "logs", tmp_path / "cache"
    make_set(d)
    opts = CacheOptions(directory=str(cache), enabled=False, jobs=1)
    assert plans_for(opts, Config(), LIMIT, discover([str(d)])) is None
    assert not cache.exists()


def test_a_damaged_state_is_not_used(tmp_path: Path) -> None:
    d, cache = tmp_path / "logs", tmp_path / "cache"
    make_set(d)
    reference = report(d, None)
    report(d, plans(cache, states=True))
    (state,) = sorted((cache / "state").rglob("*.state"))
    p = plans(cache, states=True)
    assert report(d, p) == reference and p.stats.state_hit
    data = bytearray(state.read_bytes())
    data[-5] ^= 0x01
    state.write_bytes(bytes(data))
    p = plans(cache, states=True)
    assert report(d, p) == reference
    assert not p.stats.state_hit and p.stats.hits == 2  # the plans were applied instead, and the state kept again
    p = plans(cache, states=True)
    assert report(d, p) == reference and p.stats.state_hit


def test_a_state_is_for_its_wall_clock_future(tmp_path: Path) -> None:
    """A state kept when no entry was from the future is not used by a run whose wall clock is so
    early that some are (SPEC 3): they are read, and counted as future."""
    d, cache = tmp_path / "logs", tmp_path / "cache"
    make_set(d)
    report(d, plans(cache, states=True))
    early = T0 + 1_000_000  # inside the first archive
    engine = MetricsEngine(Config(), wall_ms=early)
    p = plans(cache, states=True)
    read_history(discover([str(d)]), engine, plans=p)
    ref = MetricsEngine(Config(), wall_ms=early)
    read_history(discover([str(d)]), ref)
    assert not p.stats.state_hit
    assert snapshot_to_json(engine.snapshot()) == snapshot_to_json(ref.snapshot())
    assert ref.future > 0


def test_a_fractional_second_across_the_archive_boundary(tmp_path: Path) -> None:
    """An archive ending with a fractional duration in second S, the live file going on in S: the
    feeder must know S is fractional after a plan or a kept state (the sum's order of addition)."""
    d, cache = tmp_path / "logs", tmp_path / "cache"
    d.mkdir()
    t = T0 + 500_000
    with gzip.open(d / "execution.log.1.gz", "wt") as f:
        f.write(f"{format_ts(t - 3000)}|SVC|CALL|5|SUCCESS|ok\n{format_ts(t + 200)}|SVC|CALL|0.123|SUCCESS|ok\n")
    (d / "execution.log").write_text(
        f"{format_ts(t + 300)}|SVC|CALL|2|SUCCESS|ok\n{format_ts(t + 400)}|SVC|CALL|6|SUCCESS|ok\n"
        f"{format_ts(t + 5000)}|SVC|CALL|1|SUCCESS|ok\n"
    )
    reference = report(d, None)
    assert report(d, plans(cache, states=True)) == reference  # cold
    p = plans(cache, states=True)
    assert report(d, p) == reference and p.stats.state_hit  # the kept state
    p = plans(cache)
    assert report(d, p) == reference and p.stats.hits == 1  # the plan


def test_an_adopted_state_names_this_runs_files(tmp_path: Path) -> None:
    """The component cap's warning names the file where folding began: in a warm run on a copy of
    the set elsewhere, the copy's file, not the one the state was made from."""
    import dataclasses
    import shutil as sh

    from execlog_tui.core.config import MonitoringConfig

    config = dataclasses.replace(Config(), monitoring=dataclasses.replace(MonitoringConfig(), max_components=3))
    a, b, cache = tmp_path / "A", tmp_path / "B", tmp_path / "cache"
    a.mkdir()
    lines = [f"{format_ts(T0 + i * 10)}|C{i % 20}|CALL|1|SUCCESS|x" for i in range(400)]
    with gzip.open(a / "execution.log.1.gz", "wt") as f:
        f.write("\n".join(lines) + "\n")
    (a / "execution.log").write_text(f"{format_ts(T0 + 10_000)}|API|CALL|1|SUCCESS|x\n")
    sh.copytree(a, b)

    def run(where: Path, p: Plans | None) -> dict:
        engine = MetricsEngine(config, wall_ms=WALL)
        read_history(discover([str(where)]), engine, plans=p)
        return snapshot_to_json(engine.snapshot())

    run(a, Plans(config, LIMIT, CacheStore(cache), 1))
    p = Plans(config, LIMIT, CacheStore(cache), 1)
    warm = run(b, p)
    assert p.stats.state_hit
    assert warm == run(b, None)
    assert str(b / "execution.log.1.gz") in json.dumps(warm) and str(a) not in json.dumps(warm)


def test_a_file_replaced_after_it_was_hashed_is_neither_planned_nor_kept(tmp_path: Path) -> None:
    from execlog_tui.cache.plans import _identity, build_plan

    d = tmp_path / "logs"
    make_set(d)
    archive = d / "execution.log.1.gz"
    hashed = _identity(archive.stat())
    other = tmp_path / "other.gz"
    with gzip.open(other, "wt") as f:
        f.write("\n".join(lines_from(5, 100, T0 + 2_000_000)) + "\n")
    os.replace(other, archive)  # a rotation between the hashing and the worker's read
    assert build_plan(archive, Config(), LIMIT, hashed) is None
    assert build_plan(archive, Config(), LIMIT) is not None


def test_the_store_removes_only_its_own_files(tmp_path: Path) -> None:
    cache, victim = tmp_path / "cache", tmp_path / "victim"
    victim.mkdir()
    (victim / ("a" * 64 + ".plan")).write_text("not the cache's")
    d = tmp_path / "logs"
    make_set(d)
    report(d, plans(cache))
    (cache / "plan" / "zz").symlink_to(victim)  # not a store directory name, and a link
    (cache / "plan" / "aa").symlink_to(victim)  # a store directory name, but a link
    mine = cache / "plan" / "notes.txt"
    mine.write_text("the user's")
    store = CacheStore(cache)
    store.prune(limit=0)
    assert (victim / ("a" * 64 + ".plan")).exists() and mine.exists()
    assert plan_files(cache) == [] or all(p.parent.name in ("aa", "zz") for p in plan_files(cache))
    store.clear()
    assert (victim / ("a" * 64 + ".plan")).exists() and mine.exists()


def test_plans_read_blocks_as_the_engine_does_without_the_checksum_hold(tmp_path: Path) -> None:
    """Workers and a plan's raw fallback read archives without holding a member back until its checksum
    passes: the blocks (which a plan's runs point into) are the same as with the hold."""
    from execlog_tui.sources.reader import read_raw_batches

    p = tmp_path / "multi.gz"
    with open(p, "wb") as f:
        for m in range(3):
            text = "".join(f"{format_ts(T0 + m * 10_000 + j)}|API|CALL|1|SUCCESS|m={m} j={j}\n" for j in range(40_000))
            f.write(gzip.compress(text.encode()))

    def blocks(**kw: int) -> list[object]:
        return [
            b if isinstance(b, bytes) else tuple(b) for b, _cut in read_raw_batches(p, [], LIMIT, archive=True, **kw)
        ]

    held = blocks()
    assert len(held) > 10 and blocks(hold=0) == held


def test_a_plan_a_worker_stored_is_loaded_from_the_store_when_its_turn_comes(tmp_path: Path) -> None:
    """A worker that stored its plan hands back no copy of it (none waits in the engine's memory): the
    engine loads it from the store, checked, when the archive's turn comes, and reads an archive whose
    stored plan was damaged meanwhile itself, as if it had none."""
    import time

    d, cache = tmp_path / "logs", tmp_path / "cache"
    make_set(d)
    archives = [m.path for m in discover([str(d)])[0].archives]
    p = Plans(Config(), LIMIT, CacheStore(cache), 2)
    try:
        p.start(archives)
        deadline = time.monotonic() + 60
        while len(plan_files(cache)) < 2:
            assert time.monotonic() < deadline, "the workers stored no plans"
            time.sleep(0.02)
        items = {f.name for f in plan_files(cache)}
        got = content_key(archives[0], p.fingerprint)
        assert got is not None
        damaged = CacheStore(cache).item_path("plan", got[0])
        data = bytearray(damaged.read_bytes())
        data[len(data) // 2] ^= 0x10
        damaged.write_bytes(bytes(data))
        assert damaged.name in items
        assert p.plan_for(archives[0]) is None  # damaged since the worker stored it: read it here
        assert p.plan_for(archives[1]) is not None
        assert p.stats.unplanned == 1 and p.stats.built == 1
    finally:
        p.close()
