"""The query screen (key Q): the named reports (the seed's five and critical_paths) and ad-hoc SQL over the
log set, run in the background."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any, ClassVar, NamedTuple

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.windows import WINDOW_NAMES
from execlog_tui.query.cli import MAX_ROWS_ENV, PROGRESS_ENV, PROGRESS_PREFIX
from execlog_tui.query.reports import REPORTS
from execlog_tui.ui.footer import KeyFooter

# The table shows at most this many rows: DataTable keeps every cell, and a SELECT * over a big set
# would hold the dashboard's memory hostage. The status line says how many there were.
MAX_ROWS = 5_000
# The child sends at most this many rows (and the total): sorting works on these, the memory stays small.
ROW_CAP = 50_000
CHILD_PREFIX = "execlog-top: "
HISTORY_LIMIT = 200
CELL_LIMIT = 120
SCOPES: tuple[str | None, ...] = (None, *WINDOW_NAMES)  # w cycles: whole set, then windows
REPORT_KEYS = tuple(REPORTS)  # 1..6: the seed's order, then critical_paths
SQL_HELP = (
    "report name or SQL over entries(ts, component, action, duration_ms, status, details, file, line)"
    " and parse_errors · Enter: run · ↑↓: history"
)


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


def _remove_after(proc: subprocess.Popen[bytes], scratch: str) -> None:
    try:
        proc.wait(timeout=5.0)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(scratch, ignore_errors=True)


class ChildResult(NamedTuple):
    """What the query child sent back: values as the json format renders them (timestamps as ISO text)."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    total: int
    more: bool  # the query had more rows than ROW_CAP: the child fetched no more
    files: tuple[str, ...]
    warnings: tuple[str, ...]


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
    """Reports 1-6, SQL with history, a sortable result table, a status line; queries run in a thread."""

    CSS_PATH = "query_screen.tcss"
    AUTO_FOCUS = "#query-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back / cancel"),
        # The screen's own: the app's focus_next is one of the dashboard's actions, off on this screen.
        Binding("tab", "focus_part(1)", "Next field", show=False),
        Binding("shift+tab", "focus_part(-1)", "Previous field", show=False),
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
        def __init__(
            self, run: int, result: Any = None, error: str | None = None, cancelled: bool = False, elapsed: float = 0.0
        ) -> None:
            super().__init__()
            self.run, self.result, self.error, self.cancelled, self.elapsed = run, result, error, cancelled, elapsed

    # A hook so snapshot tests show a fixed elapsed time.
    _clock = staticmethod(time.monotonic)

    def __init__(
        self,
        paths: Sequence[str],
        *,
        history: list[str] | None = None,
        line_limit: int | None = None,
        scope: str | None = None,
        config_file: str | None = None,
    ) -> None:
        super().__init__()
        self.paths = list(paths)
        self.history = history if history is not None else []
        self.line_limit = line_limit
        # The dashboard's configuration file, for the child: critical_paths follows its CRITICAL_PATHS.
        self.config_file = config_file
        self.scope = scope
        self.columns: tuple[str, ...] = ()
        self.rows: list[tuple[Any, ...]] = []
        self.sort_column: int | None = None
        self.sort_reverse = False
        self.running = False
        self.report: str | None = None
        self.current_sql: str | None = None  # the query shown (or running): `w` runs it again
        self.status = Text()
        self._run = 0
        self._cancel = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._proc_lock = threading.Lock()  # the worker starts the child while the UI may cancel it

    def compose(self) -> ComposeResult:
        yield Static(self._reports_text(), id="query-reports")
        yield Static("", id="query-description")
        yield SqlInput(self.history, id="query-input", placeholder=SQL_HELP, select_on_focus=False)
        yield DataTable(id="query-table", cursor_type="cell", zebra_stripes=True)
        yield Static("", id="query-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(SqlInput).cursor_blink = False  # snapshot tests and SSH: no blinking
        self._show_titles()
        self._set_status(
            Text(
                f"1-{len(REPORT_KEYS)}: a report · e/Tab: the SQL line · w: scope · s: sort · Esc: back", style="italic"
            )
        )

    def _reports_text(self) -> Text:
        """The reports line, on one line: the digit in the footer's key style, the current report
        underlined. Short of room (six reports do not fit 80 columns) the others show the first word of
        their names (`2 error`, `6 critical`); the current one keeps its whole name."""
        room = max(1, (self.app.size.width or 80) - 2)  # the line's padding

        def names(short: bool) -> list[str]:
            return [n.split("_")[0] if short and n != self.report else n for n in REPORT_KEYS]

        shown = names(False)
        if sum(len(n) + 3 for n in shown) - 1 > room:
            shown = names(True)
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, (name, label) in enumerate(zip(REPORT_KEYS, shown, strict=True)):
            if i:
                text.append(" ")
            text.append(f"{i + 1}", style="bold reverse")
            text.append(" " + label, style="bold underline" if name == self.report else "")
        return text

    def on_resize(self) -> None:
        self.query_one("#query-reports", Static).update(self._reports_text())

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

    def action_focus_part(self, step: int) -> None:
        """Tab / shift+tab: between the SQL line and the result table."""
        if step > 0:
            self.focus_next()
        else:
            self.focus_previous()

    def action_scope(self) -> None:
        """Next scope; the query shown (if any) runs again over it."""
        self.scope = SCOPES[(SCOPES.index(self.scope) + 1) % len(SCOPES)] if self.scope in SCOPES else None
        self._show_titles()
        if self.current_sql is not None:
            self.run_sql(self.current_sql)
        else:
            self._set_status(Text(f"scope: {self.scope or 'the whole set'} (for the next query)", style="italic"))

    def action_back(self) -> None:
        """Esc: out of the SQL line first (to the table), then cancel a running query, then leave."""
        if isinstance(self.focused, SqlInput):
            self.query_one(DataTable).focus()
            return
        if self.running:
            self.action_cancel()
            return
        self.dismiss(None)

    def system_commands(self) -> Iterable[SystemCommand]:
        """The command palette's entries on this screen (the app yields these instead of the dashboard's)."""
        for i, name in enumerate(REPORT_KEYS):
            yield SystemCommand(
                f"Report {name}", f"key: {i + 1} · {REPORTS[name].title}", partial(self.action_report, i)
            )
        yield SystemCommand("Edit SQL", "key: e · the SQL line (Enter runs, Esc back to the table)", self.action_edit)
        yield SystemCommand("Sort by the cursor's column", "key: s · again: reversed", self.action_sort)
        yield SystemCommand("Scope: next (all, 1m, 5m, 1h, 1d)", "key: w · reruns the query", self.action_scope)
        yield SystemCommand("Cancel the query", "key: ctrl+c", self.action_cancel)
        yield SystemCommand("Back to the dashboard", "key: Esc", lambda: self.dismiss(None))

    def action_cancel(self) -> None:
        if not self.running:
            return
        self._stop_child()
        self._set_status(Text("cancelling…", style="italic"))

    def _stop_child(self) -> None:
        """Cancel the running query: its flag set, its process terminated (killed if still there after 1 s)."""
        with self._proc_lock:
            self._cancel.set()
            proc, self._proc = self._proc, None
        if proc is not None:
            self._end(proc)

    @staticmethod
    def _end(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is not None:
            return
        try:
            proc.terminate()
        except OSError:
            return

        def reap() -> None:
            try:
                proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

        threading.Thread(target=reap, daemon=True).start()

    def on_unmount(self) -> None:
        self._stop_child()

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
        self.query_one(DataTable).focus()  # the results: s, w, the report digits and Esc act on the screen again

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
        self.current_sql = sql
        name = sql.strip().lower()
        self.report = name if name in REPORTS else None
        self.query_one("#query-reports", Static).update(self._reports_text())
        self._show_titles()
        desc = REPORTS[name].title + ": " + REPORTS[name].description if self.report else ""
        description = self.query_one("#query-description", Static)
        description.update(Text(desc))
        description.display = bool(desc)
        self._stop_child()  # the previous run, if any, stops; its late messages are ignored by number
        self._cancel = threading.Event()
        self._run += 1
        self.running = True
        self._set_status(Text("running… · ctrl+c or Esc cancels", style="italic"))
        self._query(self._run, sql, self.scope, self._cancel)

    def _command(self, sql: str, scope: str | None) -> list[str]:
        cmd = [sys.executable, "-m", "execlog_tui", "--query", sql, "--format", "jsontable"]
        if scope:
            cmd += ["--window", scope]
        if self.line_limit:
            cmd += ["--line-limit", str(self.line_limit)]
        if self.config_file:
            cmd += ["--config", self.config_file]
        # "--": a path that starts with a dash stays a path.
        return cmd + ["--", *self.paths] if self.paths else cmd

    @work(thread=True, exclusive=True, group="query", exit_on_error=False)
    def _query(self, run: int, sql: str, scope: str | None, cancel: threading.Event) -> None:
        """Run the query in a child process: DuckDB's memory (~60 MB that stays) never enters the dashboard."""
        started = self._clock()
        state: dict[str, Any] = {"files": (0, 0), "pct": None, "last": 0.0}
        errors: list[str] = []

        def say() -> None:
            now = self._clock()
            if now - state["last"] < 0.1:
                return  # at most ten updates a second: the screen redraws, not the thread
            state["last"] = now
            done, total = state["files"]
            parts = [f"running… {now - started:.1f} s"]
            if total and done < total:
                parts.append(f"setting up file {done + 1} of {total}")
            if state["pct"] is not None:
                parts.append(f"{state['pct']:.0f} %")
            parts.append("ctrl+c or Esc cancels")
            self.post_message(self.Progress(run, " · ".join(parts)))

        def read_stderr(stream: Any) -> None:
            # Progress lines while it runs; anything else is a message (an error, a warning).
            for raw in stream:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if line.startswith(PROGRESS_PREFIX):
                    kind, _, rest = line[len(PROGRESS_PREFIX) :].partition(" ")
                    try:
                        if kind == "files":
                            done, total = rest.split()
                            state["files"] = (int(done), int(total))
                        elif kind == "query":
                            state["pct"] = float(rest)
                    except ValueError:
                        continue
                    say()
                elif line.strip():
                    errors.append(line)

        # The child's temporary files go in a directory of ours, removed when it ends however it ends (a
        # child killed after the 1 s grace could not clean up).
        scratch = tempfile.mkdtemp(prefix="execlog-query-")
        env = dict(os.environ, **{PROGRESS_ENV: "1", MAX_ROWS_ENV: str(ROW_CAP), "TMPDIR": scratch})
        try:
            proc = subprocess.Popen(
                self._command(sql, scope),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
        except OSError as exc:
            shutil.rmtree(scratch, ignore_errors=True)
            self.post_message(self.Finished(run, error=f"cannot start the query: {exc}", elapsed=0.0))
            return
        with self._proc_lock:
            if cancel.is_set():  # cancelled (or replaced) while the child was starting
                self._end(proc)
            else:
                self._proc = proc
        reader = threading.Thread(target=read_stderr, args=(proc.stderr,), daemon=True)
        reader.start()
        # A ticker: the elapsed time moves even while the child is silent (loading, or no estimate yet).
        ticking = threading.Event()

        def tick() -> None:
            while not ticking.wait(0.25):
                say()

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            out = proc.stdout.read() if proc.stdout is not None else b""  # until the child ends or is killed
            code = proc.wait()
        finally:
            ticking.set()
            reader.join(timeout=2)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
            if proc.poll() is None:  # cancelled: the child was told to stop; its files go when it has
                threading.Thread(target=_remove_after, args=(proc, scratch), daemon=True).start()
            else:
                shutil.rmtree(scratch, ignore_errors=True)
        elapsed = self._clock() - started
        if cancel.is_set():
            self.post_message(self.Finished(run, cancelled=True, elapsed=elapsed))
            return
        warnings = [w[len(CHILD_PREFIX + "warning: ") :] for w in errors if w.startswith(CHILD_PREFIX + "warning: ")]
        if code == 0:
            try:
                doc = json.loads(out)
                result = ChildResult(
                    tuple(doc["columns"]),
                    [tuple(r) for r in doc["rows"]],
                    int(doc.get("total", len(doc["rows"]))),
                    bool(doc.get("more", False)),
                    tuple(doc.get("files", ())),
                    tuple(warnings),
                )
            except (ValueError, KeyError, TypeError) as exc:
                self.post_message(self.Finished(run, error=f"unreadable query output: {exc}", elapsed=elapsed))
                return
            self.post_message(self.Finished(run, result=result, elapsed=elapsed))
            return
        lines = [e for e in errors if e not in warnings and not e.startswith(CHILD_PREFIX + "warning: ")]
        message = lines[-1] if lines else f"the query process ended with status {code}"
        for prefix in (CHILD_PREFIX + "query failed: ", CHILD_PREFIX):
            if message.startswith(prefix):
                message = message[len(prefix) :]
                break
        self.post_message(self.Finished(run, error=" ".join(message.split()), elapsed=elapsed))

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
        if tuple(result.columns) != self.columns:  # the same columns (`w` reran the query): the same order
            self.sort_column, self.sort_reverse = None, False
        self.columns, self.rows = tuple(result.columns), list(result.rows)
        self._fill_table()
        n = result.total
        text = f"more than {n:,} rows" if result.more else f"{n:,} row{'s' if n != 1 else ''}"
        if n > MAX_ROWS:
            text += f" (first {min(len(self.rows), MAX_ROWS):,} shown)"
        text += f" · {message.elapsed:.2f} s · {len(result.files)} file{'s' if len(result.files) != 1 else ''}"
        status = Text(text)
        for w in result.warnings[:2]:
            status.append(f" · warning: {sanitize(w)}", style="yellow")
        self._set_status(status)

    def _fill_table(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        rows = self.rows
        if self.sort_column is not None:
            rows = sort_rows(rows, self.sort_column, self.sort_reverse)
        rows = rows[:MAX_ROWS]
        numeric = [
            all(isinstance(r[i], (int, float)) or r[i] is None for r in rows) and bool(rows)
            for i in range(len(self.columns))
        ]
        for i, name in enumerate(self.columns):
            label = Text(sanitize(name), style="bold")
            if i == self.sort_column:
                label.append(" ▼" if self.sort_reverse else " ▲")
            table.add_column(label, key=str(i))
        for row in rows:
            # Text objects, never strings: DataTable would read [brackets] in log text as markup.
            table.add_row(
                *(
                    Text(cell_text(v), justify="right" if numeric[i] else "left", no_wrap=True)
                    for i, v in enumerate(row)
                )
            )
        if self.sort_column is not None and self.columns:
            table.move_cursor(column=self.sort_column)
