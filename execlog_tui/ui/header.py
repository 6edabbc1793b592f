"""The header line: source, clock mode, time shown, follow state and the monitor's own memory."""

from __future__ import annotations

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
        roomy = width >= 110
        sep = (" │ ", self.style_of("header--sep"))
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        if s.replay is not None:
            return self._build_replay(s, roomy, sep)
        if roomy:
            text.append("execlog-top", self.style_of("header--title"))
            text.append(*sep)
        text.append(sanitize(s.source))
        text.append(*sep)
        if s.mode == "history":
            done, total = s.progress
            pct = 100 * done / total if total else 0.0
            filled = int(pct / 10)
            text.append(f"history {pct:3.0f}% ", self.style_of("header--mode"))
            text.append("█" * filled + "░" * (10 - filled), self.style_of("header--dim"))
            if roomy:
                text.append(f" {size(done)}/{size(total)}", self.style_of("header--dim"))
        elif s.mode == "waiting":
            text.append("waiting for the file", self.style_of("header--alert"))
        else:
            text.append("following", self.style_of("header--mode"))
        text.append(*sep)
        text.append(format_ts(s.as_of) or "no entries yet")
        if s.as_of_last_entry:
            text.append(" @last", self.style_of("header--alert"))
        elif roomy:
            text.append(" log time" if s.mode == "history" else " now", self.style_of("header--dim"))
        text.append(*sep)
        if s.paused:
            text.append("⏸ PAUSED", self.style_of("header--alert"))
        elif s.following:
            text.append("▼ follow", self.style_of("header--mode"))
        else:
            text.append("⇡ scrolled", self.style_of("header--alert"))
        text.append(*sep)
        text.append(s.window)
        text.append(*sep)
        text.append(
            ("mem " if roomy else "") + ("—" if s.rss_mb is None else f"{s.rss_mb:.0f} MB"),
            self.style_of("header--dim"),
        )
        return text

    def _build_replay(self, s: HeaderState, roomy: bool, sep: tuple[str, Style]) -> Text:
        """A replay never looks live: REPLAY in reverse video first, the replay clock, the speed."""
        r = s.replay
        assert r is not None
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(" ⏵ REPLAY " if not r.paused else " ⏸ REPLAY ", self.style_of("header--replay"))
        text.append(" ")
        text.append(format_ts(r.clock) or "no entries yet", self.style_of("header--mode"))
        text.append(*sep)
        if r.busy:
            text.append(r.busy + "…", self.style_of("header--alert"))
        elif r.ended:
            text.append("⏹ END", self.style_of("header--alert"))
        elif r.paused:
            text.append("⏸ PAUSED", self.style_of("header--alert"))
        else:
            text.append(f"▶ {r.speed}", self.style_of("header--mode"))
        if r.paused or r.ended:
            text.append(f" ({r.speed})", self.style_of("header--dim"))
        text.append(*sep)
        text.append(sanitize(s.source))
        text.append(*sep)
        text.append(s.window)
        if roomy:
            text.append(*sep)
            text.append("log: " + ("▼ follow" if s.following else "⇡ scrolled"), self.style_of("header--dim"))
            text.append(*sep)
            text.append("mem " + ("—" if s.rss_mb is None else f"{s.rss_mb:.0f} MB"), self.style_of("header--dim"))
        return text
