"""One-line notices: the degraded-mode banner and the quiet-log clock notice."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.timefmt import format_ts
from execlog_tui.core.windows import SHORTEST
from execlog_tui.ui.fmt import age

QUIET_AFTER_MS = SHORTEST.ms  # the 1m window is empty once the newest entry is older than this


class DegradedBanner(Static):
    """Shown (display on) only while degraded mode holds."""

    _shown: tuple[bool, str | None] | None = None

    def show(self, degraded: bool, reason: str | None) -> None:
        if (degraded, reason) == self._shown:
            return  # unchanged: no repaint
        self._shown = (degraded, reason)
        self.display = degraded
        if degraded:
            why = f": {sanitize(reason)}" if reason else ""
            self.update(Text(f"⚠ DEGRADED MODE{why}"))


class ClockNotice(Static):
    """Says how long ago the last entry was when the log is quiet, and which key changes the view."""

    _shown: tuple[bool, bool, str] | None = None

    def show(self, as_of: int | None, last: int | None, live: bool, as_of_last_entry: bool) -> None:
        if as_of_last_entry:
            self._set(True, False, f"◷ l: back to live · windows as of the last entry {format_ts(last) or '—'}")
            return
        gap = None if as_of is None or last is None else as_of - last
        quiet = live and gap is not None and gap > QUIET_AFTER_MS
        text = (
            (
                f"◷ Last entry {age(gap)} ago · l: view as of the last entry · "
                f"windows end now ({format_ts(last)} was the last)"
            )
            if quiet
            else ""
        )
        self._set(quiet, quiet, text)

    def _set(self, display: bool, quiet: bool, text: str) -> None:
        if (display, quiet, text) == self._shown:
            return  # unchanged: no repaint (the age changes once a second at most)
        self._shown = (display, quiet, text)
        self.display = display
        self.set_class(quiet, "-quiet")
        if text:
            self.update(Text(text))
