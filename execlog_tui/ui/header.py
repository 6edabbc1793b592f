"""The header line: the state a user acts on (PAUSED, scrolled, REPLAY), the clock to the second, the
window and how much of it holds data, the monitor's own memory, then the source.

One line at every width from 80 columns: each part has forms from roomy to compact, and `fit` takes
the roomiest forms that fit, giving up the least needed detail first (the program's name, the date,
labels), so the state, the clock's seconds, the window and the memory are never cut; the source
takes what is left (its tail: the file name) and goes last."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text

from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.timefmt import format_ts
from execlog_tui.ui.fmt import size
from execlog_tui.ui.textpanel import TextPanel

if TYPE_CHECKING:
    from execlog_tui.session import ReplayState

TAIL_AT_LEAST = 12  # an elastic part cut to fewer cells than this says nothing: it is left out
Run = tuple[str, Style]  # one styled run of text
Form = tuple[Run, ...]  # one way of writing a part; () = the part left out


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a line: its forms, roomiest first. `elastic`: the source, which takes the room
    left (its tail, with `…` in front), or is left out below `min_width`."""

    name: str
    forms: tuple[Form, ...]
    elastic: bool = False
    min_width: int = 0
    keep_end: bool = True  # elastic, cut: keep its end (a path's file name), else its start (a message)


def _width(form: Form) -> int:
    return sum(len(t) for t, _s in form)


def fit(parts: Sequence[Part], steps: Sequence[str], width: int, sep: Run) -> Text:
    """Lay the parts out on one line of `width` cells. `steps` names, in order, the part to move to
    its next form while the line is too wide (a name may repeat), counting the elastic part (at most
    one) at its `min_width`; the elastic part then takes the room left, up to its whole text, cut
    from the front, and is left out when there is no room at all."""
    chosen = {p.name: 0 for p in parts}
    by_name = {p.name: p for p in parts}

    def total(elastic_width: int | None) -> int:
        widths = []
        for p in parts:
            if p.elastic:
                if elastic_width != 0:
                    # While the other parts take their forms the elastic one counts at its minimum:
                    # it gets what is left over afterwards, up to its whole text.
                    widths.append(min(_width(p.forms[0]), p.min_width) if elastic_width is None else elastic_width)
                continue
            w = _width(p.forms[chosen[p.name]])
            if w:
                widths.append(w)
        return sum(widths) + len(sep[0]) * max(len(widths) - 1, 0)

    for name in steps:
        if total(None) <= width:
            break
        p = by_name.get(name)
        if p is not None and chosen[name] < len(p.forms) - 1:
            chosen[name] += 1
    elastic_width: int | None = None
    elastic = next((p for p in parts if p.elastic), None)
    if elastic is not None:
        room = width - total(0) - (len(sep[0]) if len(parts) > 1 else 0)
        full = _width(elastic.forms[0])
        # Shown cut down to as little as TAIL_AT_LEAST cells (`…tion.log`), else left out.
        elastic_width = min(room, full) if room >= min(TAIL_AT_LEAST, full) else 0
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    first = True
    for p in parts:
        form = p.forms[chosen[p.name]]
        if p.elastic:
            if elastic_width == 0:
                continue
            if elastic_width is not None:
                form = _cut(form, elastic_width, p.keep_end)
        if not _width(form):
            continue
        if not first:
            text.append(*sep)
        first = False
        for t, s in form:
            text.append(t, s)
    return text


def _cut(form: Form, width: int, keep_end: bool) -> Form:
    """A form cut to `width` cells with `…` where it was cut: its end kept (a path's file name is its
    useful end) or its start (a message)."""
    plain = "".join(t for t, _s in form)
    if len(plain) <= width:
        return form
    if keep_end:
        return (("…" + plain[len(plain) - width + 1 :], form[-1][1]),)
    return ((plain[: width - 1] + "…", form[0][1]),)


@dataclass(frozen=True, slots=True)
class HeaderState:
    source: str
    mode: str  # history | following | waiting
    progress: tuple[int, int]
    as_of: int | None
    as_of_last_entry: bool
    following: bool
    paused: bool
    window: str
    rss_mb: float | None
    replay: ReplayState | None = None  # set in a replay: the header then says so first, in reverse video
    coverage: str | None = None  # `7m of data` when the data covers less than the window shown


# Live: what goes first when the line is too narrow. The state (PAUSED, the log's follow state,
# history/waiting), the clock's seconds, the window and the memory stay at every width from 80.
SOURCE_WANTS = 20  # the source's file name, `…/execution.log (+2)`, before the clock loses its date
LIVE_STEPS = ("title", "clock", "window", "mem", "clock", "mode", "clock", "log", "mode", "window")
REPLAY_STEPS = ("log", "clock", "window", "mem", "clock", "speed", "clock", "log", "window")


class HeaderBar(TextPanel):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "header--title",
        "header--sep",
        "header--mode",
        "header--alert",
        "header--dim",
        "header--replay",
    }
    DEFAULT_CSS = """
    HeaderBar > .header--title { text-style: bold; color: $accent; }
    HeaderBar > .header--sep { color: $secondary; }
    HeaderBar > .header--mode { text-style: bold; }
    HeaderBar > .header--alert { color: $band-warning; text-style: bold reverse; }
    HeaderBar > .header--dim { color: $secondary; }
    HeaderBar > .header--replay { color: $background; background: $accent; text-style: bold; }
    """

    def show(self, s: HeaderState) -> None:
        self.set_data(s)

    def build(self, width: int) -> Text:
        s: HeaderState = self.data
        sep = (" │ ", self.style_of("header--sep"))
        if s.replay is not None:
            return fit(self._replay_parts(s), REPLAY_STEPS, width, sep)
        return fit(self._live_parts(s), LIVE_STEPS, width, sep)

    # ---- the parts -------------------------------------------------------------------------------
    def _clock(self, ms: int | None, suffix: Form, style: Style | None = None) -> Part:
        """The time shown: in full (ISO, milliseconds), then without the label, then the date and
        the seconds, then the time of day to the second (the date is on the log lines)."""
        st = style or Style()
        full = format_ts(ms)
        if full is None:
            none = (("no entries yet", st), *suffix)
            return Part("clock", (none, none, none, none))
        return Part(
            "clock",
            (
                ((full, st), *suffix),
                ((full, st), *suffix[1:]),
                ((full[:10] + " " + full[11:19], st), *suffix[1:]),
                ((full[11:19], st), *suffix[1:]),
            ),
        )

    def _window(self, s: HeaderState) -> Part:
        cov: Run = (f" · {s.coverage}" if s.coverage else "", self.style_of("header--dim"))
        full: Form = (("window ", self.style_of("header--dim")), (s.window, Style()), cov)
        return Part("window", (full, ((s.window, Style()), cov)))

    def _mem(self, s: HeaderState) -> Part:
        value = "—" if s.rss_mb is None else f"{s.rss_mb:.0f} MB"
        dim = self.style_of("header--dim")
        return Part("mem", ((("mem " + value, dim),), ((value, dim),)))

    def _log(self, s: HeaderState, label: bool) -> Part:
        if s.following:
            style, state = self.style_of("header--mode"), "▼ follow"
        else:
            style, state = self.style_of("header--alert"), "⇡ scrolled"
        dim = self.style_of("header--dim")
        if label:
            return Part("log", ((("log ", dim), (state, style)), ((state, style),)))
        return Part("log", (((state, style),),))

    def _live_parts(self, s: HeaderState) -> list[Part]:
        mode_style, dim, alert = (
            self.style_of("header--mode"),
            self.style_of("header--dim"),
            self.style_of("header--alert"),
        )
        parts = [Part("title", ((("execlog-top", self.style_of("header--title")),), ()))]
        if s.paused:
            parts.append(Part("paused", ((("⏸ PAUSED", alert),),)))
        if s.mode == "history":
            done, total = s.progress
            pct = 100 * done / total if total else 0.0
            filled = int(pct / 10)
            bar = "█" * filled + "░" * (10 - filled)
            head = (f"history {pct:3.0f}% ", mode_style)
            mode = Part(
                "mode",
                (
                    (head, (bar, dim), (f" {size(done)}/{size(total)}", dim)),
                    (head, (bar, dim)),
                    ((f"history {pct:3.0f}%", mode_style),),
                ),
            )
        elif s.mode == "waiting":
            mode = Part("mode", ((("waiting for the file", alert),), (("waiting", alert),)))
        else:
            mode = Part("mode", ((("following", mode_style),), (("live", mode_style),)))
        parts.append(mode)
        if s.as_of_last_entry:
            suffix: Form = (("", Style()), (" @last", alert))
        else:
            suffix = ((" log time" if s.mode == "history" else " now", dim),)
        parts += [
            self._clock(s.as_of, suffix),
            self._log(s, label=False),
            self._window(s),
            self._mem(s),
            Part("source", (((sanitize(s.source), Style()),),), elastic=True, min_width=SOURCE_WANTS),
        ]
        return parts

    def _replay_parts(self, s: HeaderState) -> list[Part]:
        """A replay never looks live: REPLAY in reverse video first, the replay clock, the speed."""
        r = s.replay
        assert r is not None
        alert, mode_style, dim = (
            self.style_of("header--alert"),
            self.style_of("header--mode"),
            self.style_of("header--dim"),
        )
        badge: Form = (
            (" ⏵ REPLAY " if not r.paused else " ⏸ REPLAY ", self.style_of("header--replay")),
            (" ", Style()),
        )
        clock = self._clock(r.clock, (), mode_style)
        clock = Part("clock", tuple((*badge, *form) for form in clock.forms))  # the badge, then the clock
        if r.busy:
            state: Form = ((r.busy + "…", alert),)
        elif r.ended:
            state = (("⏹ END", alert),)
        elif r.paused:
            state = (("⏸ PAUSED", alert),)
        else:
            state = ((f"▶ {r.speed}", mode_style),)
        speed = (f" ({r.speed})", dim) if (r.paused or r.ended) and not r.busy else ("", dim)
        return [
            clock,
            Part("speed", ((*state, speed), state)),
            self._window(s),
            self._log(s, label=True),
            self._mem(s),
            Part("source", (((sanitize(s.source), Style()),),), elastic=True, min_width=SOURCE_WANTS),
        ]
