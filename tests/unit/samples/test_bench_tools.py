"""bench/gen_bigset.py and bench/bench_batch.py at a tiny scale: a valid, reproducible set and honest RSS figures."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))

import bench_batch  # noqa: E402
import gen_bigset  # noqa: E402


def gen(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "gen_bigset.py"), "--files", "3", "--mb", "2", "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def members(out: Path) -> list[Path]:
    return [out / "execution.log.2.gz", out / "execution.log.1.gz", out / "execution.log"]


def test_small_set_is_valid_ordered_and_reproducible(tmp_path: Path) -> None:
    gen(tmp_path / "a")
    gen(tmp_path / "b", "--compressor", "zlib")
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    lines: list[str] = []
    for path in members(tmp_path / "a"):
        data = path.read_bytes()
        assert (data[:2] == b"\x1f\x8b") == path.name.endswith(".gz")
        text = gzip.decompress(data).decode() if path.name.endswith(".gz") else data.decode()
        assert len(text.encode()) <= 2 * 1024 * 1024
        assert text.split("\n", 1)[0].endswith("|SYSTEM|ROTATE|0|INFO|Log rotated")
        other = tmp_path / "b" / path.name
        other_text = gzip.decompress(other.read_bytes()).decode() if path.name.endswith(".gz") else other.read_text()
        assert text == other_text  # same seed, same content, whatever the compressor
        lines.extend(text.splitlines())
    assert len(lines) == manifest["lines"]
    stamps = [line[:24] for line in lines]
    assert stamps == sorted(stamps)
    assert any("|BOOTSTRAP|COMPLETE|467|" in line for line in lines)
    assert any("|CACHE|CIRCUIT_OPEN|" in line for line in lines)
    assert any("|CRITICAL|" in line for line in lines)


def test_up_to_date_set_is_not_regenerated(tmp_path: Path) -> None:
    out = tmp_path / "s"
    gen(out)
    live = out / "execution.log"
    before = live.stat().st_mtime_ns
    again = gen(out)
    assert "up to date" in again.stdout
    assert live.stat().st_mtime_ns == before
    live.write_bytes(b"damaged")  # a member that no longer matches the manifest forces a remake
    gen(out)
    assert live.stat().st_size > 1000


def test_tree_rss_is_summed_over_processes() -> None:
    # Two processes of about 60 MB each: the tree figure must see both. (ru_maxrss is not checked here:
    # RUSAGE_CHILDREN is the largest child the test process ever waited for, which under pytest may be
    # any earlier, larger child.)
    hold = "import sys, time; b = bytearray(60 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(0.6)"
    cmd = ["bash", "-c", f"{sys.executable} -c {hold!r} & {sys.executable} -c {hold!r}; wait"]
    run = bench_batch.measure(cmd)
    assert run.returncode == 0
    assert run.tree_rss_mb > 110
    assert run.maxrss_mb > 60


def test_floor_command_reads_archives_oldest_first(tmp_path: Path) -> None:
    gen(tmp_path)
    cmd = bench_batch.floor_command(tmp_path)
    script = cmd[-1]
    assert script.index("execution.log.2.gz") < script.index("execution.log.1.gz") < script.index("; cat ")
    run = bench_batch.measure(cmd)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert int(run.stdout.split()[0]) == manifest["lines"]


def test_bad_size_is_refused_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_batch.py"), "--size", "seven"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "expected FILESxMB" in proc.stderr


@pytest.mark.parametrize("size", ["7x10", "3X1"])
def test_parse_size(size: str) -> None:
    files, mb = bench_batch.parse_size(size)
    assert (files, mb) == tuple(int(x) for x in size.lower().split("x"))
    assert gen_bigset.default_out(files, mb).name == f"bigset-{files}x{mb}"
