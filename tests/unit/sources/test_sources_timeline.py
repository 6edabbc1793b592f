"""iter_set and merge_sets: one timeline from a rotated set, and from several sets merged by time."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.timefmt import parse_timestamp
from execlog_tui.sources.logset import discover
from execlog_tui.sources.reader import SourceWarning
from execlog_tui.sources.timeline import iter_set, merge_items, merge_sets


def entry_line(ts: str, tag: str) -> str:
    return f"{ts}|API|REQUEST|3|SUCCESS|tag={tag}\n"


def make_set(directory: Path, tag: str, seconds: list[list[int]]) -> None:
    """A set whose members (oldest first, the live file last) hold entries at these seconds."""
    directory.mkdir(exist_ok=True)
    files = [f"execution.log.{k}.gz" for k in range(len(seconds) - 1, 0, -1)] + ["execution.log"]
    for name, secs in zip(files, seconds, strict=True):
        text = "".join(entry_line(f"2025-09-09T10:00:{s:02d}Z", f"{tag}{s}") for s in secs).encode()
        (directory / name).write_bytes(gzip.compress(text) if name.endswith(".gz") else text)


def tags(items: list[Entry | ParseError]) -> list[str]:
    return [i.details.removeprefix("tag=") if isinstance(i, Entry) else f"!{i.raw}" for i in items]


def test_iter_set_reads_members_in_order(tmp_path: Path) -> None:
    make_set(tmp_path, "a", [[1, 2], [3], [4, 5]])
    [s] = discover([tmp_path])
    warnings: list[SourceWarning] = []
    out = [(m.path.name, lines) for m, lines, _cut in iter_set(s, warnings)]
    assert out == [
        (
            "execution.log.2.gz",
            [entry_line("2025-09-09T10:00:01Z", "a1")[:-1], entry_line("2025-09-09T10:00:02Z", "a2")[:-1]],
        ),
        ("execution.log.1.gz", [entry_line("2025-09-09T10:00:03Z", "a3")[:-1]]),
        (
            "execution.log",
            [entry_line("2025-09-09T10:00:04Z", "a4")[:-1], entry_line("2025-09-09T10:00:05Z", "a5")[:-1]],
        ),
    ]
    assert warnings == []


def test_damaged_member_does_not_stop_the_set(tmp_path: Path) -> None:
    make_set(tmp_path, "a", [[1], [2], [3]])
    damaged = tmp_path / "execution.log.1.gz"
    data = damaged.read_bytes()
    damaged.write_bytes(data[: len(data) - 12])  # truncated: the end of the stream is gone
    (tmp_path / "execution.log.3.gz").write_bytes(b"")  # empty archive, no entries: read first
    [s] = discover([tmp_path])
    warnings: list[SourceWarning] = []
    items = list(merge_sets([s], warnings))
    assert tags(items) == ["a1", "a3"]  # a2 had no newline before the cut: dropped with the warning
    assert [(Path(w.file).name, w.message.split(":")[0]) for w in warnings] == [
        ("execution.log.3.gz", "empty archive"),
        ("execution.log.1.gz", "archive ends early (truncated gzip)"),
    ]


def test_merge_two_sets_by_timestamp(tmp_path: Path) -> None:
    make_set(tmp_path / "a", "a", [[1, 4], [5, 9]])
    make_set(tmp_path / "b", "b", [[2, 3], [4, 6, 10]])
    sets = discover([tmp_path / "a", tmp_path / "b"])
    items = list(merge_sets(sets, []))
    assert tags(items) == ["a1", "b2", "b3", "a4", "b4", "a5", "b6", "a9", "b10"]
    ts = [i.ts for i in items]
    assert ts == sorted(ts)  # type: ignore[type-var]
    assert ts[0] == parse_timestamp("2025-09-09T10:00:01Z")


def test_parse_error_stays_after_the_entry_before_it(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "execution.log").write_text(
        "junk-first\n"
        + entry_line("2025-09-09T10:00:01Z", "a1")
        + "junk-after-a1\n\n"
        + entry_line("2025-09-09T10:00:05Z", "a5")
    )
    (b / "execution.log").write_text(
        entry_line("2025-09-09T10:00:00Z", "b0") + entry_line("2025-09-09T10:00:03Z", "b3") + "junk-after-b3\n"
    )
    items = list(merge_sets(discover([a, b]), []))
    assert tags(items) == ["!junk-first", "b0", "a1", "!junk-after-a1", "b3", "!junk-after-b3", "a5"]
    assert isinstance(items[0], ParseError) and items[0].reason


def test_single_set_keeps_its_own_order(tmp_path: Path) -> None:
    # A late entry is not reordered: SPEC section 3 handles it by bucket, the reader never sorts.
    (tmp_path / "execution.log").write_text(
        entry_line("2025-09-09T10:00:05Z", "x5") + entry_line("2025-09-09T10:00:02Z", "x2")
    )
    assert tags(list(merge_sets(discover([tmp_path]), []))) == ["x5", "x2"]


def test_cut_lines_are_marked_on_entries(tmp_path: Path) -> None:
    (tmp_path / "execution.log").write_text(
        "2025-09-09T10:00:00Z|API|REQUEST|3|SUCCESS|" + "d" * 500 + "\n" + entry_line("2025-09-09T10:00:01Z", "ok")
    )
    warnings: list[SourceWarning] = []
    items = list(merge_sets(discover([tmp_path]), warnings, line_limit=100))
    assert [i.cut for i in items] == [True, False]
    assert isinstance(items[0], Entry) and len(items[0].raw) == 100
    assert warnings == [SourceWarning(str(tmp_path / "execution.log"), "line 1 cut at 100 bytes")]


def test_merge_items_ties_go_to_the_earlier_stream() -> None:
    e = [Entry(1000, "A", "B", 1.0, "INFO", f"s{i}", f"raw{i}") for i in range(3)]
    assert [i.details for i in merge_items([[e[0]], [e[1]], [e[2]]])] == ["s0", "s1", "s2"]


def test_sources_never_import_textual() -> None:
    code = (
        "import sys, execlog_tui.sources.logset, execlog_tui.sources.reader, execlog_tui.sources.timeline;"
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
