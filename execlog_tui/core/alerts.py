"""SPEC section 7: alerts that fire and resolve at whole seconds, and the history of every firing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from execlog_tui.core.config import Condition
from execlog_tui.core.snapshot import AlertView
from execlog_tui.core.windows import NO_SEC, SHORTEST


@dataclass(slots=True)
class AlertRecord:
    name: str
    condition: str
    value: float | None
    fired: int
    resolved: int | None = None

    def view(self) -> AlertView:
        return AlertView(self.name, self.condition, self.value, self.fired, self.resolved)


# Called when an alert fires (resolved is None) or resolves: the console/log_file channels listen here.
AlertHook = Callable[[AlertRecord], None]


class AlertTracker:
    """Keeps the firing alerts by name and every alert that ever fired, oldest first."""

    def __init__(self, conditions: tuple[Condition, ...], hook: AlertHook | None = None) -> None:
        self.conditions = conditions
        self.active: dict[str, AlertRecord] = {}
        self.history: list[AlertRecord] = []
        self.hook = hook
        # CRITICAL entries: component -> second of the newest one, for `critical:COMPONENT`.
        self.critical_last_sec: dict[str, int] = {}

    def fire(self, name: str, condition: str, value: float | None, ts: int) -> None:
        if name in self.active:
            return
        record = AlertRecord(name, condition, value, ts)
        self.active[name] = record
        self.history.append(record)
        if self.hook is not None:
            self.hook(record)

    def resolve(self, name: str, ts: int) -> None:
        record = self.active.pop(name, None)
        if record is not None:
            record.resolved = ts
            if self.hook is not None:
                self.hook(record)

    def evaluate(self, second_ms: int, figures: dict[str, float | None]) -> None:
        """The figure conditions and the critical alerts as of one whole second."""
        for cond in self.conditions:
            value = figures.get(cond.figure)
            name = cond.name
            if cond.holds(value):
                if name not in self.active:
                    self.fire(name, cond.text, value, second_ms)
            elif name in self.active:
                self.resolve(name, second_ms)
        if self.critical_last_sec:
            first_in_window = second_ms // 1000 - (SHORTEST.buckets - 1)  # the 1m window's first second
            for component, last in list(self.critical_last_sec.items()):
                if last < first_in_window:
                    del self.critical_last_sec[component]
                    self.resolve(f"critical:{component}", second_ms)

    def critical(self, component: str, ts: int) -> None:
        # A late CRITICAL line must not shorten the alert: the newest one keeps it in the window.
        sec = ts // 1000
        if sec > self.critical_last_sec.get(component, NO_SEC):  # a second before 1970 is negative
            self.critical_last_sec[component] = sec
        self.fire(f"critical:{component}", f"{component} logged CRITICAL", None, ts)

    def views(self) -> tuple[AlertView, ...]:
        # Oldest first (SPEC 9) even when a late line fired an alert stamped before earlier ones.
        return tuple(r.view() for r in sorted(self.history, key=lambda r: r.fired))

    def is_firing(self, name: str) -> bool:
        return name in self.active
