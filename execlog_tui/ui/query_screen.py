"""The query screen (key Q): the seed's five reports and ad-hoc SQL over the log set, run in the background."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from execlog_tui.query.reports import REPORTS
from execlog_tui.ui.sanitize import sanitize

# The table shows at most this many rows: DataTable keeps every cell, and a SELECT * over a big set
# would hold the dashboard's memory hostage. The status line says how many there were.
MAX_ROWS = 5_000
HISTORY_LIMIT = 200
CELL_LIMIT = 120
SCOPES: tuple[str | None, ...] = (None, "1m", "5m", "1h", "1d")  # w cycles: whole set, then windows
REPORT_KEYS = tuple(REPORTS)  # 1..5 in the seed's order
SQL_HELP = ("report name or SQL over entries(ts, component, action, duration_ms, status, details, file, line)"
            " and parse_errors · Enter: run · ↑↓: history")


def cell_text(value: Any) -> str:
    """A result value as the table shows it: inert text, floats to 3 decimals, nothing for NULL."""
    # output._text is the CLI's own rendering: the screen and --query show the same figures.
    from execlog_tui.query.output import _text

    text = sanitize(_text(value))
    # A column is as wide as its widest cell: one long details field would push the others away.
    return text if len(text) <= CELL_LIMIT else text[: CELL_LIMIT - 1] + "…"


def sort_rows(rows: Sequence[tuple[Any, ...]], column: int, reverse: bool) -> list[tuple[Any, ...]]:
    """Rows ordered by one column: numbers as numbers, the rest as text, NULL (and NaN) always last."""
    def missing(v: Any) -> bool:
        return v is None or (isinstance(v, float) and math.isnan(v))

    present = [r for r in rows if not missing(r[column])]
    absent = [r for r in rows if missing(r[column])]

    def key(r: tuple[Any, ...]) -> tuple[int, Any]:
        v = r[column]
        if isinstance(v, bool):
            return (0, int(v))
        if isinstance(v, (int, float)):
            return (0, v)
        return (1, str(v))  # timestamps, text: ISO forms sort as text

    return sorted(present, key=key, reverse=reverse) + absent


class SqlInput(Input):
    """The SQL line: ↑/↓ walk the history (newest first), as a shell would."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history(-1)", "Older", show=False),
        Binding("down", "history(1)", "Newer", show=False),
    ]

    def __init__(self, history: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.history = history
        self._pos: int | None = None  # index into history while walking it; None: editing fresh text
        self._draft = ""

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._pos is None:
            if step > 0:
                return
            self._draft = self.value
            pos = len(self.history) - 1
        else:
            pos = self._pos + step
        if pos >= len(self.history):
            self._pos = None
            self._set(self._draft)
            return
        self._pos = max(0, pos)
        self._set(self.history[self._pos])

    def _set(self, value: str) -> None:
        self.value = value
        self.cursor_position = len(value)

    def reset_history(self) -> None:
        self._pos = None


class QueryScreen(Screen[None]):
    """Reports 1-5, SQL with history, a sortable result table, a status line; queries run in a thread."""

    CSS_PATH = "query_screen.tcss"
    AUTO_FOCUS = "#query-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back / cancel"),
        Binding("q", "back", "Back", show=False),
        Binding("ctrl+c", "cancel", "Cancel", priority=True, show=False),
        *(Binding(str(i + 1), f"report({i})", name, show=False) for i, name in enumerate(REPORT_KEYS)),
        Binding("e", "edit", "Edit SQL"),
        Binding("s", "sort", "Sort column"),
        Binding("w", "scope", "Scope"),
    ]

    class Progress(Message):
        def __init__(self, run: int, text: str) -> None:
            super().__init__()
            self.run, self.text = run, text

    class Finished(Message):
        def __init__(self, run: int, result: Any = None, error: str | None = None, cancelled: bool = False,
                     elapsed: float = 0.0) -> None:
            super().__init__()
            self.run, self.result, self.error, self.cancelled, self.elapsed = run, result, error, cancelled, elapsed

    # A hook so snapshot tests show a fixed elapsed time.
    _clock = staticmethod(time.monotonic)

    def __init__(self, paths: Sequence[str], *, history: list[str] | None = None, line_limit: int | None = None,
                 scope: str | None = None) -> None:
        super().__init__()
        self.paths = list(paths)
        self.history = history if history is not None else []
        self.line_limit = line_limit
        self.scope = scope
        self.columns: tuple[str, ...] = ()
        self.rows: list[tuple[Any, ...]] = []
        self.sort_column: int | None = None
        self.sort_reverse = False
        self.running = False
        self.report: str | None = None
        self.status = Text()
        self._run = 0
        self._cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield Static(self._reports_text(), id="query-reports")
        yield Static("", id="query-description")
        yield SqlInput(self.history, id="query-input", placeholder=SQL_HELP, select_on_focus=False)
        yield DataTable(id="query-table", cursor_type="cell", zebra_stripes=True)
        yield Static("", id="query-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(SqlInput).cursor_blink = False  # snapshot tests and SSH: no blinking
        self._show_titles()
        self._set_status(Text("1-5: a report · e: write SQL · w: scope · s: sort · Esc: back", style="italic"))

    def _reports_text(self) -> Text:
        # Fits 80 columns on one line: the digit in the footer's key style, the current report reversed.
        text = Text()
        for i, name in enumerate(REPORT_KEYS):
            if i:
                text.append(" ")
            text.append(f"{i + 1}", style="bold reverse")
            text.append(" " + name, style="bold underline" if name == self.report else "")
        return text

    def _show_titles(self) -> None:
        table = self.query_one(DataTable)
        table.border_title = REPORTS[self.report].title if self.report else ("SQL" if self.columns else "Result")
        table.border_subtitle = f"scope: {self.scope or 'all'} (w)"

    def _set_status(self, text: Text, error: bool = False) -> None:
        self.status = text
        status = self.query_one("#query-status", Static)
        status.set_class(error, "-error")
        status.update(text)

    # ---- actions ---------------------------------------------------------------------------------
    def action_report(self, index: int) -> None:
        name = REPORT_KEYS[index]
        field = self.query_one(SqlInput)
        field.value = name
        self.run_sql(name)

    def action_edit(self) -> None:
        self.query_one(SqlInput).focus()

    def action_scope(self) -> None:
        self.scope = SCOPES[(SCOPES.index(self.scope) + 1) % len(SCOPES)] if self.scope in SCOPES else None
        self._show_titles()
        self.notify(f"scope: {self.scope or 'the whole set'} (runs from the next query)", timeout=2)

    def action_back(self) -> None:
        if self.running:
            self.action_cancel()
            return
        self.dismiss(None)

    def action_cancel(self) -> None:
        if not self.running:
            return
        self._cancel.set()
        self._set_status(Text("cancelling…", style="italic"))

    def action_sort(self) -> None:
        table = self.query_one(DataTable)
        if not self.columns:
            return
        self.sort_by(table.cursor_column)

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(event.column_index)

    def sort_by(self, column: int) -> None:
        """Sort by a column; the same column again reverses the order."""
        if not 0 <= column < len(self.columns):
            return
        self.sort_reverse = (not self.sort_reverse) if self.sort_column == column else False
        self.sort_column = column
        self._fill_table()

    @on(Input.Submitted, "#query-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.run_sql(event.value)

    # ---- running ---------------------------------------------------------------------------------
    def run_sql(self, sql: str) -> None:
        """Start `sql` (a report name or SQL) in the background; a running query is cancelled first."""
        if not sql.strip():
            self._set_status(Text("nothing to run: type a report name or SQL", style="italic"))
            return
        if not self.history or self.history[-1] != sql:
            self.history.append(sql)
            del self.history[:-HISTORY_LIMIT]
        self.query_one(SqlInput).reset_history()
        name = sql.strip().lower()
        self.report = name if name in REPORTS else None
        self.query_one("#query-reports", Static).update(self._reports_text())
        self._show_titles()
        desc = REPORTS[name].title + ": " + REPORTS[name].description if self.report else ""
        description = self.query_one("#query-description", Static)
        description.update(Text(desc))
        description.display = bool(desc)
        self._cancel.set()  # the previous run, if any, stops; its late messages are ignored by number
        self._cancel = threading.Event()
        self._run += 1
        self.running = True
        self._set_status(Text("running… · ctrl+c or Esc cancels", style="italic"))
        self._query(self._run, sql, self.scope, self._cancel)

    @work(thread=True, exclusive=True, group="query", exit_on_error=False)
    def _query(self, run: int, sql: str, scope: str | None, cancel: threading.Event) -> None:
        started = self._clock()
        files = [0, 0]
        pct: list[float | None] = [None]
        last = [0.0]

        def say() -> None:
            now = self._clock()
            if now - last[0] < 0.1:
                return  # at most ten updates a second: the screen redraws, not the thread
            last[0] = now
            done, total = files
            parts = [f"running… {now - started:.1f} s"]
            if total and done < total:
                parts.append(f"setting up file {done + 1} of {total}")
            if pct[0] is not None:
                parts.append(f"{pct[0]:.0f} %")
            parts.append("ctrl+c or Esc cancels")
            self.post_message(self.Progress(run, " · ".join(parts)))

        def on_files(done: int, total: int, _name: str) -> None:
            files[:] = [done, total]
            say()

        def on_percent(value: float) -> None:
            pct[0] = value
            say()

        try:
            from execlog_tui.query.run import NoInput, QueryCancelled, QueryError, run_query

            kwargs: dict[str, Any] = {}
            if self.line_limit:
                kwargs["line_limit"] = self.line_limit
            result = run_query(self.paths, sql, window=scope, progress=on_files, query_progress=on_percent,
                               cancelled=cancel.is_set, **kwargs)
        except QueryCancelled:
            self.post_message(self.Finished(run, cancelled=True, elapsed=self._clock() - started))
            return
        except (QueryError, NoInput, ValueError) as exc:
            message = str(exc)
        except ImportError as exc:
            message = f"queries need DuckDB and numpy ({exc}): pip install duckdb numpy"
        except Exception as exc:  # noqa: BLE001 - whatever the database raises: one line, never a traceback
            message = f"{type(exc).__name__}: {exc}"
        else:
            self.post_message(self.Finished(run, result=result, elapsed=self._clock() - started))
            return
        self.post_message(self.Finished(run, error=" ".join(message.split()), elapsed=self._clock() - started))

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        if message.run == self._run and self.running:
            self._set_status(Text(message.text, style="italic"))

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        if message.run != self._run:
            return  # a run that was replaced by a newer one
        self.running = False
        if message.cancelled:
            self._set_status(Text(f"cancelled after {message.elapsed:.1f} s", style="italic"))
            return
        if message.error is not None:
            self.columns, self.rows = (), []
            self._fill_table()
            status = Text("error: ", style="bold")
            status.append(sanitize(message.error))
            self._set_status(status, error=True)
            return
        result = message.result
        self.columns, self.rows = tuple(result.columns), list(result.rows)
        self.sort_column, self.sort_reverse = None, False
        self._fill_table()
        n = len(self.rows)
        text = f"{n:,} row{'s' if n != 1 else ''}"
        if n > MAX_ROWS:
            text += f" (first {MAX_ROWS:,} shown)"
        text += f" · {message.elapsed:.2f} s · {len(result.files)} file{'s' if len(result.files) != 1 else ''}"
        status = Text(text)
        for w in result.warnings[:2]:
            status.append(f" · warning: {sanitize(w.file)}: {sanitize(w.message)}", style="yellow")
        self._set_status(status)

    def _fill_table(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        rows = self.rows
        if self.sort_column is not None:
            rows = sort_rows(rows, self.sort_column, self.sort_reverse)
        rows = rows[:MAX_ROWS]
        numeric = [all(isinstance(r[i], (int, float)) or r[i] is None for r in rows) and bool(rows)
                   for i in range(len(self.columns))]
        for i, name in enumerate(self.columns):
            label = Text(sanitize(name), style="bold")
            if i == self.sort_column:
                label.append(" ▼" if self.sort_reverse else " ▲")
            table.add_column(label, key=str(i))
        for row in rows:
            # Text objects, never strings: DataTable would read [brackets] in log text as markup.
            table.add_row(*(Text(cell_text(v), justify="right" if numeric[i] else "left", no_wrap=True)
                            for i, v in enumerate(row)))
        if self.sort_column is not None and self.columns:
            table.move_cursor(column=self.sort_column)
