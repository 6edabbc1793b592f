"""SPEC section 6: one circuit breaker per component, explicit from CIRCUIT_* entries or inferred."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable

from execlog_tui.core.config import BreakerRules
from execlog_tui.core.snapshot import BreakerView

CLOSED, OPEN, HALF_OPEN = "CLOSED", "OPEN", "HALF_OPEN"
_EXPLICIT = {"CIRCUIT_OPEN": OPEN, "CIRCUIT_TEST": HALF_OPEN, "CIRCUIT_CLOSE": CLOSED}

# Called on every state change: (component, old state, new state, time in ms).
TransitionHook = Callable[[str, str, str, int], None]


class Breaker:
    __slots__ = ("component", "state", "since", "opened", "inferred", "explicit", "errors", "half_open_at")

    def __init__(self, component: str, ts: int, failures: int) -> None:
        self.component = component
        self.state = CLOSED
        self.since = ts
        self.opened = 0
        self.inferred = False
        self.explicit = False
        self.errors: deque[int] = deque(maxlen=failures)
        self.half_open_at: int | None = None  # when an inferred OPEN turns HALF_OPEN


class BreakerTracker:
    """Feeds on entries in clock order; `tick(t)` applies the timed OPEN -> HALF_OPEN transitions."""

    def __init__(self, rules: BreakerRules, on_transition: TransitionHook | None = None) -> None:
        self.rules = rules
        self.breakers: dict[str, Breaker] = {}
        self._window_ms = int(rules.window_s * 1000)
        self._half_open_ms = int(rules.half_open_after_s * 1000)
        self._on_transition = on_transition
        # Inferred OPEN breakers waiting to test: a heap of (due, sequence, breaker), an entry stale once
        # the breaker's `half_open_at` no longer equals its due time (dropped when it comes to the top).
        self._timers: list[tuple[int, int, Breaker]] = []
        self._seq = 0
        # Bumped on every state change, however it came (an entry, a timer during a clock advance):
        # the fast path re-reads which breakers it must hand back when this moved.
        self.version = 0
        # The inferred HALF_OPEN breakers' components, kept as they change: what the fast path watches,
        # read in time proportional to them, not to every breaker.
        self.half_open_inferred: set[str] = set()

    def rebind(self, on_transition: TransitionHook | None) -> None:
        """Report transitions to `on_transition` from now on (an engine that adopted a kept state)."""
        self._on_transition = on_transition

    def seen(self, component: str, ts: int) -> Breaker:
        b = self.breakers.get(component)
        if b is None:
            b = self.breakers[component] = Breaker(component, ts, self.rules.failures)
        return b

    def observe(self, component: str, action: str, ts: int, failed: bool, completed: bool) -> None:
        """One entry, in clock order: CIRCUIT_* actions make the breaker explicit; otherwise the
        inference rules (errors towards opening, the test in HALF_OPEN)."""
        b = self.breakers.get(component) or self.seen(component, ts)
        if action.startswith("CIRCUIT_"):
            self.explicit(b, action, ts)
        elif not b.explicit:
            if b.state == HALF_OPEN and completed:
                self.completed(b, ts, failed)
            elif failed:
                self.error(b, ts)

    def next_timer(self) -> int | None:
        timers = self._timers
        while timers and timers[0][2].half_open_at != timers[0][0]:
            heapq.heappop(timers)  # stale: the breaker left OPEN (or was re-armed) since
        return timers[0][0] if timers else None

    def tick(self, t: int) -> None:
        """Apply every OPEN -> HALF_OPEN transition due at or before t, in time order."""
        timers = self._timers
        while True:
            at = self.next_timer()
            if at is None or at > t:
                return
            due = heapq.heappop(timers)[2]
            due.half_open_at = None
            if due.state == OPEN and not due.explicit:
                self._move(due, HALF_OPEN, at, inferred=True)

    def _move(self, b: Breaker, state: str, ts: int, inferred: bool) -> None:
        old = b.state
        if state == old:
            b.inferred = inferred and b.inferred  # a confirmation changes nothing but the mark
            return
        if old == CLOSED and state == OPEN:
            b.opened += 1
        self.version += 1
        b.state = state
        b.since = ts
        b.inferred = inferred
        if state == OPEN and inferred:
            b.half_open_at = ts + self._half_open_ms
            self._seq += 1
            heapq.heappush(self._timers, (b.half_open_at, self._seq, b))
        else:
            b.half_open_at = None  # its heap entry, if any, is stale now
        self._note_half_open(b)
        if self._on_transition is not None:
            self._on_transition(b.component, old, state, ts)

    def explicit(self, b: Breaker, action: str, ts: int) -> None:
        """A CIRCUIT_* entry: the breaker follows the log from now on."""
        if not b.explicit:
            b.explicit = True
            b.errors.clear()
            b.half_open_at = None  # its heap entry, if any, is stale now
            if b.state == HALF_OPEN:
                self.version += 1  # no longer an inferred HALF_OPEN: the fast path stops watching it
                self._note_half_open(b)
        state = _EXPLICIT.get(action)
        if state is not None:
            self._move(b, state, ts, inferred=False)
        else:
            b.inferred = False

    def _note_half_open(self, b: Breaker) -> None:
        if b.state == HALF_OPEN and not b.explicit:
            self.half_open_inferred.add(b.component)
        else:
            self.half_open_inferred.discard(b.component)

    def error(self, b: Breaker, ts: int) -> None:
        """An error entry of an inferred breaker's component (CLOSED: count towards opening)."""
        if b.state == CLOSED:
            errors = b.errors
            errors.append(ts)
            if len(errors) == errors.maxlen and ts - errors[0] <= self._window_ms:
                errors.clear()
                self._move(b, OPEN, ts, inferred=True)

    def completed(self, b: Breaker, ts: int, failed: bool) -> None:
        """A completed operation of an inferred HALF_OPEN breaker's component: the test."""
        if failed:
            b.errors.clear()
            self._move(b, OPEN, ts, inferred=True)
        else:
            b.errors.clear()
            self._move(b, CLOSED, ts, inferred=True)

    def views(self) -> dict[str, BreakerView]:
        return {name: BreakerView(name, b.state, b.since, b.opened, b.inferred) for name, b in self.breakers.items()}
