"""The alerts panel: firing alerts first (newest first), then resolved ones, with times and values."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text

from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.snapshot import AlertView
from execlog_tui.ui.fmt import age, clock, number
from execlog_tui.ui.textpanel import TextPanel

MAX_ROWS = 50


def ordered(alerts: tuple[AlertView, ...]) -> list[AlertView]:
    firing = sorted((a for a in alerts if a.resolved is None), key=lambda a: -a.fired)
    resolved = sorted((a for a in alerts if a.resolved is not None), key=lambda a: -(a.resolved or 0))
    return firing + resolved


class AlertsPanel(TextPanel):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"alerts--firing", "alerts--resolved", "alerts--dim"}
    DEFAULT_CSS = """
    AlertsPanel > .alerts--firing { color: $band-error; text-style: bold; }
    AlertsPanel > .alerts--resolved { color: $secondary; }
    AlertsPanel > .alerts--dim { color: $secondary; }
    """

    def row_figures(self) -> list[tuple[str, int | None]]:
        """Each row's evidence: the entries of the window at the second it fired."""
        rows = self.data[0] if self.data else ()
        return [(f"alert:{a.name}", a.fired) for a in rows]

    def show(self, alerts: tuple[AlertView, ...], as_of: int | None) -> None:
        self.set_data((tuple(ordered(alerts)[:MAX_ROWS]), as_of))

    def build(self, width: int) -> Text:
        rows, as_of = self.data
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        if not rows:
            text.append("no alerts", self.style_of("alerts--dim"))
        room = max(1, self.size.height or 50)
        hidden = rows[room - 1 :] if len(rows) > room else ()
        if hidden:
            rows = rows[: room - 1]
        for a in rows:
            value = "" if a.value is None else f" {number(a.value)}"
            name = sanitize(a.name)
            if a.resolved is None:
                since = None if as_of is None else as_of - a.fired
                word = "▲ FIRING " if width >= 45 else "▲ "
                text.append(f"{word}{name}{value}", self.style_of("alerts--firing"))
                text.append(f" {clock(a.fired)} ({age(since)})")
            else:
                text.append(f"✓ {'ok ' if width >= 45 else ''}{name}{value}", self.style_of("alerts--resolved"))
                text.append(f" {clock(a.fired)}→{clock(a.resolved)}", self.style_of("alerts--dim"))
            if width >= 60:
                text.append(f"  {sanitize(a.condition)}", self.style_of("alerts--dim"))
            text.append("\n")
        if hidden:
            firing = sum(1 for a in hidden if a.resolved is None)
            text.append(f"+{len(hidden)} more ({firing} firing)", self.style_of("alerts--dim"))
        text.rstrip()
        return text
