"""Followers beyond MAX_HOLDING keep no descriptor between polls, and still deliver every line once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from execlog_tui.sources import follower as follower_mod
from execlog_tui.sources.follower import WARNING, LogFollower
from tests.unit.follower.helpers import Collector, line, seq_of


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def no_holding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(follower_mod, "MAX_HOLDING", 0)


def test_many_followers_hold_a_bounded_number_of_descriptors(tmp_path: Path) -> None:
    paths = []
    for i in range(follower_mod.MAX_HOLDING + 100):
        p = tmp_path / f"s{i:04d}.log"
        p.write_text(line(0) + "\n")
        paths.append(p)
    before = _open_fds()
    followers = [LogFollower(p) for p in paths]
    try:
        first = [f.poll().lines for f in followers]  # from the first byte: no history reader here
        assert _open_fds() - before <= follower_mod.MAX_HOLDING
        for p in paths:
            with p.open("a") as fh:
                fh.write(line(1) + "\n")
        second = [f.poll().lines for f in followers]
        assert all([seq_of(x) for x in a + b] == [0, 1] for a, b in zip(first, second, strict=True))
        assert _open_fds() - before <= follower_mod.MAX_HOLDING
    finally:
        for f in followers:
            f.close()


def test_a_rename_rotation_between_polls_loses_nothing_while_not_held(tmp_path: Path, no_holding: None) -> None:
    live = tmp_path / "execution.log"
    writer = live.open("a", buffering=1)
    writer.write(line(0) + "\n")
    f = LogFollower(live)
    c = Collector(f)
    try:
        c.poll()
        writer.write(line(1) + "\n")
        os.rename(live, tmp_path / "execution.log.1")
        writer.write(line(2) + "\n")  # the writer has not reopened yet: into the renamed file
        writer.close()
        before = _open_fds()
        with live.open("a") as fh:
            fh.write(line(3) + "\n")
        # poll() alone, not wait(): its watcher thread holds descriptors of its own (one per process).
        for _ in range(3):
            c.poll()
        assert [seq_of(x) for x in c.lines] == [0, 1, 2, 3]
        assert "rotated" in c.events
        assert _open_fds() == before  # nothing kept open between polls
    finally:
        f.close()


def test_a_file_deleted_while_not_held_is_reported_and_the_new_one_followed(tmp_path: Path, no_holding: None) -> None:
    live = tmp_path / "execution.log"
    live.write_text(line(0) + "\n")
    f = LogFollower(live)
    c = Collector(f)
    try:
        c.poll()
        new = tmp_path / "new"
        new.write_text(line(1) + "\n")  # created while the old file exists: another inode
        os.replace(new, live)  # the old file is gone, its name now the new file's
        c.until(lambda: len(c.lines) >= 2)
        assert [seq_of(x) for x in c.lines] == [0, 1]
        assert WARNING in c.events
    finally:
        f.close()
