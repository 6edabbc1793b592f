"""A gzip archive damaged in the middle: a member's lines count only once its checksum passed."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from execlog_tui.sources.reader import read_batches

ROOT = Path(__file__).resolve().parents[3]
BASE_LINE = "2025-09-09T10:{m:02d}:{s:02d}.{ms:03d}Z|{comp}|CALL|{d}|SUCCESS|seq={i} user=u{u}\n"


def _lines(start: int, n: int) -> bytes:
    out = []
    for i in range(start, start + n):
        out.append(
            BASE_LINE.format(m=i // 60000 % 60, s=i // 1000 % 60, ms=i % 1000, comp="API", d=i % 97, i=i, u=i % 13)
        )
    return "".join(out).encode()


def _crc_only_damage(member: bytes) -> bytes:
    """The member with one byte changed in the middle such that it still inflates to its end (garbage
    after the change) and only its checksum fails: the case that used to count garbage."""
    for off in range(len(member) // 2, len(member) - 8):
        bad = bytearray(member)
        bad[off] ^= 0x04
        d = zlib.decompressobj(wbits=31)
        try:
            d.decompress(bytes(bad))
        except zlib.error as e:
            if "incorrect data check" in str(e):
                return bytes(bad)
            continue
    raise AssertionError("no CRC-only damage found")


@pytest.mark.parametrize("env", [{}, {"EXECLOG_NO_FASTPATH": "1"}], ids=["fastpath", "per-line"])
def test_a_member_whose_checksum_fails_adds_nothing(tmp_path: Path, env: dict[str, str]) -> None:
    good = gzip.compress(_lines(0, 5_000))
    bad = _crc_only_damage(gzip.compress(_lines(5_000, 20_000)))
    (tmp_path / "execution.log.1.gz").write_bytes(good + bad)
    (tmp_path / "execution.log").write_bytes(_lines(25_000, 10))
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    if not env:
        full_env.pop("EXECLOG_NO_FASTPATH", None)
    out = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "-b", "--json", str(tmp_path)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    src = json.loads(out.stdout)["source"]
    # The intact first member and the live file; nothing of the damaged member (before the fix: its
    # garbage as parse errors and bogus entries).
    assert src["entries"] == 5_010
    assert src["parse_errors"] == 0
    (warning,) = [w for w in src["warnings"] if w["file"].endswith("execution.log.1.gz")]
    assert warning["message"].startswith("damaged gzip archive: read up to line 5000: ")
    assert "held back until the checksum and left out" in warning["message"]


def test_an_archive_cut_short_still_yields_every_complete_line(tmp_path: Path) -> None:
    data = gzip.compress(_lines(0, 3_000))
    p = tmp_path / "execution.log.1.gz"
    p.write_bytes(data[: len(data) - 20])  # no trailer: ends early, nothing says it is garbage
    warnings: list = []
    n = sum(len(lines) for lines, _cut in read_batches(p, warnings))
    assert 2_900 < n < 3_000
    assert "archive ends early" in warnings[0].message
