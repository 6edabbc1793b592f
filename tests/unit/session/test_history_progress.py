"""The history's progress counts the bytes of data read (an archive's uncompressed size), as lines
arrive: it moves inside a file, not by whole files on disk."""

from __future__ import annotations

import gzip
from pathlib import Path

from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.timefmt import format_ts
from execlog_tui.pipeline import read_history, set_size
from execlog_tui.sources.logset import discover, member_bytes

T0 = 1_757_412_000_000


def test_progress_moves_with_the_data_read(tmp_path: Path) -> None:
    text = []
    for age in (2, 1):
        lines = "".join(f"{format_ts(T0 + i)}|API|CALL|{i % 9}|SUCCESS|a={age} i={i}\n" for i in range(20_000))
        text.append(lines)
        with gzip.open(tmp_path / f"execution.log.{age}.gz", "wt") as f:
            f.write(lines)
    (tmp_path / "execution.log").write_text(
        "".join(f"{format_ts(T0 + 30_000 + i)}|API|CALL|1|SUCCESS|l\n" for i in range(100))
    )
    sets = discover([str(tmp_path)])
    archive = next(m for m in sets[0].members if m.path.name.endswith(".1.gz"))
    assert member_bytes(archive) == len(text[1].encode())  # the trailer's size, not the file's
    total = set_size(sets)
    seen: list[tuple[int, int]] = []
    read_history(sets, MetricsEngine(wall_ms=T0 + 86_400_000), progress=lambda d, t: seen.append((d, t)))
    assert all(t == total for _d, t in seen)
    done = [d for d, _t in seen]
    assert done == sorted(done) and done[-1] == total
    first = member_bytes(next(m for m in sets[0].members if m.path.name.endswith(".2.gz")))
    inside = [d for d in done if 0 < d < first]
    assert len(inside) >= 3  # several steps inside the first archive
