"""The components table: entries, errors, mean and max duration over 1d, sortable."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.snapshot import ComponentFigures
from execlog_tui.ui.fmt import number, short_count

SORT_KEYS = ("component", "entries", "errors", "avg", "max")
COLUMNS = (
    ("Component", "component"),
    ("Entries", "entries"),
    ("Errors", "errors"),
    ("Avg ms", "avg"),
    ("Max ms", "max"),
)


def _sort_value(key: str, name: str, c: ComponentFigures) -> Any:
    return {"component": name, "entries": c.entries, "errors": c.errors, "avg": c.avg_ms, "max": c.max_ms}[key]


class ComponentsTable(DataTable[Text]):
    """Rows are rebuilt only when the figures or the sort change; cells are Text, never markup."""

    def __init__(self, **kwargs: Any) -> None:
        # No cell padding: each header is " Label▲" (a gap, then room for the arrow), as wide as before.
        super().__init__(cursor_type="none", zebra_stripes=True, show_cursor=False, cell_padding=0, **kwargs)
        self.sort_key = "entries"
        self.sort_reverse = True
        self._figures: dict[str, ComponentFigures] = {}
        self._shown_key: tuple[Any, ...] | None = None

    def on_mount(self) -> None:
        for label, key in COLUMNS:
            self.add_column(self._label(label, key), key=key)

    def _label(self, label: str, key: str) -> Text:
        """A header with room for the sort arrow (▲ A to Z / smallest first, ▼ largest first) on every
        column: DataTable sizes a column by its first label and its cells, so an arrow added later would
        be cut, and a column that widened when sorted would move the others. The arrow takes the place
        of the right padding, so the table is no wider than without it (80 columns show all five)."""
        arrow = ("▼" if self.sort_reverse else "▲") if key == self.sort_key else " "
        return Text(f" {label}{arrow}", style="bold" if key == self.sort_key else "")

    def show(self, components: dict[str, ComponentFigures]) -> None:
        self._figures = components
        self._render_rows()

    def cycle_sort(self) -> str:
        """Next column; numeric columns sort largest first, names A to Z."""
        i = SORT_KEYS.index(self.sort_key)
        self.sort_key = SORT_KEYS[(i + 1) % len(SORT_KEYS)]
        self.sort_reverse = self.sort_key != "component"
        self._render_rows()
        return self.sort_key

    def sort_by(self, key: str) -> None:
        if key == self.sort_key:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_key, self.sort_reverse = key, key != "component"
        self._render_rows()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))

    def row_names(self) -> list[str]:
        return [str(self.get_row_at(i)[0]).strip() for i in range(self.row_count)]

    def _render_rows(self) -> None:
        items = sorted(
            self._figures.items(), key=lambda kv: (_sort_value(self.sort_key, *kv), kv[0]), reverse=self.sort_reverse
        )
        key = (self.sort_key, self.sort_reverse, tuple(items))
        if key == self._shown_key:
            return
        self._shown_key = key
        self.clear()
        for label, col in COLUMNS:
            self.columns[ColumnKey(col)].label = self._label(label, col)
        for name, c in items:
            self.add_row(
                Text(" " + sanitize(name)),
                Text(short_count(c.entries), justify="right"),
                Text(short_count(c.errors), justify="right"),
                Text(number(c.avg_ms), justify="right"),
                Text(number(c.max_ms, digits=0), justify="right"),
            )
