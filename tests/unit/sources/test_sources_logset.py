"""discover(): every rule of SPEC section 2 for finding and ordering log sets, on real directories."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from execlog_tui.core.timefmt import parse_timestamp
from execlog_tui.sources.logset import LogSet, SourceError, discover, parse_rotated


def line(ts: str, n: int = 0) -> str:
    return f"{ts}|CACHE|HIT|1|SUCCESS|n={n}\n"


def write(p: Path, first_ts: str | None, gz: bool = False, extra: int = 2) -> Path:
    text = "" if first_ts is None else "".join(line(first_ts, i) for i in range(extra))
    data = text.encode()
    p.write_bytes(gzip.compress(data) if gz else data)
    return p


def names(log_set: LogSet) -> list[str]:
    return [m.path.name for m in log_set.members]


def test_numbered_set_ordered_by_first_timestamp(tmp_path: Path) -> None:
    write(tmp_path / "execution.log", "2025-09-09T10:04:00Z")
    write(tmp_path / "execution.log.1", "2025-09-09T10:03:00Z")
    write(tmp_path / "execution.log.2.gz", "2025-09-09T10:02:00Z", gz=True)
    write(tmp_path / "execution.log.10.gz", "2025-09-09T10:00:00Z", gz=True)  # 10 sorts after 2 as text
    write(tmp_path / "execution.log.3.gz", "2025-09-09T10:01:00Z", gz=True)
    [s] = discover([tmp_path])
    assert s.name == "execution.log" and s.directory == tmp_path
    assert names(s) == [
        "execution.log.10.gz",
        "execution.log.3.gz",
        "execution.log.2.gz",
        "execution.log.1",
        "execution.log",
    ]
    assert [m.live for m in s.members] == [False, False, False, False, True]
    assert [m.rotation for m in s.members] == [10, 3, 2, 1, None]
    assert s.members[0].first_ts == parse_timestamp("2025-09-09T10:00:00Z")


def test_order_follows_timestamps_not_numbers(tmp_path: Path) -> None:
    # A renumbering gone wrong: the file contents decide, not the suffix.
    write(tmp_path / "execution.log.1", "2025-09-09T09:00:00Z")
    write(tmp_path / "execution.log.2", "2025-09-09T11:00:00Z")
    [s] = discover([tmp_path])
    assert names(s) == ["execution.log.1", "execution.log.2"]  # and no live file: still a set


def test_ties_read_the_older_rotation_first(tmp_path: Path) -> None:
    for k in (1, 2, 3):
        write(tmp_path / f"execution.log.{k}", "2025-09-09T10:00:00Z")
    write(tmp_path / "execution.log", "2025-09-09T10:00:00Z")
    [s] = discover([tmp_path])
    assert names(s) == ["execution.log.3", "execution.log.2", "execution.log.1", "execution.log"]


def test_live_file_is_last_even_if_older(tmp_path: Path) -> None:
    write(tmp_path / "execution.log", "2025-09-09T08:00:00Z")
    write(tmp_path / "execution.log.1", "2025-09-09T09:00:00Z")
    [s] = discover([tmp_path])
    assert names(s) == ["execution.log.1", "execution.log"]


def test_dateext_members(tmp_path: Path) -> None:
    write(tmp_path / "execution.log", "2025-09-11T00:00:00Z")
    write(tmp_path / "execution.log-20250910", "2025-09-10T00:00:00Z")
    write(tmp_path / "execution.log-20250909.gz", "2025-09-09T00:00:00Z", gz=True)
    # same first timestamp: the older date first
    write(tmp_path / "execution.log-20250908.gz", "2025-09-09T00:00:00Z", gz=True)
    [s] = discover([tmp_path])
    assert names(s) == [
        "execution.log-20250908.gz",
        "execution.log-20250909.gz",
        "execution.log-20250910",
        "execution.log",
    ]
    assert [m.rotation for m in s.members] == [20250908, 20250909, 20250910, None]


def test_plain_member_preferred_over_its_gz(tmp_path: Path) -> None:
    write(tmp_path / "execution.log.1", "2025-09-09T10:00:00Z")
    (tmp_path / "execution.log.1.gz").write_bytes(gzip.compress(line("2025-09-09T10:00:00Z").encode())[:10])
    write(tmp_path / "execution.log.2.gz", "2025-09-09T09:00:00Z", gz=True)
    [s] = discover([tmp_path])
    assert names(s) == ["execution.log.2.gz", "execution.log.1"]


def test_strangers_and_temporary_files_ignored(tmp_path: Path) -> None:
    write(tmp_path / "execution.log", "2025-09-09T10:00:00Z")
    for stranger in (
        "execution.log.tmp",
        "execution.log.1.tmp",
        "execution.log.2.gz.partial",
        "execution.log.lock",
        "execution.log~",
        ".execution.log.swp",
        "execution.log.3.swp",
        "execution.log.old",
        "execution.log.1.1",
        "execution.logger",
        "other.log.1",
        "README",
        "execution.log.gz",
        "execution.log.tmp.4",
    ):
        write(tmp_path / stranger, "2025-09-09T09:00:00Z")
    (tmp_path / "execution.log.5").mkdir()  # a directory is never a member
    [s] = discover([tmp_path])
    assert names(s) == ["execution.log"]


def test_file_path_gives_its_set(tmp_path: Path) -> None:
    write(tmp_path / "execution.log", "2025-09-09T10:01:00Z")
    write(tmp_path / "execution.log.3.gz", "2025-09-09T10:00:00Z", gz=True)
    write(tmp_path / "app.log", "2025-09-09T10:00:00Z")
    for arg in ("execution.log", "execution.log.3.gz"):
        [s] = discover([tmp_path / arg])
        assert s.name == "execution.log"
        assert names(s) == ["execution.log.3.gz", "execution.log"]
    [s] = discover([str(tmp_path / "app.log")])
    assert s.name == "app.log" and names(s) == ["app.log"]


def test_directory_without_execution_log_gives_every_set(tmp_path: Path) -> None:
    write(tmp_path / "api.log", "2025-09-09T10:01:00Z")
    write(tmp_path / "api.log.1.gz", "2025-09-09T10:00:00Z", gz=True)
    write(tmp_path / "worker.log-20250909", "2025-09-09T10:00:00Z")  # archives only, no live file
    write(tmp_path / "single.log", "2025-09-09T10:00:00Z")
    write(tmp_path / "notes.txt", None)
    write(tmp_path / "scratch.log.tmp", None)
    sets = discover([tmp_path])
    assert [(s.name, names(s)) for s in sets] == [
        ("api.log", ["api.log.1.gz", "api.log"]),
        ("single.log", ["single.log"]),
        ("worker.log", ["worker.log-20250909"]),
    ]


def test_execution_log_archives_alone_make_it_the_set(tmp_path: Path) -> None:
    write(tmp_path / "execution.log.1", "2025-09-09T10:00:00Z")
    write(tmp_path / "api.log", "2025-09-09T10:00:00Z")
    [s] = discover([tmp_path])
    assert s.name == "execution.log" and names(s) == ["execution.log.1"]


def test_empty_directory_gives_the_default_set_with_no_members(tmp_path: Path) -> None:
    [s] = discover([tmp_path])
    assert s.name == "execution.log" and s.members == () and s.live == tmp_path / "execution.log"
    [s] = discover([tmp_path], default_name="app.log")
    assert s.name == "app.log"


def test_same_set_named_twice_is_read_once(tmp_path: Path) -> None:
    write(tmp_path / "execution.log", "2025-09-09T10:00:00Z")
    write(tmp_path / "execution.log.1", "2025-09-09T09:00:00Z")
    sets = discover([tmp_path, tmp_path / "execution.log", tmp_path / "execution.log.1", tmp_path / "." / ""])
    assert len(sets) == 1


def test_several_sets_keep_argument_order(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    write(a / "execution.log", "2025-09-09T10:00:00Z")
    write(b / "execution.log", "2025-09-09T09:00:00Z")
    assert [s.directory for s in discover([b, a])] == [b, a]


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"^no such file or directory: .*nowhere/execution.log$"):
        discover([tmp_path / "nowhere" / "execution.log"])
    with pytest.raises(SourceError, match="no such file or directory"):
        discover([tmp_path / "execution.log"])
    # a missing live file whose archives exist is fine
    write(tmp_path / "execution.log.1.gz", "2025-09-09T10:00:00Z", gz=True)
    [s] = discover([tmp_path / "execution.log"])
    assert names(s) == ["execution.log.1.gz"]
    [s] = discover([tmp_path / "execution.log.2.gz"])  # a vanished archive of a set that exists
    assert names(s) == ["execution.log.1.gz"]


def test_members_without_entries_come_first(tmp_path: Path) -> None:
    write(tmp_path / "execution.log.1", "2025-09-09T10:00:00Z")
    write(tmp_path / "execution.log.2.gz", None, gz=True)  # valid gzip of nothing
    (tmp_path / "execution.log.3").write_bytes(b"no entries here\n")
    [s] = discover([tmp_path])
    assert names(s) == ["execution.log.3", "execution.log.2.gz", "execution.log.1"]
    assert [m.first_ts for m in s.members[:2]] == [None, None]


def test_first_timestamp_of_a_mislabelled_archive(tmp_path: Path) -> None:
    write(tmp_path / "execution.log.1", "2025-09-09T10:00:00Z", gz=True)  # gzip without .gz
    write(tmp_path / "execution.log.2.gz", "2025-09-09T09:00:00Z", gz=False)  # plain text with .gz
    [s] = discover([tmp_path])
    assert names(s) == ["execution.log.2.gz", "execution.log.1"]
    assert s.members[1].first_ts == parse_timestamp("2025-09-09T10:00:00Z")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("execution.log.1", ("execution.log", 1, False, False)),
        ("execution.log.12.gz", ("execution.log", 12, False, True)),
        ("execution.log-20250909", ("execution.log", 20250909, True, False)),
        ("execution.log-20250909.gz", ("execution.log", 20250909, True, True)),
        ("execution.log", None),
        ("execution.log.gz", None),
        ("execution.log.1.tmp", None),
        ("execution.log.tmp.1", None),
    ],
)
def test_parse_rotated(name: str, expected: tuple[str, int, bool, bool] | None) -> None:
    r = parse_rotated(name)
    assert (None if r is None else (r.base, r.rotation, r.dateext, r.gz)) == expected


def test_a_fifo_is_never_opened_by_discovery(tmp_path: Path) -> None:
    # Peeking at a FIFO would block until a writer came (and steal its first lines): a FIFO live file
    # is a member without a first timestamp, and a FIFO among the archives is no member at all.
    import os
    import subprocess
    import sys

    write(tmp_path / "execution.log.1", "2025-09-09T10:00:00Z")
    os.mkfifo(tmp_path / "execution.log")
    os.mkfifo(tmp_path / "execution.log.2")
    code = (
        "import sys; from execlog_tui.sources.logset import discover;"
        "[s] = discover([sys.argv[1]]);"
        "print([(m.path.name, m.live, m.first_ts is None) for m in s.members])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout.strip() == "[('execution.log.1', False, False), ('execution.log', True, True)]"
