"""Parquet (as the cache writes it, and Parquet 1's encodings) against DuckDB's own database file as the
columnar copy of archives (query/columnar.py).

    python bench/bench_columnar_format.py [SET_DIR]     # default bench/data/bigset

For the archives of the set (not the live file): the time to write every archive's rows (the same
judged SQL the cache uses), the size on disk, and the best of three runs of a GROUP BY over the copies
in a fresh connection (what a warm query pays) and of a scan of the instants, line numbers and details
(what user_patterns and a SELECT of whole entries read), each format in a child process of its own.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GROUP_BY = (
    "SELECT component, count(*) AS n, avg(duration_ms) AS avg_ms FROM {src} WHERE NOT parse_error "
    "GROUP BY component ORDER BY component"
)
SCAN = "SELECT max(ts_ms), sum(line), count(DISTINCT details) FROM {src} WHERE NOT parse_error"
FORMATS = {
    "parquet": "the cache's",  # columnar.WRITE_OPTIONS
    "parquet-v1": "FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION V1, ROW_GROUP_SIZE 262144",
    "duckdb": "",
}


def _child(fmt: str, out: Path, archives: list[str]) -> dict[str, float]:
    import duckdb

    from execlog_tui.query import columnar, load

    con = duckdb.connect()
    con.execute("SET memory_limit = '160MB'")
    con.execute("SET preserve_insertion_order = true")
    load._need_parser(con, load.LoadStats())
    t0 = time.perf_counter()
    if fmt == "duckdb":
        con.execute(f"ATTACH '{out / 'copies.duckdb'}' AS c")
    for i, a in enumerate(archives):
        sql = load._fast_sql(Path(a), load.LINE_LIMIT)
        assert sql is not None
        select = columnar.copy_select(sql)
        if fmt.startswith("parquet"):
            options = columnar.WRITE_OPTIONS if fmt == "parquet" else FORMATS[fmt]
            con.execute(f"COPY ({select}) TO '{out / f'a{i}.parquet'}' ({options})")
        else:
            con.execute(f"CREATE TABLE c.a{i} AS {select}")
    if fmt == "duckdb":
        con.execute("DETACH c")
    write_s = time.perf_counter() - t0
    con.close()
    size = sum(f.stat().st_size for f in out.iterdir())
    best = {}
    for name, query in (("group_by_s", GROUP_BY), ("scan_s", SCAN)):
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            con = duckdb.connect()
            if fmt.startswith("parquet"):
                src = f"read_parquet('{out}/a*.parquet')"
            else:
                con.execute(f"ATTACH '{out / 'copies.duckdb'}' AS c (READ_ONLY)")
                src = "(" + " UNION ALL ".join(f"SELECT * FROM c.a{i}" for i in range(len(archives))) + ")"
            con.execute(query.format(src=src)).fetchall()
            con.close()
            times.append(time.perf_counter() - t0)
        best[name] = min(times)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"write_s": write_s, "mb": size / 1e6, **best, "rss_mb": rss}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        print(json.dumps(_child(argv[1], Path(argv[2]), argv[3:])))
        return 0
    from execlog_tui.sources.logset import discover

    paths = argv or [str(ROOT / "bench" / "data" / "bigset")]
    archives = [str(m.path) for s in discover(paths) for m in s.members if not m.live]
    print(f"{len(archives)} archives, {sum(os.path.getsize(a) for a in archives) / 1e6:.0f} MB on disk")
    print(f"{'format':<16} {'MB on disk':>10} {'write s':>8} {'GROUP BY s':>10} {'scan s':>8} {'peak RSS MB':>12}")
    for fmt in FORMATS:
        out = Path(tempfile.mkdtemp(prefix="bench-columnar-"))
        try:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", fmt, str(out), *archives], capture_output=True, text=True
            )
            if proc.returncode:
                print(f"{fmt:<16} FAILED: {proc.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            print(
                f"{fmt:<16} {r['mb']:10.1f} {r['write_s']:8.2f} {r['group_by_s']:10.3f} {r['scan_s']:8.3f} "
                f"{r['rss_mb']:12.0f}"
            )
        finally:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
