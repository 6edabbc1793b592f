"""A rotated archive whose gzip checksum fails gives the follower exactly what it gives batch and queries
(one reader): the lines before the damage, none of the garbage after it, and the reader's warning."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from execlog_tui.sources.follower import ARCHIVE_READ, WARNING, LogFollower
from execlog_tui.sources.reader import SourceWarning, read_batches
from tests.unit.follower.helpers import Collector, line
from tests.unit.follower.test_follower import lines_text
from tests.unit.sources.test_archive_checksum import _crc_only_damage, _intact_lines, _lines


def test_a_checksum_failure_in_a_rotated_archive_gives_the_readers_lines(tmp_path: Path) -> None:
    p = tmp_path / "execution.log"
    p.write_text(lines_text(0, 2))
    with LogFollower(p) as f:
        c = Collector(f)
        c.poll()
        # Two rotations between looks: B (never seen) is compressed, and its member's checksum fails.
        os.rename(p, tmp_path / "execution.log.1")
        p.write_text(lines_text(2, 20002))
        os.rename(tmp_path / "execution.log.1", tmp_path / "execution.log.2")
        os.rename(p, tmp_path / "execution.log.1")
        p.write_text(lines_text(20002, 20004))
        archive = tmp_path / "execution.log.1.gz"
        # Lines of varied times and details, as a real log's (in a log of one line repeated, garbage
        # copied from earlier lines still parses: see the README's Reliability section).
        original = _lines(0, 20_000)
        damaged = _crc_only_damage(gzip.compress(original))
        archive.write_bytes(damaged)
        (tmp_path / "execution.log.1").unlink()
        b = c.poll()
        history: list[SourceWarning] = []
        read = [text for batch, _cut in read_batches(archive, history) for text in batch]
        intact = _intact_lines(damaged, original)
        assert 1000 < intact < 19000
        assert read == original.decode().splitlines()[:intact]  # the lines before the damage, no garbage
        assert c.lines == [line(0), line(1), *read, line(20002), line(20003)]
        warnings = [(e.path, e.message) for e in b.events if e.kind == WARNING]
        assert len(history) == 1 and "first line that is not an entry" in history[0].message
        assert warnings == [(history[0].file, history[0].message)]
        assert ARCHIVE_READ in c.events
