"""The one-line prompt for `/` search and `f` filter, docked under the log view."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label

from execlog_tui.ui.filters import FILTER_HELP
from execlog_tui.ui.messages import PromptCancelled, PromptSubmitted

PLACEHOLDERS = {
    "filter": FILTER_HELP,
    "search": "text (any case) or re:PATTERN · Enter: find · n/N: next/previous · empty: clear",
    "time": "HH:MM[:SS[.fff]] or YYYY-MM-DDTHH:MM:SS[.fff]Z (UTC) · Enter: jump · Esc: cancel",
}
LABELS = {"filter": "filter: ", "search": "search /", "time": "jump to "}


class PromptBar(Horizontal):
    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = "search"

    def compose(self) -> ComposeResult:
        yield Label("/", id="prompt-label")
        yield Input(id="prompt-input", select_on_focus=False)

    def open(self, kind: str, value: str = "") -> None:
        self.kind = kind
        self.query_one("#prompt-label", Label).update(LABELS[kind])
        field = self.query_one(Input)
        field.cursor_blink = False  # snapshot tests and SSH: no blinking
        field.placeholder = PLACEHOLDERS[kind]
        field.value = value
        field.cursor_position = len(value)
        self.display = True
        field.focus()

    def close(self) -> None:
        self.display = False

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(PromptSubmitted(self.kind, event.value))

    def action_cancel(self) -> None:
        self.post_message(PromptCancelled(self.kind))
