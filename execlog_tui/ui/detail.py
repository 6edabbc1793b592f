"""An entry's detail: the whole line, its fields, its `key=value` pairs as a table, where it came from;
`c` copies the line (Textual's clipboard: OSC 52, which works over SSH)."""

from __future__ import annotations

import re
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import parse_line
from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.timefmt import format_ts
from execlog_tui.ui.fmt import duration
from execlog_tui.ui.footer import KeyFooter

# key=value in the details: a key starts a word; a value runs to white space, a comma or a semicolon,
# or is quoted.
KEY_VALUE_RE = re.compile(r"(?<![^\s,;(\[{])([A-Za-z_][\w.\-]*)=(\"[^\"]*\"|'[^']*'|[^\s,;()\[\]{}]+)")


def key_values(details: str) -> list[tuple[str, str]]:
    """The `key=value` pairs of an entry's details, in order (quotes kept off the value)."""
    out = []
    for m in KEY_VALUE_RE.finditer(details):
        value = m.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out.append((m.group(1), value))
    return out


def origin_text(origin: tuple[str, int] | None) -> str:
    return "file and line not known for this line" if origin is None else f"{origin[0]}:{origin[1]}"


class DetailScreen(ModalScreen[None]):
    """One entry, whole. Every text shown is built as rich Text from sanitised strings (never markup)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back"),
        Binding("c", "copy_line", "Copy line"),
    ]
    DEFAULT_CSS = """
    DetailScreen { align: center middle; }
    DetailScreen > #detail-box {
        width: 100%; max-width: 140; height: auto; max-height: 100%;
        border: round $primary; background: $panel; padding: 0 1;
    }
    DetailScreen #detail-kv { height: auto; max-height: 12; margin: 1 0 0 0; }
    DetailScreen .detail-label { color: $text-muted; text-style: bold; margin: 1 0 0 0; }
    """

    def __init__(self, raw: str, origin: tuple[str, int] | None = None) -> None:
        super().__init__()
        self.raw = raw
        self.origin = origin
        self.item = parse_line(raw)
        self.pairs = key_values(self.item.details) if type(self.item) is Entry else []

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-box") as box:
            box.border_title = "Entry"
            box.border_subtitle = "c copy · Esc back"
            yield Static(self._fields(), id="detail-fields")
            if self.pairs:
                yield Static(Text("key=value"), classes="detail-label")
                table: DataTable[Text] = DataTable(id="detail-kv", cursor_type="row", zebra_stripes=True)
                yield table
            yield Static(Text("line"), classes="detail-label")
            yield Static(Text(sanitize(self.raw)), id="detail-raw")
        yield KeyFooter()

    def on_mount(self) -> None:
        if self.pairs:
            table = self.query_one("#detail-kv", DataTable)
            table.add_column("key", key="key")
            table.add_column("value", key="value")
            for k, v in self.pairs:
                table.add_row(Text(sanitize(k)), Text(sanitize(v)))

    def _fields(self) -> Text:
        text = Text()
        text.append("where     ", "bold")
        text.append(origin_text(self.origin) if self.origin is None else sanitize(origin_text(self.origin)))
        item = self.item
        if type(item) is Entry:
            for label, value in (
                ("time", format_ts(item.ts) or ""),
                ("component", item.component),
                ("action", item.action),
                ("duration", duration(item.duration_ms)),
                ("status", item.status),
            ):
                text.append(f"\n{label:<10}", "bold")
                text.append(sanitize(value))
            text.append("\ndetails   ", "bold")
            text.append(sanitize(item.details) or "—")
            if item.cut:
                text.append("\n(the line was longer than the line limit and was cut)", "italic")
        elif isinstance(item, ParseError):
            text.append("\nnot an entry: ", "bold")
            text.append(sanitize(item.reason))
        return text

    def action_copy_line(self) -> None:
        # The raw line: OSC 52 carries it base64-encoded, so no byte of it reaches the terminal as is.
        self.app.copy_to_clipboard(self.raw)
        # Said in the border, not a toast: nothing covers the entry.
        self.query_one("#detail-box").border_subtitle = "copied to the clipboard · c copy · Esc back"

    def action_back(self) -> None:
        self.dismiss(None)
