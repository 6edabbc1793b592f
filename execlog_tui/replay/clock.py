"""The replay clock: log time that moves at a chosen speed over an injected wall clock."""

from __future__ import annotations

import time
from collections.abc import Callable

MAX = 0.0  # the speed "max": as fast as the machine reads, not tied to the wall clock
SPEEDS: tuple[float, ...] = (1.0, 10.0, 60.0, 600.0, MAX)


def speed_label(speed: float) -> str:
    return "max" if speed == MAX else f"{speed:g}x"


def parse_speed(text: str) -> float:
    """`--speed`: 1, 10, 60, 600 or max. ValueError with a one-line reason otherwise."""
    t = text.strip().lower()
    if t == "max":
        return MAX
    t = t.removesuffix("x")
    try:
        value = float(t)
    except ValueError:
        raise ValueError(f"--speed: expected 1, 10, 60, 600 or max, got {text!r}") from None
    if value not in SPEEDS:
        raise ValueError(f"--speed: expected 1, 10, 60, 600 or max, got {text!r}")
    return value


class ReplayClock:
    """Log time in ms. While playing at speed S it gains S ms per wall-clock ms; `wall` is injected
    (seconds, monotonic) so tests drive it by hand instead of sleeping."""

    def __init__(self, start_ms: int, speed: float = 1.0, wall: Callable[[], float] = time.monotonic) -> None:
        self._wall = wall
        self._pos = start_ms
        self._wall_at = wall()
        self.speed = speed
        self.paused = False

    def now(self) -> int:
        if self.paused or self.speed == MAX:
            return self._pos
        return self._pos + round((self._wall() - self._wall_at) * self.speed * 1000)

    def set(self, pos_ms: int) -> None:
        self._pos = pos_ms
        self._wall_at = self._wall()

    def set_speed(self, speed: float) -> None:
        self.set(self.now())
        self.speed = speed

    def faster(self) -> float:
        i = SPEEDS.index(self.speed) if self.speed in SPEEDS else 0
        self.set_speed(SPEEDS[min(i + 1, len(SPEEDS) - 1)])
        return self.speed

    def slower(self) -> float:
        i = SPEEDS.index(self.speed) if self.speed in SPEEDS else 0
        self.set_speed(SPEEDS[max(i - 1, 0)])
        return self.speed

    def pause(self) -> None:
        if not self.paused:
            self.set(self.now())
            self.paused = True

    def resume(self) -> None:
        if self.paused:
            self.paused = False
            self.set(self._pos)
