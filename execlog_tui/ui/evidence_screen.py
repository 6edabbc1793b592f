"""The evidence screen: the entries behind one figure, read by `execlog_tui.evidence.collect_evidence`
in a thread worker (never on the UI thread), with a progress line and Esc / ctrl+c to cancel. Enter on
a row opens the entry's detail."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import PurePath
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.timefmt import format_ts
from execlog_tui.evidence import DEFAULT_LIMIT, EvidenceResult, EvidenceRow, collect_evidence
from execlog_tui.ui.detail import DetailScreen
from execlog_tui.ui.fmt import count, size
from execlog_tui.ui.footer import KeyFooter

CELL_CHARS = 400  # a row shows this much of a line; the detail screen shows all of it
SLOWEST_FIRST = ("response_time", "p95")  # figures whose rows are shown slowest first
Collector = Callable[..., EvidenceResult]


def shown_rows(result: EvidenceResult) -> list[EvidenceRow]:
    """The rows in the order the screen shows them: slowest first for response time and p95 (the p95
    line marked), log order otherwise."""
    return result.slowest_first() if result.figure.split(":", 1)[0] in SLOWEST_FIRST else list(result.rows)


def _cell(raw: str) -> Text:
    shown = sanitize(raw)
    if len(shown) > CELL_CHARS:
        shown = shown[: CELL_CHARS - 1] + "…"
    return Text(shown, no_wrap=True)


class EvidenceScreen(Screen[None]):
    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (("", "mark"), ("where", "where"), ("entry", "entry"))
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back / cancel"),
        Binding("q", "back", "Back", show=False),
        Binding("ctrl+c", "cancel", "Cancel", priority=True, show=False),
    ]
    DEFAULT_CSS = """
    EvidenceScreen { layout: vertical; }
    EvidenceScreen #ev-head { height: auto; background: $panel; padding: 0 1; text-style: bold; }
    EvidenceScreen #ev-status { height: 1; padding: 0 1; color: $text-muted; }
    EvidenceScreen #ev-rows { height: 1fr; }
    """

    class Finished(Message):
        def __init__(self, result: EvidenceResult | None, error: str | None, elapsed: float) -> None:
            super().__init__()
            self.result, self.error, self.elapsed = result, error, elapsed

    def __init__(
        self,
        session: Any,
        figure: str,
        window: str,
        *,
        label: str | None = None,
        at: int | None = None,
        limit: int = DEFAULT_LIMIT,
        collect: Collector = collect_evidence,
    ) -> None:
        super().__init__()
        self.session = session
        self.figure = figure
        self.window = window
        self.label = label or figure
        self.at = at
        self.limit = limit
        self.collect = collect
        self.cancel_event = threading.Event()
        self.result: EvidenceResult | None = None
        self.error: str | None = None
        self.rows: list[EvidenceRow] = []  # as shown, top to bottom
        self.running = False
        self._progress: tuple[int, int] = (0, 0)  # written by the worker, read by a timer
        self._started = 0.0

    def compose(self) -> ComposeResult:
        yield Static(self._head(), id="ev-head")
        yield Static(Text("reading…"), id="ev-status")
        table: DataTable[Text] = DataTable(id="ev-rows", cursor_type="row", zebra_stripes=True)
        yield table
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#ev-rows", DataTable)
        for label, key in self.COLUMNS:
            table.add_column(label, key=key)
        table.focus()
        self.running = True
        self._started = time.monotonic()
        self.set_interval(0.2, self._show_progress, name="evidence-progress")
        self._collect(self.cancel_event)

    def _head(self) -> Text:
        text = Text()
        r = self.result
        text.append(f"Evidence: {sanitize(self.label)}")
        window = r.window if r is not None else self.window
        text.append(f"  ·  window {'the whole history' if window == 'all' else window}", "not bold")
        if r is not None:
            text.append(f"  ·  as of {format_ts(r.as_of) or '—'}", "not bold")
            shown = f"{count(len(r.rows))} shown (the {'slowest' if r.figure in SLOWEST_FIRST else 'newest'})"
            text.append(f"  ·  {count(r.total)} entries" + (f", {shown}" if r.truncated else ""))
            text.append(f"  ·  from the {'log buffer' if r.source == 'ring' else 'files'}", "not bold")
            folders = {str(PurePath(row.file).parent) for row in r.rows}
            if len(folders) == 1:
                text.append(f"  ·  in {sanitize(folders.pop())}/", "not bold")
        return text

    # ---- the worker --------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="evidence", exit_on_error=False)
    def _collect(self, cancel: threading.Event) -> None:
        started = time.monotonic()
        result: EvidenceResult | None = None
        error: str | None = None

        def progress(done: int, total: int) -> None:
            self._progress = (done, total)

        try:
            result = self.collect(
                self.session,
                self.figure,
                self.window,
                at=self.at,
                limit=self.limit,
                progress=progress,
                cancel=cancel,
            )
        except ValueError as exc:  # EvidenceError: a figure or name that does not exist
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - shown on the status line, never a traceback
            error = f"{type(exc).__name__}: {exc}"
        self.post_message(self.Finished(result, error, time.monotonic() - started))

    def _show_progress(self) -> None:
        if not self.running:
            return
        done, total = self._progress
        elapsed = time.monotonic() - self._started
        line = f"reading… {size(done)} of {size(total)}" if total else "reading…"
        self._status(f"{line} · {elapsed:.1f} s · Esc or ctrl+c cancels")

    def _status(self, text: str) -> None:
        self.query_one("#ev-status", Static).update(Text(sanitize(text)))

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        self.running = False
        self.result, self.error = message.result, message.error
        if message.error is not None:
            self._status(f"cannot collect the evidence: {message.error}")
            return
        result = message.result
        assert result is not None
        self.rows = shown_rows(result)
        table = self.query_one("#ev-rows", DataTable)
        cells = []
        for r in self.rows:
            mark = Text(f"◀ {sanitize(r.mark)}", style="bold") if r.mark else Text("")
            # The file's name and line (its directory is said once, above); the line carries its time.
            cells.append((mark, Text(sanitize(f"{PurePath(r.file).name}:{r.line}")), _cell(r.raw)))
        # The columns get their widths from the rows here, not from the table's later measuring: the
        # first frame with the rows is already laid out (a snapshot taken then caught 5-wide columns).
        table.clear(columns=True)
        for i, (label, key) in enumerate(self.COLUMNS):
            width = max([len(label), *(row[i].cell_len for row in cells)])
            table.add_column(label, key=key, width=width)
        for row in cells:
            table.add_row(*row)
        self.query_one("#ev-head", Static).update(self._head())
        if result.cancelled:
            self._status(f"cancelled after {message.elapsed:.1f} s: {count(len(self.rows))} rows read so far")
        elif not self.rows:
            self._status("no entries behind this figure in this window")
        else:
            self._status("Enter: the whole entry · Esc: back")

    # ---- keys --------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#ev-rows")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.rows):
            row = self.rows[event.cursor_row]
            self.app.push_screen(DetailScreen(row.raw, (row.file, row.line)))

    def action_cancel(self) -> None:
        if self.running:
            self.cancel_event.set()
            self._status("cancelling…")

    def action_back(self) -> None:
        if self.running:
            self.action_cancel()
            return
        self.dismiss(None)

    def on_unmount(self) -> None:
        self.cancel_event.set()  # leaving while it reads: the worker stops at its next check
