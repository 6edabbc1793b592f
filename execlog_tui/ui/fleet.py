"""The fleet screen (`execlog-top --prometheus URL`): one row per instance as Prometheus holds it, worst band
first; Enter shows one instance's figures. Prometheus is read in a thread worker on the dashboard's timer
(never on the UI thread); a refresh that fails keeps the last good rows, marked stale, and says why.
Instance names and label values come from the server: every text is built as rich Text, never markup."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import DataTable, Static

from execlog_tui.core.display import band_legend
from execlog_tui.core.sanitize import one_line, sanitize
from execlog_tui.fleet.client import PrometheusError
from execlog_tui.fleet.model import Fleet, Instance
from execlog_tui.fleet.table import COLUMNS, NARROW_BAND, detail_lines, headline, row_band, row_cells, when
from execlog_tui.ui.footer import KeyFooter
from execlog_tui.ui.themes import band_variable_defaults, install_themes

# Prometheus's figures change once a scrape: on the dashboard's timer, a query starts at most this often.
MIN_QUERY_INTERVAL_S = 1.0
WIDE_FROM = 100  # columns from which the band is its glyph and word (below: the glyph alone)
Reader = Callable[[], Fleet]


class InstanceScreen(Screen[None]):
    """One instance's figures: every window, its bands, breakers, alerts; updated at each refresh."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back"), Binding("q", "app.quit", "Quit")]
    DEFAULT_CSS = """
    InstanceScreen #inst-status { height: 1; padding: 0 1; color: $text-muted; }
    InstanceScreen #inst-body { padding: 0 1; }
    """

    def __init__(self, key: tuple[str, str]) -> None:
        super().__init__()
        self.key = key

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="inst-status")
        with VerticalScroll():
            yield Static(Text(""), id="inst-body")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        app = self.app
        assert isinstance(app, FleetApp)
        fleet = app.fleet
        inst = None if fleet is None else next((i for i in fleet.instances if i.key == self.key), None)
        status = app.status_text()
        self.query_one("#inst-status", Static).update(status)
        body = Text()
        if inst is None or fleet is None:
            body.append(f"{sanitize(self.key[1])}: not in Prometheus's answer any more", app.band_style("warning"))
        else:
            for line, band in detail_lines(inst, fleet.at):
                body.append(line + "\n", app.band_style(band) if band else Style())
        self.query_one("#inst-body", Static).update(body)

    @property
    def body_text(self) -> str:
        return str(self.query_one("#inst-body", Static).render())

    def action_back(self) -> None:
        self.dismiss(None)


class FleetApp(App[int]):
    TITLE = "execlog-top fleet"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("r", "refresh_now", "Refresh"),
        Binding("enter", "open", "Instance", show=True),
    ]
    CSS = """
    Screen { layout: vertical; background: $background; }
    #fleet-head { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    #fleet-status { height: 1; padding: 0 1; }
    #fleet-rows { height: 1fr; }
    #fleet-legend { height: 1; padding: 0 1; color: $text-muted; }
    """

    class Loaded(Message):
        def __init__(self, fleet: Fleet | None, error: str | None) -> None:
            super().__init__()
            self.fleet, self.error = fleet, error

    def __init__(self, url: str, read: Reader, *, theme: Theme | None = None, refresh_hz: float = 4.0) -> None:
        super().__init__()
        self.url = url
        self.read = read
        self.refresh_hz = refresh_hz
        self.animation_level = "none"
        self.fleet: Fleet | None = None  # the last good answer
        self.error: str | None = None  # the last refresh's error, while it is the latest
        self.refreshes = 0  # answers received (good or not)
        self.rows: list[Instance] = []
        self._loading = False
        self._started = -1e9
        self._narrow: bool | None = None
        self._form: tuple[bool, int, int] | None = None  # the columns' (narrow, width, longest instance)
        install_themes(self, theme)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(), **band_variable_defaults()}

    def compose(self) -> ComposeResult:
        yield Static(Text(f"execlog-top fleet · Prometheus {sanitize(self.url)}"), id="fleet-head")
        yield Static(Text("reading Prometheus…"), id="fleet-status")
        table: DataTable[Text] = DataTable(id="fleet-rows", cursor_type="row", zebra_stripes=False)
        yield table
        yield Static(Text(band_legend() + "  ·  Enter: details"), id="fleet-legend")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#fleet-rows", DataTable).focus()
        self._columns()
        self._tick()
        self.set_interval(1.0 / max(self.refresh_hz, 0.1), self._tick, name="refresh")

    # ---- reading Prometheus --------------------------------------------------------------------
    def _tick(self) -> None:
        if not self.is_running or self._loading or time.monotonic() - self._started < MIN_QUERY_INTERVAL_S:
            return
        self._loading = True
        self._started = time.monotonic()
        self._load()

    @work(thread=True, exclusive=True, group="fleet", exit_on_error=False)
    def _load(self) -> None:
        fleet: Fleet | None = None
        error: str | None = None
        try:
            fleet = self.read()
        except PrometheusError as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - said on the status line, never a traceback
            error = one_line(f"{type(exc).__name__}: {exc}")
        self.post_message(self.Loaded(fleet, error))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self._loading = False
        self.refreshes += 1
        self.error = message.error
        if message.fleet is not None:
            self.fleet = message.fleet
        self._show()

    def action_refresh_now(self) -> None:
        self._started = -1e9
        self._tick()

    # ---- drawing -------------------------------------------------------------------------------
    def band_style(self, band: str | None, stale: bool = False) -> Style:
        colour = self.get_css_variables().get(f"band-{band}") if band else None
        style = Style(color=colour) if colour else Style()
        if band in ("error", "warning"):
            style += Style(bold=True)
        return style + Style(dim=True) if stale else style

    def status_text(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.error is not None:
            text.append(f"✗ {sanitize(self.error)}", self.band_style("error"))
            if self.fleet is not None:
                text.append(f" · rows as of {when(self.fleet.at)[11:19]} (stale)", Style(dim=True))
            return text
        if self.fleet is None:
            text.append("reading Prometheus…")
            return text
        text.append(headline(self.fleet).replace(f"Prometheus {sanitize(self.fleet.url)} · ", ""))
        text.append(f" · every {max(1.0 / self.refresh_hz, MIN_QUERY_INTERVAL_S):g} s", Style(dim=True))
        return text

    def _columns(self, width: int | None = None) -> None:
        width = width if width is not None else self.size.width or 80
        narrow = width < WIDE_FROM
        longest = max([len("instance"), *(len(sanitize(i.instance)) for i in self.rows)])
        form = (narrow, width, longest)
        if form == self._form:
            return
        self._form = form
        self._narrow = narrow
        table = self.query_one("#fleet-rows", DataTable)
        table.clear(columns=True)
        fixed = sum((NARROW_BAND if narrow and k == "band" else w) + 2 for k, _h, w, _r in COLUMNS if k != "instance")
        room = min(longest, max(12, width - fixed - 2 - 2))  # its padding, and a scrollbar's room
        for key, head, w, _right in COLUMNS:
            label = "" if narrow and key == "band" else head
            size = room if key == "instance" else NARROW_BAND if narrow and key == "band" else w
            table.add_column(Text(label, justify="right" if _right else "left"), key=key, width=size)
        self._fill()

    def on_resize(self, event: events.Resize) -> None:
        if self.screen.is_attached and self.query("#fleet-rows"):
            self._columns(event.size.width)

    def _fill(self) -> None:
        table = self.query_one("#fleet-rows", DataTable)
        at = table.cursor_row
        key = self.rows[at].key if 0 <= at < len(self.rows) else None
        table.clear()
        self.rows = list(self.fleet.instances) if self.fleet is not None else []
        stale = self.error is not None
        for inst in self.rows:
            cells = row_cells(inst, narrow=bool(self._narrow))
            style = self.band_style(row_band(inst), stale)
            row = []
            for k, _h, _w, right in COLUMNS:
                cell_style = style if k in ("band", "instance", "state") else Style(dim=True) if stale else Style()
                row.append(Text(cells[k], style=cell_style, justify="right" if right else "left", no_wrap=True))
            table.add_row(*row)
        if key is not None:
            for i, inst in enumerate(self.rows):
                if inst.key == key:
                    table.move_cursor(row=i)

    def _show(self) -> None:
        self.query_one("#fleet-status", Static).update(self.status_text())
        self.rows = list(self.fleet.instances) if self.fleet is not None else []
        before = self._form
        self._columns()  # a longer instance name widens its column (and fills the rows)
        if self._form == before:
            self._fill()
        if self.fleet is not None and not self.rows and self.error is None:
            self.query_one("#fleet-status", Static).update(
                Text("no execlog_* metrics in this Prometheus yet: is it scraping the exporters?")
            )
        if isinstance(self.screen, InstanceScreen):
            self.screen.show()

    # ---- keys ----------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#fleet-rows")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._open(event.cursor_row)

    def action_open(self) -> None:
        self._open(self.query_one("#fleet-rows", DataTable).cursor_row)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "open" and isinstance(self.screen, InstanceScreen))

    def _open(self, row: int) -> None:
        if 0 <= row < len(self.rows) and not isinstance(self.screen, InstanceScreen):
            self.push_screen(InstanceScreen(self.rows[row].key))

    def table_rows(self) -> list[list[str]]:
        """The rows as shown (for the tests and the twin's agreement)."""
        table = self.query_one("#fleet-rows", DataTable)
        return [
            [str(c) if not isinstance(c, Text) else c.plain for c in table.get_row_at(i)]
            for i in range(table.row_count)
        ]


def make_fleet_app(url: str, read: Reader, *, theme: Theme | None = None, refresh_hz: float = 4.0) -> FleetApp:
    return FleetApp(url, read, theme=theme, refresh_hz=refresh_hz)


__all__ = ["FleetApp", "InstanceScreen", "make_fleet_app"]
