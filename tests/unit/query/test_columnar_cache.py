"""Queries over the archives' kept columnar copies (SPEC 12): the same rows cold, warm and without a cache."""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from execlog_tui.cache.store import IDENT_KIND, CacheStore
from execlog_tui.query import REPORTS, run_query

from .conftest import ERR_SQL, ROTATED, ROW_SQL, SEED, parser_rows

ALL_ENTRIES = "SELECT * FROM entries ORDER BY file, line"
ALL_ERRORS = "SELECT * FROM parse_errors ORDER BY file, line"
QUERIES = [ALL_ENTRIES, ALL_ERRORS, ROW_SQL, ERR_SQL, *REPORTS]


def _same(a: list[tuple], b: list[tuple]) -> bool:
    """Equal rows; an aggregate over doubles (avg) may differ in its last bit with the order DuckDB's
    threads add in (it does between two runs over the same files too): floats agree to 1e-12."""
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b, strict=True):
        if len(ra) != len(rb):
            return False
        for x, y in zip(ra, rb, strict=True):
            if isinstance(x, float) and isinstance(y, float):
                if x != pytest.approx(y, rel=1e-12, abs=1e-12):
                    return False
            elif x != y:
                return False
    return True


def _items(store: CacheStore) -> int:
    """The items kept, but the archives' keys remembered under their stat (store.content_key)."""
    return sum(i.items for i in store.info() if i.kind != IDENT_KIND)


def _three_ways(paths: list[str | Path], store: CacheStore, queries: list[str] = QUERIES) -> None:
    """Every query gives the same result with no store, a cold one and a warm one."""
    for q in queries:
        plain = run_query(paths, q)
        assert plain.stats is not None and plain.stats.cache is None
        cold = run_query(paths, q, store=store)
        n = _items(store)
        warm = run_query(paths, q, store=store)
        assert warm.stats is not None and warm.stats.cache is not None
        assert _items(store) == n
        assert warm.stats.cache.built == 0
        assert cold.columns == plain.columns == warm.columns, q
        assert _same(cold.rows, plain.rows), q
        assert _same(warm.rows, plain.rows), q


def test_sample_sets_cold_warm_and_no_cache_agree(tmp_path: Path) -> None:
    store = CacheStore(tmp_path / "cache")
    _three_ways([SEED], store)
    assert _items(store) == 2  # a live file alone: the copy of its lines and its side item (livecopy.py)
    _three_ways([ROTATED], store)
    archives = len(list(ROTATED.glob("execution.log.*")))
    assert _items(store) == 2 * archives + 4  # a copy and its checksum each, and each live file's
    warm = run_query([ROTATED], ROW_SQL, store=store)
    assert warm.stats is not None and warm.stats.cache is not None and warm.stats.cache.hits == archives + 1


def _random_lines(rng: random.Random, n: int, start_ms: int) -> list[str]:
    comps = ["API", "CACHE", "DB", "Auth", "bootstrap", "MEMORY"]
    lines = []
    t = start_ms
    for _ in range(n):
        t += rng.randint(0, 4000)
        sec, ms = divmod(t, 1000)
        stamp = f"2025-09-{9 + sec // 86400:02d}T{sec // 3600 % 24:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}.{ms:03d}Z"
        roll = rng.random()
        if roll < 0.05:
            lines.append(rng.choice(["garbage", "2025-13-01T00:00:00Z|A|B|1|OK|bad month", "x|y", "|||||"]))
        elif roll < 0.07:
            lines.append("")
        elif roll < 0.1:
            lines.append(f"{stamp[:19]}+01:00|{rng.choice(comps)}|CALL|{rng.random() * 50:.2f}|SUCCESS|offset")
        else:
            status = rng.choice(["SUCCESS", "FAILURE", "HIT", "MISS", "TIMEOUT"])
            lines.append(f"{stamp}|{rng.choice(comps)}|CALL|{rng.randint(0, 900)}|{status}|d {rng.random()}|x'y")
    return lines


def _write(path: Path, lines: list[str], gz: bool) -> None:
    data = ("\n".join(lines) + "\n").encode()
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


def _make_set(d: Path, seed: int = 7) -> None:
    """A live file, a gzip .1 (as a writer compressing on rotation leaves it), and gzip .2.gz, .3.gz
    across two days, with parse errors and lines only the parser judges."""
    rng = random.Random(seed)
    d.mkdir()
    start = 80_000_000
    for k in (3, 2, 1, 0):
        lines = _random_lines(rng, 3000, start)
        start += 3000 * 2000
        name = "execution.log" if k == 0 else f"execution.log.{k}" + (".gz" if k > 1 else "")
        _write(d / name, lines, gz=k > 0)


def test_generated_set_and_a_rotation_that_renames(tmp_path: Path) -> None:
    d = tmp_path / "logs"
    _make_set(d)
    store = CacheStore(tmp_path / "cache")
    _three_ways([d / "execution.log"], store, [ALL_ENTRIES, ALL_ERRORS, "performance", "error_rate"])
    entries, errors = parser_rows([d / "execution.log"])
    warm = run_query([d / "execution.log"], ROW_SQL, store=store)
    assert sorted((r[0], r[1], r[2] // 1, *r[3:]) for r in warm.rows) == sorted(
        (e[0], e[1], e[2], *e[3:]) for e in entries
    )
    assert sorted(run_query([d / "execution.log"], ERR_SQL, store=store).rows) == errors
    assert errors  # the set has parse errors in every file
    n = _items(store)
    before = run_query([d / "execution.log"], ALL_ENTRIES, store=store).rows
    # A rotation that only renames: .3.gz -> .4.gz, .2.gz -> .3.gz, .1 -> .2.gz (already gzip).
    for old, new in [(3, 4), (2, 3)]:
        os.rename(d / f"execution.log.{old}.gz", d / f"execution.log.{new}.gz")
    os.rename(d / "execution.log.1", d / "execution.log.2.gz")
    renamed = {str(d / "execution.log.1"): str(d / "execution.log.2.gz")}
    renamed |= {str(d / f"execution.log.{o}.gz"): str(d / f"execution.log.{n}.gz") for o, n in [(3, 4), (2, 3)]}
    after = run_query([d / "execution.log"], ALL_ENTRIES, store=store)
    assert after.stats is not None and after.stats.cache is not None
    assert after.stats.cache.hits == 4 and after.stats.cache.built == 0  # the live file's copy too
    assert _items(store) == n  # nothing new kept: every archive hit
    file_col = after.columns.index("file")
    expected = sorted(tuple(renamed.get(v, v) if i == file_col else v for i, v in enumerate(r)) for r in before)
    assert sorted(after.rows) == expected
    assert {r[file_col] for r in after.rows} == {str(d / "execution.log"), *renamed.values()}
    assert sorted(run_query([d / "execution.log"], ALL_ENTRIES).rows) == expected  # and without the cache


def _copies(store: CacheStore) -> list[Path]:
    return sorted(p for p in (store.dir / "parquet").rglob("*.parquet") if not p.name.endswith("-sum.parquet"))


def test_copies_delta_pack_the_rising_integers(tmp_path: Path) -> None:
    """The archives' and the live file's copies are written with Parquet 2's encodings: line numbers and
    instants delta-packed (half the copy's size and scan of plain zstd integers, columnar.WRITE_OPTIONS)."""
    d = tmp_path / "logs"
    _make_set(d)
    store = CacheStore(tmp_path / "cache")
    run_query([d / "execution.log"], "SELECT count(*) FROM entries", store=store)
    live = [p for p in (store.dir / "livepq").rglob("*.livepq") if p.read_bytes()[:4] == b"PAR1"]  # not side items
    kept = _copies(store) + live
    assert len(kept) == 4  # the three archives and the live file's first lines
    con = duckdb.connect()
    for path in kept:
        encodings = dict(
            con.execute(
                "SELECT path_in_schema, encodings FROM parquet_metadata($p) WHERE row_group_id = 0", {"p": str(path)}
            ).fetchall()
        )
        assert "DELTA_BINARY_PACKED" in encodings["line"], (path.name, encodings)
        assert "DELTA_BINARY_PACKED" in encodings["ts_ms"], (path.name, encodings)


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "sum"])
def test_a_damaged_copy_is_rebuilt(tmp_path: Path, damage: str) -> None:
    store = CacheStore(tmp_path / "cache")
    plain = run_query([ROTATED], ALL_ENTRIES)
    run_query([ROTATED], ALL_ENTRIES, store=store)
    victim = _copies(store)[0]
    if damage == "truncate":
        data = victim.read_bytes()
        victim.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        data = bytearray(victim.read_bytes())
        data[len(data) // 3] ^= 0x10  # inside the data pages: the footer still reads
        victim.write_bytes(bytes(data))
    elif damage == "empty":
        victim.write_bytes(b"")
    else:
        side = victim.with_name(victim.name.replace(".parquet", "-sum.parquet"))
        side.write_bytes(side.read_bytes()[:-3])
    again = run_query([ROTATED], ALL_ENTRIES, store=store)
    assert again.rows == plain.rows
    assert again.stats is not None and again.stats.cache is not None
    assert again.stats.cache.rebuilt == 1 and again.stats.cache.built == 1
    third = run_query([ROTATED], ALL_ENTRIES, store=store)
    assert third.stats is not None and third.stats.cache is not None
    assert third.stats.cache.built == 0 and third.rows == plain.rows


def test_an_archive_the_slow_path_reads_is_not_kept(tmp_path: Path) -> None:
    d = tmp_path / "logs"
    d.mkdir()
    _write(d / "execution.log", ["2025-09-09T10:00:00.000Z|API|CALL|1|SUCCESS|live"], gz=False)
    (d / "execution.log.1").write_bytes(b"2025-09-09T09:00:00.000Z|API|CALL|1|SUCCESS|caf\xe9 latin-1\n")
    with gzip.open(d / "execution.log.2.gz", "wb") as f:
        f.write(b"2025-09-09T08:00:00.000Z|API|CALL|1|SUCCESS|" + b"x" * 200 + b"\n")
    store = CacheStore(tmp_path / "cache")
    plain = run_query([d / "execution.log"], ALL_ENTRIES, line_limit=100)
    cold = run_query([d / "execution.log"], ALL_ENTRIES, line_limit=100, store=store)
    assert cold.rows == plain.rows
    assert _items(store) == 2  # the live file's copy and its side item: no archive's
    assert not list((store.dir / "parquet").rglob("*.parquet"))


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "execlog_tui", *args], capture_output=True, text=True, env=env)


def test_cli_cache_dir_and_no_cache(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    q = "SELECT file, line, details FROM entries ORDER BY file, line"
    base = _cli("--no-cache", "--query", q, "--format", "json", str(ROTATED), env=env)
    assert base.returncode == 0, base.stderr
    assert not (tmp_path / "xdg").exists()
    cached = _cli("--cache-dir", str(tmp_path / "c"), "--query", q, "--format", "json", str(ROTATED), env=env)
    assert cached.returncode == 0 and cached.stdout == base.stdout
    assert len(list((tmp_path / "c" / "parquet").rglob("*.parquet"))) == 8
    assert oct((tmp_path / "c").stat().st_mode & 0o777) == "0o700"
    for p in (tmp_path / "c" / "parquet").rglob("*.parquet"):
        assert p.stat().st_mode & 0o777 == 0o600
    default = _cli("--query", q, "--format", "json", str(ROTATED), env=env)
    assert default.stdout == base.stdout
    assert len(list((tmp_path / "xdg" / "execlog-top" / "parquet").rglob("*.parquet"))) == 8


def test_export_round_trip(tmp_path: Path) -> None:
    d = tmp_path / "logs"
    _make_set(d)
    out = tmp_path / "export"
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    r = _cli("--export", "parquet", str(out), str(d / "execution.log"), env=env)
    assert r.returncode == 0, r.stderr
    assert "exported" in r.stdout
    days = sorted(p.name for p in out.glob("date=*"))
    assert len(days) >= 2  # the generated set spans two days
    con = duckdb.connect()
    got = con.execute(
        f"SELECT * EXCLUDE (date), date FROM read_parquet('{out}/date=*/*.parquet', hive_partitioning=true) "
        "ORDER BY file, line"
    ).fetchall()
    want = run_query([d / "execution.log"], ALL_ENTRIES)
    assert [g[:-1] for g in got] == want.rows
    assert all(str(g[-1]) == g[0].strftime("%Y-%m-%d") for g in got)  # date is the UTC day of ts
    errs = con.execute(f"SELECT * FROM read_parquet('{out}/parse_errors/*.parquet') ORDER BY file, line").fetchall()
    assert errs == run_query([d / "execution.log"], ALL_ERRORS).rows and errs
    # The README's recipe: the five reports over the export with plain DuckDB, as --query gives them.
    con.execute(f"CREATE VIEW entries AS SELECT * FROM read_parquet('{out}/date=*/*.parquet', hive_partitioning=true)")
    for name in ("performance", "error_rate", "cache_efficiency", "user_patterns", "bottlenecks"):
        assert _same(con.execute(REPORTS[name].sql).fetchall(), run_query([d / "execution.log"], name).rows), name
    marker = json.loads((out / "_execlog-top-export.json").read_text())
    assert marker["complete"] and marker["entries"] == len(got)
    # Again over an earlier export: replaced. A directory holding anything else: refused, untouched.
    again = _cli("--export", "parquet", str(out), str(d / "execution.log"), env=env)
    assert again.returncode == 0, again.stderr
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    refused = _cli("--export", "parquet", str(other), str(d / "execution.log"), env=env)
    assert refused.returncode == 2 and "not empty" in refused.stderr
    assert sorted(os.listdir(other)) == ["notes.txt"]
    (out / "notes.txt").write_text("mine")
    mixed = _cli("--export", "parquet", str(out), str(d / "execution.log"), env=env)
    assert mixed.returncode == 2 and "other files" in mixed.stderr
    assert (out / "notes.txt").read_text() == "mine"
    bad = _cli("--export", "csv", str(tmp_path / "x"), str(d / "execution.log"), env=env)
    assert bad.returncode == 2 and "unknown export format" in bad.stderr


def test_the_query_screens_child_inherits_the_dashboards_cache_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from execlog_tui.cli import QUERY_CACHE_ENV, build_parser, pass_cache_options

    monkeypatch.delenv(QUERY_CACHE_ENV, raising=False)
    pass_cache_options(build_parser().parse_args(["--no-cache", str(ROTATED)]))
    off = os.environ[QUERY_CACHE_ENV]
    pass_cache_options(build_parser().parse_args(["--cache-dir", str(tmp_path / "d"), str(ROTATED)]))
    there = os.environ[QUERY_CACHE_ENV]
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    q = "SELECT count(*) FROM entries"
    assert _cli("--query", q, str(ROTATED), env=dict(env, **{QUERY_CACHE_ENV: off})).returncode == 0
    assert not (tmp_path / "xdg").exists()
    assert _cli("--query", q, str(ROTATED), env=dict(env, **{QUERY_CACHE_ENV: there})).returncode == 0
    assert not (tmp_path / "xdg").exists()
    assert len(list((tmp_path / "d" / "parquet").rglob("*.parquet"))) == 8
    # The child's own options win over what it inherited.
    own = _cli(
        "--cache-dir", str(tmp_path / "own"), "--query", q, str(ROTATED), env=dict(env, **{QUERY_CACHE_ENV: off})
    )
    assert own.returncode == 0 and (tmp_path / "own" / "parquet").is_dir()


def test_a_copy_removed_after_it_was_checked_gives_way_to_its_archive(tmp_path: Path) -> None:
    from execlog_tui.query.load import LINE_LIMIT, demote_failing, load_sets
    from execlog_tui.sources.logset import discover

    store = CacheStore(tmp_path / "cache")
    plain = run_query([ROTATED], ALL_ENTRIES)
    run_query([ROTATED], ALL_ENTRIES, store=store)  # fills the store
    con = duckdb.connect()
    stats = load_sets(con, discover([ROTATED]), store=store)
    assert stats.cache is not None and stats.cache.hits == len(stats.copies) == 4
    for p in _copies(store):
        p.unlink()  # as another instance's prune would
    with pytest.raises(duckdb.IOException):
        con.execute(ALL_ENTRIES).fetchall()
    assert demote_failing(con, stats, LINE_LIMIT) == 4
    assert con.execute(ALL_ENTRIES).fetchall() == plain.rows
