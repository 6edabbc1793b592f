"""The alerts panel: one row per alert episode (repeats folded), firing first, with values and times."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text

from execlog_tui.core.display import AlertGroup, alert_value, group_alerts
from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.snapshot import AlertView
from execlog_tui.ui.fmt import age, clock
from execlog_tui.ui.textpanel import TextPanel

MAX_ROWS = 50
WORDS_FROM = 45  # from this width a row says FIRING / ok, and the times in full
CONDITION_FROM = 60  # from this width the condition follows, when it fits
INDENT = "    "


def alert_row(g: AlertGroup, as_of: int | None, width: int) -> tuple[str, str, str]:
    """A group as (head, time, condition): the head is glyph, name, value and repeat count."""
    value = "" if g.value is None else f" {alert_value(g.value, g.condition)}"
    repeats = f" ×{g.count}" if g.count > 1 else ""
    wide = width >= WORDS_FROM
    name = sanitize(g.name)
    if g.firing:
        since = None if as_of is None else as_of - g.last_fired
        head = f"{'▲ FIRING ' if wide else '▲ '}{name}{value}{repeats}"
        if wide:
            when = f"since {clock(g.last_fired)} ({age(since)})"
            if g.count > 1:
                when += f", first {clock(g.first_fired)}"
        else:
            when = age(since)
    else:
        head = f"{'✓ ok ' if wide else '✓ '}{name}{value}{repeats}"
        when = f"{clock(g.first_fired)}→{clock(g.resolved)}" if wide else f"ended {clock(g.resolved)}"
    return head, when, sanitize(g.condition)


class AlertsPanel(TextPanel):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"alerts--firing", "alerts--resolved", "alerts--dim"}
    DEFAULT_CSS = """
    AlertsPanel > .alerts--firing { color: $band-error; text-style: bold; }
    AlertsPanel > .alerts--resolved { color: $secondary; }
    AlertsPanel > .alerts--dim { color: $secondary; }
    """

    def row_figures(self) -> list[tuple[str, int | None]]:
        """Each row's evidence: the entries of the window at the second its newest firing fired."""
        rows = self.data[0] if self.data else ()
        return [(f"alert:{g.name}", g.last.fired) for g in rows]  # an episode: its newest firing

    def show(self, alerts: tuple[AlertView, ...], as_of: int | None) -> None:
        self.set_data((tuple(group_alerts(alerts)), as_of))

    @property
    def groups(self) -> tuple[AlertGroup, ...]:
        return () if self.data is None else tuple(self.data[0])

    def build(self, width: int) -> Text:
        groups, as_of = self.data
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        if not groups:
            text.append("no alerts", self.style_of("alerts--dim"))
        room = max(1, self.size.height or MAX_ROWS)
        lines: list[list[tuple[str, str]]] = []  # each line as (text, component class) pieces
        shown = 0
        for g in groups[:MAX_ROWS]:
            head, when, condition = alert_row(g, as_of, width)
            style = "alerts--firing" if g.firing else "alerts--resolved"
            when_style = "" if g.firing else "alerts--dim"
            row: list[list[tuple[str, str]]]
            if len(head) + 1 + len(when) <= width:
                line = [(head, style), (" " + when, when_style)]
                if width >= CONDITION_FROM and len(head) + len(when) + 3 + len(condition) <= width:
                    line.append(("  " + condition, "alerts--dim"))
                row = [line]
            else:  # too narrow for one line: the time on the next, never cut
                row = [[(head, style)], [(INDENT + when, when_style)]]
            left = len(groups) - shown - 1  # rows after this one
            if len(lines) + len(row) + (1 if left else 0) > room:
                break
            lines.extend(row)
            shown += 1
        hidden = groups[shown:]
        for i, line in enumerate(lines):
            if i:
                text.append("\n")
            for piece, cls in line:
                text.append(piece, self.style_of(cls) if cls else "")
        if hidden:
            firing = sum(1 for g in hidden if g.firing)
            text.append(
                ("\n" if lines else "") + f"+{len(hidden)} more ({firing} firing)", self.style_of("alerts--dim")
            )
        return text
