"""A gzip archive damaged in the middle: a member's lines are held until its checksum passes; when it fails,
the lines before the damage come through and the garbage after it does not (SPEC 2 and issue 13)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from execlog_tui.sources.reader import intact_prefix, read_batches

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


def _intact_lines(damaged: bytes, original: bytes) -> int:
    """Complete lines the damaged member inflates to exactly, before its first wrong byte."""
    out = zlib.decompressobj(wbits=31).decompress(damaged[:-8])  # without its trailer: not checked
    assert out != original
    first_bad = next(i for i, (a, b) in enumerate(zip(out, original, strict=False)) if a != b)
    return original.count(b"\n", 0, first_bad)


@pytest.mark.parametrize("env", [{}, {"EXECLOG_NO_FASTPATH": "1"}], ids=["fastpath", "per-line"])
def test_a_member_whose_checksum_fails_yields_its_lines_before_the_damage_and_no_garbage(
    tmp_path: Path, env: dict[str, str]
) -> None:
    # SPEC 2: every complete line before the damage; issue 13: none of the garbage after it (before
    # the fix the garbage came through as thousands of parse errors and hundreds of bogus entries;
    # then, held whole, the member gave nothing at all).
    good = gzip.compress(_lines(0, 5_000))
    original = _lines(5_000, 20_000)
    bad = _crc_only_damage(gzip.compress(original))
    intact = _intact_lines(bad, original)
    assert 1_000 < intact < 19_000  # damaged in the middle
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
    assert src["parse_errors"] == 0
    (warning,) = [w for w in src["warnings"] if w["file"].endswith("execution.log.1.gz")]
    read_up_to = int(warning["message"].split("read up to line ")[1].split(":")[0])
    assert warning["message"].startswith(f"damaged gzip archive: read up to line {read_up_to}: ")
    assert "first line that is not an entry on were left out" in warning["message"]
    # The intact member, the damaged one's lines before the damage (a line at the damage that still
    # parses may come too: at most a few), and the live file.
    assert 5_000 + intact <= read_up_to <= 5_000 + intact + 3
    assert src["entries"] == read_up_to + 10


def test_the_lines_before_the_damage_are_the_original_ones(tmp_path: Path) -> None:
    original = _lines(0, 20_000)
    bad = _crc_only_damage(gzip.compress(original))
    p = tmp_path / "execution.log.1.gz"
    p.write_bytes(bad)
    warnings: list = []
    got = [line for lines, _cut in read_batches(p, warnings) for line in lines]
    intact = _intact_lines(bad, original)
    want = original.decode().splitlines()
    assert got[:intact] == want[:intact]
    assert intact <= len(got) <= intact + 3
    assert len(warnings) == 1 and warnings[0].message.startswith(f"damaged gzip archive: read up to line {len(got)}: ")


def test_intact_prefix_stops_at_the_first_line_that_is_not_an_entry() -> None:
    entry = b"2025-09-09T10:00:00.000Z|API|CALL|1|SUCCESS|ok\n"
    window = entry * 3 + b"\n  \n" + entry + b"\x07garbage|x\n" + entry
    assert intact_prefix(window) == len(entry * 4) + 4
    assert intact_prefix(entry * 2 + entry[:10]) == len(entry * 2)  # an unfinished last line: not passed on
    # A window that starts inside a line whose start was passed on: that rest is not judged.
    assert intact_prefix(b"S|x\n" + entry + b"junk\n", mid_line=True) == 4 + len(entry)
    assert intact_prefix(b"", mid_line=True) == 0


def test_an_archive_cut_short_still_yields_every_complete_line(tmp_path: Path) -> None:
    data = gzip.compress(_lines(0, 3_000))
    p = tmp_path / "execution.log.1.gz"
    p.write_bytes(data[: len(data) - 20])  # no trailer: ends early, nothing says it is garbage
    warnings: list = []
    n = sum(len(lines) for lines, _cut in read_batches(p, warnings))
    assert 2_900 < n < 3_000
    assert "archive ends early" in warnings[0].message
