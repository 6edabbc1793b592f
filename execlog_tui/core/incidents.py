"""What an incident is (an alert or breaker firing, a CRITICAL entry, a burst of parse errors): the one
definition that the replay's timeline and the live log view's `<` `>` both use."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

PARSE_BURST_GAP_MS = 10_000  # parse errors closer than this are one incident


@dataclass(frozen=True, slots=True)
class Incident:
    ts: int
    kind: str  # alert | breaker | critical | parse
    name: str  # alert name (error_rate, breaker:CACHE, critical:SYSTEM) or "parse errors"
    count: int = 1  # parse errors in the burst

    @property
    def label(self) -> str:
        if self.kind == "parse":
            return f"{self.count} parse error{'s' if self.count > 1 else ''}"
        if self.kind == "breaker":
            return f"{self.name.split(':', 1)[1]} breaker OPEN"
        return f"{self.name} fired"


def alert_incident(name: str, fired: int) -> Incident:
    """The incident of an alert firing: `breaker:X` fires when a breaker opens (SPEC 7), `critical:X`
    at a CRITICAL entry, any other name when its condition starts to hold."""
    kind = "breaker" if name.startswith("breaker:") else "critical" if name.startswith("critical:") else "alert"
    return Incident(fired, kind, name)


def add_parse_error(incidents: list[Incident], ts: int) -> None:
    """Count a parse error placed at `ts` into `incidents` (sorted by time): it joins the newest parse
    incident within PARSE_BURST_GAP_MS before it, or starts a burst of its own."""
    for k in range(len(incidents) - 1, -1, -1):
        inc = incidents[k]
        if inc.ts < ts - PARSE_BURST_GAP_MS:
            break
        if inc.kind == "parse" and inc.ts <= ts:
            incidents[k] = Incident(inc.ts, "parse", inc.name, inc.count + 1)
            return
    bisect.insort(incidents, Incident(ts, "parse", "parse errors"), key=lambda i: i.ts)


def incidents_of(alerts: Iterable[tuple[str, int]], parse_errors: Iterable[int] = ()) -> list[Incident]:
    """The incidents of (alert name, fired) pairs and parse errors placed at their times, by time."""
    out = sorted((alert_incident(name, fired) for name, fired in alerts), key=lambda i: i.ts)
    for ts in sorted(parse_errors):
        add_parse_error(out, ts)
    return out
