"""Queries over the live file's kept copy (livecopy.py): the same rows as --no-cache however the file changed."""

from __future__ import annotations

import gzip
import json
import os
import random
from pathlib import Path

import pytest

from execlog_tui.cache.store import CacheStore
from execlog_tui.core.parser import LINE_LIMIT
from execlog_tui.query import REPORTS, run_query
from execlog_tui.query.livecopy import KIND, REKEEP_MIN

from .conftest import ERR_SQL, ROW_SQL
from .test_columnar_cache import ALL_ENTRIES, ALL_ERRORS, _make_set, _random_lines, _same

QUERIES = [ALL_ENTRIES, ALL_ERRORS, ROW_SQL, ERR_SQL, "SELECT count(*), max(line) FROM entries", *REPORTS]


def _copies(store: CacheStore) -> list[Path]:
    """The kept Parquet files of live files (the side items are store items: they start with its magic)."""
    return sorted(p for p in (store.dir / KIND).rglob(f"*.{KIND}") if p.read_bytes()[:4] == b"PAR1")


def _agree(
    live: Path, store: CacheStore, queries: list[str] = QUERIES, line_limit: int | None = None
) -> dict[str, int]:
    """Every query gives with the store what it gives without; the store's hits, builds and the like."""
    extra = {} if line_limit is None else {"line_limit": line_limit}
    got: dict[str, int] = {}
    for q in queries:
        plain = run_query([live], q, **extra)  # type: ignore[arg-type]
        cached = run_query([live], q, store=store, **extra)  # type: ignore[arg-type]
        assert cached.columns == plain.columns, q
        assert _same(cached.rows, plain.rows), q
        assert cached.warnings == plain.warnings, q
        assert cached.stats is not None and cached.stats.cache is not None
        if not got:
            c = cached.stats.cache
            got = {"hits": c.hits, "built": c.built, "rebuilt": c.rebuilt, "failed": c.failed}
            kept = cached.stats.live.get(str(live))
            got["kept_lines"] = kept.prefix.lines if kept is not None and kept.prefix is not None else 0
            got["tail_slow"] = int(kept is not None and kept.tail_slow)
    return got


def _append(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def test_unchanged_appended_rewritten_truncated_and_rotated(tmp_path: Path) -> None:
    d = tmp_path / "logs"
    _make_set(d)
    live = d / "execution.log"
    store = CacheStore(tmp_path / "cache")
    lines = live.read_bytes().count(b"\n")
    cold = _agree(live, store)
    assert cold["built"] == 4 and cold["kept_lines"] == lines  # three archives and the live file's lines
    assert len(_copies(store)) == 1
    warm = _agree(live, store)
    assert warm["hits"] == 4 and warm["built"] == 0 and warm["kept_lines"] == lines
    # Appended: entries, parse errors, blank lines, lines the parser alone judges, and a last line
    # without its newline (a writer mid-line).
    rng = random.Random(3)
    more = _random_lines(rng, 200, 90_000_000_000)
    _append(live, ("\n".join(more) + "\n").encode())
    _append(live, b"\n\n \n2025-09-10T01:00:00.000Z|API|CALL|5|SUCCESS|blank lines before\n")
    _append(live, "2025-09-10T01:00:01.000Z|Api|CALL|5|SUCCESS|caf\u00e9 \u00fcber\n".encode())
    _append(live, b"2025-09-10T01:00:02.000Z|API|CALL|5|SUCC")
    grown = _agree(live, store)
    assert grown["hits"] == 4 and grown["built"] == 0 and grown["kept_lines"] == lines  # the tail read fresh
    # The cut line is completed: the tail holds it whole now.
    _append(live, b"ESS|completed\n")
    assert _agree(live, store)["kept_lines"] == lines
    # Rewritten in place, the same size: a byte of the kept lines differs, the copy is not used.
    data = bytearray(live.read_bytes())
    at = data.index(b"CALL", len(data) // 4)
    data[at : at + 4] = b"CALX"
    with open(live, "r+b") as f:
        f.write(bytes(data))
    rewritten = _agree(live, store)
    assert rewritten["hits"] == 3 and rewritten["built"] == 1
    assert len(_copies(store)) == 1  # the new copy replaced the old one
    assert _agree(live, store)["hits"] == 4
    # Truncated (shorter than the copy).
    with open(live, "r+b") as f:
        f.truncate(len(data) // 2)
    truncated = _agree(live, store)
    assert truncated["hits"] == 3 and truncated["built"] == 1
    assert _agree(live, store)["hits"] == 4
    kept = truncated["kept_lines"]
    # Appended with CRLF lines (mixed endings), a line over the limit and invalid UTF-8: the tail through
    # the reader (its warnings numbered in the whole file, as without the copy), the copy still used.
    _append(live, b"2025-09-10T01:00:00.000Z|API|CALL|5|SUCCESS|crlf\r\n" + b"garbage\r\n" + b"\r\n")
    _append(live, b"2025-09-10T01:00:00.000Z|API|CALL|5|SUCCESS|cr\rinside\n")
    _append(live, b"2025-09-10T01:00:03.000Z|API|CALL|5|SUCCESS|" + b"y" * (LINE_LIMIT + 10) + b"\n")
    _append(live, b"2025-09-10T01:00:04.000Z|API|CALL|5|SUCCESS|latin-1 caf\xe9\n")
    slow = _agree(live, store, [ALL_ENTRIES, ALL_ERRORS, "performance"])
    assert slow["tail_slow"] == 1 and slow["built"] == 0 and slow["kept_lines"] == kept
    assert run_query([live], ALL_ENTRIES).warnings  # the cut line's
    # Another line limit is another rule for the rows: its own copy, built from the file, which DuckDB
    # cannot read as the reader would (the long line): none kept, the file read whole.
    other = _agree(live, store, [ALL_ENTRIES, ALL_ERRORS], line_limit=200)
    assert other["kept_lines"] == 0 and other["failed"] >= 1
    # Replaced by a new file, as a rotation does.
    os.rename(live, tmp_path / "old.log")  # out of the set (kept: the new file has another inode)
    live.write_text("2025-09-10T02:00:00.000Z|API|CALL|7|SUCCESS|new file\nnot an entry\n")
    rotated = _agree(live, store)
    assert rotated["kept_lines"] == 2 and rotated["built"] == 1
    assert _agree(live, store)["hits"] == 4


def test_a_tail_grown_past_the_margin_makes_a_longer_copy(tmp_path: Path) -> None:
    d = tmp_path / "logs"
    d.mkdir()
    live = d / "execution.log"
    rng = random.Random(5)
    live.write_text("\n".join(_random_lines(rng, 2000, 80_000_000_000)) + "\n")
    store = CacheStore(tmp_path / "cache")
    queries = [ALL_ENTRIES, ALL_ERRORS, "error_rate"]
    assert _agree(live, store, queries)["built"] == 1
    first = live.stat().st_size
    block = ("\n".join(_random_lines(rng, 1000, 90_000_000_000)) + "\n").encode()
    while live.stat().st_size - first < REKEEP_MIN:
        _append(live, block)
    _append(live, b"2025-09-10T01:00:02.000Z|API|CALL|5|SUCC")  # and a cut last line
    total = live.read_bytes().count(b"\n")
    longer = _agree(live, store, queries)
    assert longer["built"] == 1 and longer["kept_lines"] == total
    assert len(_copies(store)) == 1  # the longer copy replaced the first
    again = _agree(live, store, queries)
    assert again["hits"] == 1 and again["built"] == 0 and again["kept_lines"] == total


def test_a_corrupted_copy_is_a_miss(tmp_path: Path) -> None:
    d = tmp_path / "logs"
    d.mkdir()
    live = d / "execution.log"
    live.write_text("\n".join(_random_lines(random.Random(9), 3000, 80_000_000_000)) + "\n")
    store = CacheStore(tmp_path / "cache")
    queries = [ALL_ENTRIES, ALL_ERRORS]
    _agree(live, store, queries)
    for damage in ("flip", "truncate", "side", "empty-side", "another-duckdb"):
        (copy,) = _copies(store)
        side = [p for p in (store.dir / KIND).rglob(f"*.{KIND}") if p != copy][0]
        if damage == "flip":
            b = bytearray(copy.read_bytes())
            b[len(b) // 3] ^= 0x10
            copy.write_bytes(bytes(b))
        elif damage == "truncate":
            copy.write_bytes(copy.read_bytes()[:100])
        elif damage == "another-duckdb":  # a copy judged by another version: made again, replaced
            item = json.loads(store.load(KIND, side.stem) or b"")
            item["duckdb"] = "0.0.1"
            assert store.save(KIND, side.stem, json.dumps(item).encode())
        elif damage == "side":
            side.write_bytes(side.read_bytes()[:-3])
        else:
            side.write_bytes(b"")
        got = _agree(live, store, queries)
        assert got["hits"] == 0 and got["built"] == 1, damage
        assert got["rebuilt"] == (1 if damage in ("flip", "truncate") else 0), damage
        assert _agree(live, store, queries)["hits"] == 1
        assert len(_copies(store)) == 1, damage


def test_a_copy_removed_after_it_was_checked_gives_way_to_the_file(tmp_path: Path) -> None:
    import duckdb

    from execlog_tui.query.load import LINE_LIMIT, demote_failing, load_sets
    from execlog_tui.sources.logset import discover

    d = tmp_path / "logs"
    d.mkdir()
    live = d / "execution.log"
    live.write_text("\n".join(_random_lines(random.Random(2), 500, 80_000_000_000)) + "\n")
    store = CacheStore(tmp_path / "cache")
    plain = run_query([live], ALL_ENTRIES)
    run_query([live], ALL_ENTRIES, store=store)
    _append(live, b"2025-09-10T01:00:02.000Z|API|CALL|5|SUCCESS|after\n")
    plain = run_query([live], ALL_ENTRIES)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    con = duckdb.connect()
    stats = load_sets(con, discover([live]), store=store, scratch=scratch)
    assert stats.live[str(live)].prefix is not None
    for p in _copies(store):
        p.unlink()  # as another instance's prune would
    try:
        con.execute(ALL_ENTRIES).fetchall()
        raise AssertionError("the copy was read after it was removed")
    except duckdb.IOException:
        pass
    assert demote_failing(con, stats, LINE_LIMIT) == 1
    assert con.execute(ALL_ENTRIES).fetchall() == plain.rows


def test_nothing_kept_for_a_compressed_live_file_or_without_the_cache(tmp_path: Path) -> None:
    d = tmp_path / "logs"
    d.mkdir()
    live = d / "execution.log"
    with gzip.open(live, "wb") as f:
        f.write(("\n".join(_random_lines(random.Random(4), 500, 80_000_000_000)) + "\n").encode())
    store = CacheStore(tmp_path / "cache")
    _agree(live, store, [ALL_ENTRIES, ALL_ERRORS])
    assert not (store.dir / KIND).exists()
    plain = d / "plain.log"
    plain.write_text("2025-09-10T02:00:00.000Z|API|CALL|7|SUCCESS|x\n")
    run_query([plain], ALL_ENTRIES)  # no store: nothing written anywhere
    assert not (store.dir / KIND).exists()


def test_a_crlf_live_file(tmp_path: Path) -> None:
    d = tmp_path / "logs"
    d.mkdir()
    live = d / "execution.log"
    rng = random.Random(8)
    live.write_bytes(("\r\n".join(_random_lines(rng, 800, 80_000_000_000)) + "\r\n").encode())
    store = CacheStore(tmp_path / "cache")
    assert _agree(live, store)["built"] == 1
    _append(live, ("\r\n".join(_random_lines(rng, 50, 90_000_000_000)) + "\r\n\r\n").encode())
    grown = _agree(live, store)
    assert grown["hits"] == 1 and grown["tail_slow"] == 0 and grown["kept_lines"] > 0
    _append(live, b"2025-09-10T01:00:00.000Z|API|CALL|5|SUCCESS|lf only\n")  # mixed: the reader's
    mixed = _agree(live, store)
    assert mixed["hits"] == 1 and mixed["tail_slow"] == 1


def test_a_file_grown_past_the_tail_limit_is_judged_whole_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from execlog_tui.query import livecopy

    d = tmp_path / "logs"
    d.mkdir()
    live = d / "execution.log"
    rng = random.Random(6)
    live.write_text("\n".join(_random_lines(rng, 400, 80_000_000_000)) + "\n")
    store = CacheStore(tmp_path / "cache")
    queries = [ALL_ENTRIES, ALL_ERRORS]
    assert _agree(live, store, queries)["built"] == 1
    monkeypatch.setattr(livecopy, "TAIL_MAX", 1000)  # a scratch directory that takes 1000 bytes a tail
    _append(live, ("\n".join(_random_lines(rng, 100, 90_000_000_000)) + "\n").encode())
    again = _agree(live, store, queries)
    assert again["hits"] == 0 and again["built"] == 1 and again["kept_lines"] == live.read_bytes().count(b"\n")
    assert len(_copies(store)) == 1
    assert _agree(live, store, queries)["hits"] == 1


def test_a_tail_that_begins_as_gzip_does_reads_the_file_whole(tmp_path: Path) -> None:
    """The bytes after the kept copy start with gzip's magic (a parse error line): the tail is not
    read as a compressed file of its own (it raised), the file is read whole, as without the cache."""
    d = tmp_path / "logs"
    d.mkdir()
    live = d / "execution.log"
    rng = random.Random(9)
    live.write_text("\n".join(_random_lines(rng, 300, 80_000_000_000)) + "\n")
    store = CacheStore(tmp_path / "cache")
    assert _agree(live, store)["built"] == 1
    _append(live, b"\x1f\x8b junk line\n2025-09-10T01:00:00.000Z|API|CALL|5|SUCCESS|after\n")
    got = _agree(live, store)
    assert got["kept_lines"] == 0 and got["failed"] == 0
    _append(live, ("\n".join(_random_lines(rng, 50, 90_000_000_000)) + "\n").encode())
    assert _agree(live, store)["kept_lines"] == 0


def test_a_relative_cache_directory_keeps_items(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "logs"
    d.mkdir()
    live = d / "execution.log"
    live.write_text("\n".join(_random_lines(random.Random(2), 100, 80_000_000_000)) + "\n")
    monkeypatch.chdir(tmp_path)
    store = CacheStore(Path("rel-cache"))
    assert _agree(live, store, [ALL_ENTRIES])["built"] == 1 and store.write_errors == 0
    assert len(_copies(CacheStore(tmp_path / "rel-cache"))) == 1
    assert _agree(live, store, [ALL_ENTRIES])["hits"] == 1


def test_a_tail_the_grammar_accepts_whole_is_judged_without_the_parser(tmp_path: Path) -> None:
    """DuckDB's Python functions import NumPy (a seventh of a warm query's start): a warm query whose
    live tail the SQL grammar accepts line by line registers no parser; one refused line brings it back,
    and the rows are --no-cache's either way."""
    d = tmp_path / "logs"
    _make_set(d)
    live = d / "execution.log"
    store = CacheStore(tmp_path / "cache")
    _agree(live, store)  # the archives' and the live file's copies
    _append(live, b"2025-09-10T01:00:00.000Z|API|CALL|5|SUCCESS|a clean tail\n" * 3)
    assert _agree(live, store)["hits"] == 4
    warm = run_query([live], ALL_ENTRIES, store=store)
    assert warm.stats is not None and not warm.stats.parser
    assert warm.stats.live[str(live)].tail_sql is not None
    _append(live, b"\n\n")  # blank lines: DuckDB reads them as NULL, the views drop them unjudged
    assert _agree(live, store)["hits"] == 4
    blank = run_query([live], ALL_ENTRIES, store=store)
    assert blank.stats is not None and not blank.stats.parser
    for refused in (b"2025-09-10T01:00:01Z|API|CALL|5|SUCCESS|no fraction\n", b"not an entry\n"):
        _append(live, refused)
        assert _agree(live, store)["hits"] == 4
        again = run_query([live], ALL_ENTRIES, store=store)
        assert again.stats is not None and again.stats.parser and again.stats.rescued_lines >= 1
