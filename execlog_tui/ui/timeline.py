"""The replay timeline bar: where the replay clock is in the set, with the incidents marked on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text

from execlog_tui.core.timefmt import format_time_of_day
from execlog_tui.ui.textpanel import TextPanel

if TYPE_CHECKING:
    from execlog_tui.session import ReplayState

MARKS = {"breaker": "✗", "alert": "▲", "critical": "‼", "parse": "?"}


class TimelineBar(TextPanel):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline--played",
        "timeline--read",
        "timeline--unread",
        "timeline--now",
        "timeline--incident",
        "timeline--dim",
    }
    DEFAULT_CSS = """
    TimelineBar { height: 1; padding: 0 1; background: $panel; }
    TimelineBar > .timeline--played { color: $primary; }
    TimelineBar > .timeline--read { color: $secondary; }
    TimelineBar > .timeline--unread { color: $panel-lighten-2; }
    TimelineBar > .timeline--now { color: $accent; text-style: bold reverse; }
    TimelineBar > .timeline--incident { color: $band-error; text-style: bold; }
    TimelineBar > .timeline--dim { color: $text-muted; }
    """

    def show(self, view: ReplayState) -> None:
        self.set_data(view)

    def build(self, width: int) -> Text:
        v: ReplayState = self.data
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        left = format_time_of_day(v.first)[:8]
        right = format_time_of_day(v.last)[:8]
        n = len(v.incidents)
        tail = f" {right}  {n} incident{'s' if n != 1 else ''} ◂ ▸"
        bar_w = max(10, width - len(left) - len(tail) - 3)
        text.append(left + " ", self.style_of("timeline--dim"))
        first, last = v.first, v.last
        span = (last - first) if first is not None and last is not None and last > first else None
        origin = first or 0

        def col(ts: int | None) -> int | None:
            if ts is None or span is None:
                return None
            return min(bar_w - 1, max(0, int((ts - origin) * bar_w / span)))

        now, frontier = col(v.clock), col(v.frontier)
        marks: dict[int, str] = {}
        for inc in v.incidents:
            if first is None or last is None or not first <= inc.ts <= last:
                continue  # before --from or after --to: not on this bar
            c = col(inc.ts)
            if c is not None and (c not in marks or inc.kind == "breaker"):
                marks[c] = MARKS.get(inc.kind, "!")
        for i in range(bar_w):
            if i == now:
                text.append("●", self.style_of("timeline--now"))
            elif i in marks:
                text.append(marks[i], self.style_of("timeline--incident"))
            elif now is not None and i < now:
                text.append("━", self.style_of("timeline--played"))
            elif frontier is not None and i <= frontier:
                text.append("─", self.style_of("timeline--read"))
            else:
                text.append("┄", self.style_of("timeline--unread"))
        text.append(tail, self.style_of("timeline--dim"))
        return text
