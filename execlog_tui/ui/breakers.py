"""The circuit-breaker panel: state, since, times opened; inferred states marked `~`."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text

from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.snapshot import BreakerView
from execlog_tui.ui.fmt import age, clock
from execlog_tui.ui.textpanel import TextPanel

STATE_GLYPH = {"OPEN": "✗ OPEN", "HALF_OPEN": "◐ HALF", "CLOSED": "✓ CLOSED"}
STATE_ORDER = {"OPEN": 0, "HALF_OPEN": 1, "CLOSED": 2}


class BreakersPanel(TextPanel):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "breakers--open",
        "breakers--half",
        "breakers--closed",
        "breakers--dim",
        "breakers--head",
    }
    DEFAULT_CSS = """
    BreakersPanel > .breakers--open { color: $band-error; text-style: bold; }
    BreakersPanel > .breakers--half { color: $band-warning; text-style: bold; }
    BreakersPanel > .breakers--closed { color: $band-optimal; }
    BreakersPanel > .breakers--dim { color: $secondary; }
    BreakersPanel > .breakers--head { color: $text-muted; text-style: bold; }
    """

    HEAD_LINES = 1  # the column heads

    def row_figures(self) -> list[tuple[str, int | None]]:
        rows = self.data[0] if self.data else ()
        return [(f"breaker:{b.component}", None) for b in rows]

    def show(self, breakers: dict[str, BreakerView], as_of: int | None) -> None:
        rows = tuple(sorted(breakers.values(), key=lambda b: (STATE_ORDER.get(b.state, 3), -b.opened, b.component)))
        self.set_data((rows, as_of))

    def build(self, width: int) -> Text:
        rows, as_of = self.data
        wide = width >= 48  # room for the clock time as well as the age
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        if not rows:
            text.append("no components seen yet", self.style_of("breakers--dim"))
            return text
        nw = 10 if width >= 36 else 9
        head = f"{'Component':<{nw}} {'State':<10} " + (f"{'Since':<8} " if wide else "") + f"{'Age':>7} Open"
        if width < 36:
            head = f"{'Component':<{nw}} {'State':<10} {'Age':>6} Op"
        text.append(head + "\n", self.style_of("breakers--head"))
        height = self.size.height or 50
        legend = any(b.inferred for b in rows) and len(rows) + 2 <= height  # the help explains ~ too
        room = max(1, height - 1 - legend)
        hidden = rows[room - 1 :] if len(rows) > room else ()
        if hidden:
            rows = rows[: room - 1]
        for b in rows:
            cls = {"OPEN": "breakers--open", "HALF_OPEN": "breakers--half"}.get(b.state, "breakers--closed")
            name = sanitize(b.component)
            text.append(f"{name[:nw]:<{nw}} ")
            state = STATE_GLYPH.get(b.state, sanitize(b.state)) + ("~" if b.inferred else "")
            text.append(f"{state:<10}", self.style_of(cls))
            since_age = None if as_of is None else as_of - b.since
            text.append(
                f" {clock(b.since) + ' ' if wide else ''}{age(since_age):>7} {b.opened:>4}\n"
                if width >= 36
                else f" {age(since_age):>6} {b.opened:>3}\n"
            )
        if hidden:
            states = sorted({h.state.lower() for h in hidden})
            text.append(f"+{len(hidden)} more ({', '.join(states)})\n", self.style_of("breakers--dim"))
        if legend:
            text.append("~ inferred from errors (no CIRCUIT_* lines)", self.style_of("breakers--dim"))
        text.rstrip()
        return text
