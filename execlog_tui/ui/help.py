"""The help screen: every key, grouped, from the one key table."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from execlog_tui.ui.fmt import BAND_LABELS
from execlog_tui.ui.keys import KEYS
from execlog_tui.ui.paths import SLOWEST


def help_text() -> Text:
    text = Text()
    group = None
    for k in KEYS:
        if k.group != group:
            group = k.group
            text.append(("\n" if text else "") + group + "\n", style="bold")
        text.append(f"  {k.keys:<11}", style="bold")
        text.append(f"{k.description}\n")
    text.append("\nBands\n", style="bold")
    text.append("  " + "   ".join(BAND_LABELS.values()) + "\n")
    text.append("  breaker state~ = inferred from errors; ✗ PARSE = a line that is not an entry\n")
    text.append("\nCritical paths\n", style="bold")
    text.append("  ✓ complete  ◷ running  ▲ failed  ✗ RUNNING past its timeout (stuck)  · no run yet\n")
    text.append(f"  {SLOWEST} the slowest stage by avg (not the last checkpoint: its duration is the run's total)\n")
    text.append("\nEsc, q or ? closes this help.", style="italic")
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", "Close", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $panel; padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "execlog-top keys"
            yield Static(help_text(), id="help-text")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
