"""The events list (key `e`): every notice of this run, newest last, with the wall-clock time it was
shown. Routine events (a rotation, a truncation, a replay step) and errors land here instead of
toasts over the log; the status line shows the latest one."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from execlog_tui.core.sanitize import sanitize

EVENTS_SHOWN = 500  # the newest notices kept for the list (the session's own log is bounded too)


@dataclass(frozen=True, slots=True)
class Notice:
    at: float  # wall clock, seconds since the epoch
    severity: str  # information | warning | error
    title: str
    text: str

    def line(self) -> str:
        """One line, inert: title and text sanitised, never markup."""
        head = f"{sanitize(self.title)}: " if self.title else ""
        return head + sanitize(self.text).replace("\n", " ")


class Notices:
    """The app's notices, newest `keep`, numbered so the status line knows what is new."""

    def __init__(self, keep: int = EVENTS_SHOWN) -> None:
        self.items: deque[Notice] = deque(maxlen=keep)
        self.count = 0  # every notice added, dropped ones included

    def add(self, severity: str, title: str, text: str, at: float | None = None) -> Notice:
        notice = Notice(time.time() if at is None else at, severity, title, text)
        self.items.append(notice)
        self.count += 1
        return notice

    @property
    def latest(self) -> Notice | None:
        return self.items[-1] if self.items else None


SEVERITY_MARK = {"error": ("✗", "bold red"), "warning": ("▲", "yellow"), "information": ("·", "")}


def events_text(notices: Notices) -> Text:
    text = Text()
    if not notices.items:
        text.append("No events yet: rotations, truncations and errors are listed here as they happen.\n")
    dropped = notices.count - len(notices.items)
    if dropped > 0:
        text.append(f"({dropped:,} older events not kept)\n", style="italic")
    for n in notices.items:
        mark, style = SEVERITY_MARK.get(n.severity, ("·", ""))
        text.append(time.strftime("%H:%M:%S ", time.gmtime(n.at)), style="bold")
        text.append(mark + " ", style=style)
        text.append(n.line() + "\n", style=style if n.severity == "error" else "")
    text.append("\nTimes are UTC, when the event was seen. Esc, q or e closes this list.", style="italic")
    return text


class EventsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,e", "dismiss_events", "Close", show=False)]
    DEFAULT_CSS = """
    EventsScreen { align: center middle; }
    EventsScreen > VerticalScroll {
        width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $panel; padding: 0 1;
    }
    """

    def __init__(self, notices: Notices) -> None:
        super().__init__()
        self.notices = notices

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = f"Events ({self.notices.count:,})"
            yield Static(events_text(self.notices), id="events-text")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).scroll_end(animate=False)

    def action_dismiss_events(self) -> None:
        self.dismiss(None)
