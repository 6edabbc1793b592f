"""Helpers for the follower tests: line makers and a collector that polls with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable

from execlog_tui.sources.follower import FollowBatch, LogFollower


def line(i: int, extra: str = "") -> str:
    return f"2025-09-09T10:00:00.000Z|API|CALL|1|SUCCESS|seq={i}{extra}"


def seq_of(text: str) -> int:
    return int(text.split("seq=", 1)[1].split()[0].split("|")[0])


class Collector:
    """Polls a follower and keeps everything it delivered."""

    def __init__(self, follower: LogFollower) -> None:
        self.f = follower
        self.lines: list[str] = []
        self.cut: list[int] = []
        self.events: list[str] = []

    def poll(self) -> FollowBatch:
        b = self.f.poll()
        base = len(self.lines)
        self.lines.extend(b.lines)
        self.cut.extend(base + i for i in sorted(b.cut))
        self.events.extend(e.kind for e in b.events)
        return b

    def until(self, cond: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"condition not met in {timeout}s; got {len(self.lines)} lines, events {self.events}"
                )
            self.f.wait(0.05)
            self.poll()
