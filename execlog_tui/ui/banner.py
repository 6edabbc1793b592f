"""The status line: one row under the header, always there, so nothing moves when a state changes.

It says, most important first: degraded mode (SPEC 7: shown prominently while it holds), the
latest error (a file that cannot be read, a filter that does not parse), the quiet-log clock notice,
then the latest notice (a rotation, a replay step) and the key of the events list. Nothing here
covers the log, as toasts did; the whole history of notices is in the events list (`e`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text

from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.timefmt import format_ts
from execlog_tui.core.windows import SHORTEST
from execlog_tui.ui.fmt import age
from execlog_tui.ui.header import Form, Part, fit
from execlog_tui.ui.textpanel import TextPanel

QUIET_AFTER_MS = SHORTEST.ms  # the 1m window is empty once the newest entry is older than this


def clock_notice(as_of: int | None, last: int | None, live: bool, as_of_last_entry: bool) -> tuple[str, str] | None:
    """The quiet-log notice, long and short: how long ago the last entry was and which key changes
    the view; or what `l` did. None while the log is not quiet."""
    if as_of_last_entry:
        when = format_ts(last) or "—"
        return f"◷ l: back to live · windows as of the last entry {when}", "◷ as of last entry · l: live"
    gap = None if as_of is None or last is None else as_of - last
    if not (live and gap is not None and gap > QUIET_AFTER_MS):
        return None
    was = format_ts(last)
    return (
        f"◷ Last entry {age(gap)} ago · l: view as of the last entry · windows end now ({was} was the last)",
        f"◷ Last entry {age(gap)} ago · l: as of it",
    )


@dataclass(frozen=True, slots=True)
class StatusState:
    degraded: bool = False
    degraded_reason: str | None = None
    error: str | None = None  # the latest error, already one line
    clock: tuple[str, str] | None = None  # clock_notice()
    notice: str | None = None  # the latest notice (info)
    events: int = 0  # notices in the events list


class StatusLine(TextPanel):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status--degraded",
        "status--error",
        "status--clock",
        "status--dim",
        "status--sep",
    }
    DEFAULT_CSS = """
    StatusLine { height: 1; }
    StatusLine > .status--degraded { color: $background; background: $band-error; text-style: bold; }
    StatusLine > .status--error { color: $band-error; text-style: bold; }
    StatusLine > .status--clock { color: $band-warning; text-style: bold; }
    StatusLine > .status--dim { color: $secondary; }
    StatusLine > .status--sep { color: $secondary; }
    """

    def show(self, state: StatusState) -> None:
        self.set_data(state)

    @property
    def degraded(self) -> bool:
        return bool(self.data and self.data.degraded)

    def build(self, width: int) -> Text:
        s: StatusState = self.data
        st = self.style_of
        parts: list[Part] = []
        if s.degraded:
            why = f": {sanitize(s.degraded_reason)}" if s.degraded_reason else ""
            parts.append(
                Part(
                    "degraded",
                    (
                        ((f" ⚠ DEGRADED MODE{why} ", st("status--degraded")),),
                        ((" ⚠ DEGRADED ", st("status--degraded")),),
                    ),
                )
            )
        if s.error:
            err = sanitize(s.error)
            parts.append(
                Part("error", (((f"✗ {err}", st("status--error")),),), elastic=True, min_width=12, keep_end=False)
            )
        if s.clock:
            long, short = s.clock
            parts.append(Part("clock", (((long, st("status--clock")),), ((short, st("status--clock")),))))
        if not s.error:
            notice = sanitize(s.notice) if s.notice else ("no notices" if not (s.degraded or s.clock) else "")
            if notice:
                parts.append(
                    Part("notice", (((notice, st("status--dim")),),), elastic=True, min_width=12, keep_end=False)
                )
        keys: Form = ((f"e: events ({s.events})", st("status--dim")),)
        parts.append(Part("keys", (keys, ((f"e ({s.events})", st("status--dim")),), ())))
        steps = ("keys", "clock", "degraded", "keys")
        return fit(parts, steps, width, (" │ ", st("status--sep")))
