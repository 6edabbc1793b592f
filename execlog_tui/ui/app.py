"""The dashboard app: `make_app(...)`, which the CLI (the composition root) and the tests call."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme
from textual.widget import Widget

from execlog_tui.core.config import Config
from execlog_tui.core.incidents import Incident, incidents_of
from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.snapshot import WINDOW_NAMES, MetricsSnapshot
from execlog_tui.core.timefmt import format_ts, parse_user_time
from execlog_tui.core.windows import WINDOWS_BY_NAME, coverage_note
from execlog_tui.session import MEMORY_CHECK_EVERY_S, ReplayControls, Session, read_rss_mb
from execlog_tui.ui.alerts import AlertsPanel
from execlog_tui.ui.banner import StatusLine, StatusState, clock_notice
from execlog_tui.ui.breakers import BreakersPanel
from execlog_tui.ui.components import ComponentsTable
from execlog_tui.ui.detail import DetailScreen
from execlog_tui.ui.events import EventsScreen, Notices
from execlog_tui.ui.filters import FilterError, LineFilter, TextMatcher
from execlog_tui.ui.fmt import count, duration, number
from execlog_tui.ui.footer import KeyFooter
from execlog_tui.ui.header import HeaderBar, HeaderState
from execlog_tui.ui.help import HelpScreen
from execlog_tui.ui.keys import KEYS
from execlog_tui.ui.logview import LogView
from execlog_tui.ui.messages import PromptCancelled, PromptSubmitted
from execlog_tui.ui.paths import PathsPanel, choose_layout, paths_shown
from execlog_tui.ui.prompt import PromptBar
from execlog_tui.ui.textpanel import TextPanel
from execlog_tui.ui.themes import band_variable_defaults, install_themes, resolve_theme
from execlog_tui.ui.tiles import MetricTile, WindowSwitch
from execlog_tui.ui.timeline import TimelineBar

# A history an earlier run kept is waited for this long at most before the first frame (it takes
# ~0.1-0.2 s; one that takes longer is drawn as it is read).
KEPT_HISTORY_WAIT_S = 0.3
ERROR_SHOWN_S = 15.0  # an error or warning notice stays in the status line this long at least
# The figure each tile opens (Enter or a click), as `collect_evidence` and `-b --evidence` name them.
TILE_FIGURES = {
    "tile-rps": "requests",
    "tile-avg": "response_time",
    "tile-p95": "p95",
    "tile-errors": "error_rate",
    "tile-cache": "cache_hit_rate",
    "tile-memory": "memory",
    "tile-bootstrap": "bootstrap",
}
# What `z` maximises for the focused widget: the panel's box (its title stays), or the log itself.
MAXIMISE = {
    "components": "#components-box",
    "breakers": "#breakers-box",
    "alerts": "#alerts-box",
    "paths": "#paths-box",
    "log": "#log",
}
# The actions the dashboard's own screen answers; on any other screen (query, evidence, an entry's
# detail) they would act on a screen that is not shown.
EVERY_SCREEN_ACTIONS = ("quit", "help", "command_palette")


def _error_rate_series(series: dict[str, tuple[float | None, ...]]) -> list[float]:
    entries, errors = series.get("entries", ()), series.get("errors", ())
    return [100 * (e or 0) / n if n else 0.0 for n, e in zip(entries, errors, strict=False)]


def _clean(values: Iterable[float | None]) -> list[float]:
    """Sparklines need numbers: a second with nothing logged carries the previous value forward."""
    out: list[float] = []
    last = 0.0
    for v in values:
        last = last if v is None else float(v)
        out.append(last)
    return out


STOP_GRACE_S = 5.0  # after SIGTERM or SIGHUP, the process ends this long after at the latest


class ExeclogApp(App[int]):
    """Reads `session.snapshot()` and `session.ring` on a timer; never per line."""

    CSS_PATH = "app.tcss"
    TITLE = "execlog-top"
    ENABLE_COMMAND_PALETTE = True
    # 80 columns: compact; 140 and more: everything side by side.
    HORIZONTAL_BREAKPOINTS = [(0, "-compact"), (140, "-wide")]
    # From 30 rows the compact panels get back the row the critical paths took at 24.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-roomy")]
    ALLOW_IN_MAXIMIZED_VIEW = "#header, #prompt, Footer"  # a maximised panel keeps the state line
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("n", "next_match", "Next", show=False),
        Binding("N", "previous_match", "Prev", show=False),
        Binding("f", "filter", "Filter"),
        Binding("F", "clear_filter", "Clear filter", show=False),
        Binding("Q", "query", "Query", show=False),  # listed in help and the palette; the footer is full
        Binding("space", "toggle_pause", "Pause"),
        Binding("l", "toggle_last_entry", "Last entry"),
        Binding("s", "cycle_sort", "Sort", show=False),
        Binding("e", "events", "Events", show=False),
        *(Binding(str(i), f"window('{name}')", name, show=False) for i, name in enumerate(WINDOW_NAMES, 1)),
        # Replay only (check_action hides them in live mode, where these keys stay unbound).
        Binding("left_square_bracket", "replay_slower", "Slower", show=False),
        Binding("right_square_bracket", "replay_faster", "Faster", key_display="[ ]"),
        Binding("comma", "replay_step_back", "-1s", show=False),
        Binding("full_stop", "replay_step_forward", "+1s", show=False),
        Binding("minus", "replay_minute_back", "-1m", show=False),
        Binding("plus,equals_sign", "replay_minute_forward", "+1m", show=False),
        Binding("0", "replay_start", "Start", show=False),
        Binding("dollar_sign", "replay_end", "End", show=False),
        # Live and replay: a replay moves its clock, a live dashboard its log view.
        Binding("less_than_sign", "previous_incident", "Prev incident", show=False),
        Binding("greater_than_sign", "next_incident", "Incident", key_display="< >"),
        Binding("t", "jump_time", "Jump to"),
        # Every figure opens its evidence; the focused panel fills the screen (z or Esc restores).
        Binding("enter", "open_focused", "Evidence", show=False),
        Binding("z", "maximize_panel", "Full size", show=False),
    ]

    def __init__(
        self,
        session: Session,
        *,
        config: Config | None = None,
        theme: Theme | None = None,
        refresh_hz: float = 4.0,
        rss_probe: Callable[[], float | None] = read_rss_mb,
        source_label: str | None = None,
        start_session: bool = True,
        on_first_frame: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.on_first_frame = on_first_frame  # called once the first frame is drawn
        self.config = config or Config()
        self.refresh_hz = refresh_hz
        self.rss_probe = rss_probe
        self.source_label = source_label
        self.start_session = start_session
        self.animation_level = "none"  # no animations by default: SSH bandwidth, calm screens
        self.window = WINDOW_NAMES[0]
        self.paused = False
        self.as_of_last_entry = False
        self.snapshot: MetricsSnapshot | None = None
        self._seen_version = -1
        self._seen_event = 0  # the sequence number of the newest session notice shown
        self._seen_shrinks = 0
        self._shown_error: str | None = None
        # Every notice of this run (no toasts: they covered the log): the events list and the status line.
        self.notices = Notices()
        self._status_error: tuple[str, float] | None = None  # the latest error/warning and until when
        self._last_rss_probe = -1e9
        self._rss: float | None = None
        self._user_theme = theme
        self._main_screen: Screen[Any] | None = None
        self._titles: dict[str, str] = {}  # border titles as last set, by selector
        self._live_incident: tuple[Incident, int] | None = None  # the last one `<` `>` went to, its line
        self.query_history: list[str] = []  # the query screen's SQL history, kept while the app runs
        install_themes(self, theme)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(), **band_variable_defaults()}

    # ---- layout ----------------------------------------------------------------------------------
    @property
    def replay(self) -> ReplayControls | None:
        """The replay's controls when this dashboard replays a set, else None."""
        return self.session.replay

    @property
    def safeguard_message(self) -> str | None:
        """The memory safeguard's last notice (the session's), shown in the log title."""
        return self.session.memory.message

    def _replay(self) -> ReplayControls:
        """The replay controls, for the replay actions (check_action hides those in live mode)."""
        replay = self.session.replay
        assert replay is not None, "a replay action in live mode"
        return replay

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action.startswith("replay_") and self.replay is None:
            return False
        # On any other screen (query, evidence, an entry's detail, help) the dashboard's keys would act
        # on a screen that is not shown (the palette dismisses itself before it runs a command).
        if self._main_screen is not None and self.screen is not self._main_screen:
            return action in EVERY_SCREEN_ACTIONS
        return True

    def get_default_screen(self) -> Screen[Any]:
        return DashboardScreen(id="_default")

    def compose(self) -> ComposeResult:
        # The size classes (-wide, -roomy, ...) before any widget is styled: each is styled once, at its
        # mount, as it will look. Textual adds them with the first Resize, which then restyled the whole
        # screen; set here, that Resize changes none.
        self.screen.update_classes(
            size_classes(self.size, self.HORIZONTAL_BREAKPOINTS, self.VERTICAL_BREAKPOINTS), update=False
        )
        yield HeaderBar(id="header")
        yield TimelineBar(id="timeline")
        yield StatusLine(id="status")  # always one row: degraded mode, errors, notices (nothing moves)
        band = self._first_bands().get
        with Horizontal(id="tiles"):
            yield MetricTile("Requests/s", id="tile-rps", band=band("tile-rps"))
            yield MetricTile("Avg resp", id="tile-avg", band=band("tile-avg"))
            yield MetricTile("p95 resp", id="tile-p95", band=band("tile-p95"))
            yield MetricTile("Error rate", id="tile-errors", band=band("tile-errors"))
            yield MetricTile("Cache hit", id="tile-cache", band=band("tile-cache"))
            yield MetricTile("Memory", id="tile-memory", band=band("tile-memory"))
            yield MetricTile("Bootstrap", id="tile-bootstrap", sparkline=False, band=band("tile-bootstrap"))
            yield WindowSwitch(WINDOW_NAMES, id="window-switch")
        with Horizontal(id="panels"):
            with Vertical(id="components-box", classes="panel"):
                yield ComponentsTable(id="components")
            with Vertical(id="side"):
                with Vertical(id="breakers-box", classes="panel"):
                    yield BreakersPanel(id="breakers")
                with Vertical(id="alerts-box", classes="panel"):
                    yield AlertsPanel(id="alerts")
        # Critical paths (SPEC 10): a height fixed by the configuration, never by the data (_layout_paths).
        with Vertical(id="paths-box", classes="panel"):
            yield PathsPanel(id="paths")
        yield LogView(id="log")
        yield PromptBar(id="prompt")
        yield KeyFooter(id="footer")

    def _q(self, selector: Any, expect_type: Any = None) -> Any:
        """Query the dashboard screen even while help or the palette is on top."""
        screen = self._main_screen or self.screen
        return screen.query_one(selector) if expect_type is None else screen.query_one(selector, expect_type)

    def on_mount(self) -> None:
        self._main_screen = self.screen
        self._exit_on_stop_signals()
        self._q("#components-box").border_title = "Components (1d)"
        self._q("#breakers-box").border_title = "Breakers"
        self._q("#alerts-box").border_title = "Alerts"
        self._q("#paths-box").border_title = f"Critical paths ({self.window})"
        self._q(PromptBar).close()
        self._q(WindowSwitch).select(self.window)
        self._q(TimelineBar).display = self.replay is not None
        for tile_id in TILE_FIGURES:
            self._q(f"#{tile_id}").can_focus = True
        for panel in (BreakersPanel, AlertsPanel, PathsPanel):
            self._q(panel).can_focus = True
        self._q(ComponentsTable).cursor_type = "row"
        self._q(ComponentsTable).show_cursor = False  # drawn while the table has focus
        self._layout_paths()
        self.watch(self.screen, "maximized", lambda _w: self._layout_paths(), init=False)
        log = self._q(LogView)
        log.focus()
        # The follow state shows in the header at once, not at the next tick.
        self.watch(log, "following", self._following_changed, init=False)
        self.session.set_waker(self._wake)
        if self.start_session:
            self.session.start()
        # Before the first frame: a history an earlier run kept is due in a moment (its figures are
        # then in that frame: no empty layout first). The wait leaves this interpreter to its reading.
        self.session.wait_kept_history(KEPT_HISTORY_WAIT_S)
        self.refresh_data()
        self.set_interval(1.0 / max(self.refresh_hz, 0.1), self._tick, name="refresh")
        if self.on_first_frame is not None:
            self.call_after_refresh(self.on_first_frame)

    def on_resize(self, event: events.Resize) -> None:
        # The event's size: the screen has not been resized yet when the app hears of it (the form
        # followed the size before last: full at 80x24 after a shrink from 200x60, cut off).
        self._layout_paths(event.size.width, event.size.height)

    def _layout_paths(self, width: int | None = None, height: int | None = None) -> None:
        """The critical-paths panel's form and height for this screen size, from the configured paths
        alone: a run that starts or ends never changes it, so no other panel moves."""
        if self._main_screen is None:
            return
        box = self._q("#paths-box")
        paths = self.config.critical_paths
        if not paths:
            box.display = False
            return
        if width is None or height is None:
            width, height = self.size
        layout = choose_layout(width, height, [len(p.checkpoints) for p in paths])
        panel = self._q(PathsPanel)
        panel.full_form = layout.full
        maximised = self._main_screen.maximized is box
        box.styles.height = "1fr" if maximised else layout.lines + 1  # and the title's rule
        panel.refresh()

    def _stop_on_signal(self, code: int) -> None:
        """Quit as `q` does; if the shutdown has not ended the process `STOP_GRACE_S` later, end it. Once
        the terminal is gone (SIGHUP: the SSH session closed) Textual's writer thread can block on it for
        good, and the monitor was left running unseen, at 30 % CPU, ignoring SIGTERM."""
        self.exit(code)
        timer = threading.Timer(STOP_GRACE_S, os._exit, (code,))
        timer.daemon = True  # a shutdown that completes is not held up by it
        timer.start()

    def _exit_on_stop_signals(self) -> None:
        """SIGTERM or SIGHUP (the SSH session closed) quits as `q` does: the terminal is restored and the
        caller's clean-up runs (the demo removes its directory). The loop runs the exit, not the handler."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(signum, self._stop_on_signal, 128 + signum)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (a test's app)
                pass

    def _wake(self) -> None:
        """From the session's thread: a refresh now (post_message is thread-safe, and refused once the
        app is closing)."""
        self.call_later(self._tick)

    def _tick(self) -> None:
        # The timer runs in its own task: it can fire while shutdown is removing the widgets one by
        # one (the screen still attached, HeaderBar already gone: NoMatches). Shutdown clears
        # is_running before it removes anything, so a tick after that does nothing.
        if self.is_running:
            self.refresh_data()

    def _following_changed(self, _value: bool) -> None:
        if self.is_running and self._main_screen is not None and self._main_screen.is_attached:
            self._show_header()
            self._show_log_title()

    def on_unmount(self) -> None:
        self.session.set_waker(None)
        if self.start_session:
            self.session.stop()

    # ---- the timer -------------------------------------------------------------------------------
    def refresh_data(self) -> None:
        """One redraw: read the session once, update only what changed."""
        if self._main_screen is None or not self._main_screen.is_attached:
            return  # shutting down: the widgets are gone
        session = self.session
        self._probe_rss()
        self._show_safeguard()
        if not self.paused:
            snap = session.snapshot(as_of_last_entry=self.as_of_last_entry)
            if snap is not self.snapshot:
                self.snapshot = snap
                self._show_snapshot(snap)
            if session.data_version != self._seen_version:
                self._seen_version = session.data_version
                self._q(LogView).pull(session.ring, session.lock)
            self._show_events()
            error = session.error
            if error and error != self._shown_error:
                self._shown_error = error
                self.notify(sanitize(str(error)), title="cannot read", severity="error", markup=False, timeout=30)
        self._show_header()
        self._show_log_title()
        self._show_status()

    def _show_events(self) -> None:
        """Take the session's notices since the last one taken, by sequence number (never an index
        into the session's bounded log), into the events list; the status line shows the newest."""
        got = self.session.events_since(self._seen_event)
        if got.seq == self._seen_event:
            return
        self._seen_event = got.seq
        if got.dropped:
            self.notices.add("warning", "follow", f"{got.dropped:,} notices came and went before they were shown")
        for event in got.texts:
            self.notices.add("information", "follow", event)

    # ---- notices: the events list and the status line, never a toast over the log ----------------
    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notice of the app and its screens (Screen.notify comes here) goes to the events list
        (`e`); errors and warnings also to the status line for a while. No toast: toasts covered the
        log (at 80 columns half of it) and the query screen's labels. `markup` is ignored: a notice is
        always shown as plain text."""
        self.notices.add(severity, title, message)
        if severity in ("error", "warning"):
            shown_for = max(timeout or 0.0, ERROR_SHOWN_S)
            self._status_error = (self.notices.items[-1].line(), self._clock() + shown_for)
        if self.is_running and self._main_screen is not None and self._main_screen.is_attached:
            self._show_status()

    def _show_status(self) -> None:
        snap = self.snapshot
        error = None
        if self.session.error:
            error = "cannot read: " + str(self.session.error)
        elif self._status_error is not None:
            text, until = self._status_error
            if self._clock() < until:
                error = text
            else:
                self._status_error = None
        latest = self.notices.latest
        notice = None
        if latest is not None:
            notice = time.strftime("%H:%M:%S ", time.gmtime(latest.at)) + latest.line()
        clock = None
        if snap is not None:
            live = self.session.history_done and self.session.mode not in ("history", "replay")
            clock = clock_notice(snap.as_of, snap.source.last, live, self.as_of_last_entry)
        self._q(StatusLine).show(
            StatusState(
                degraded=bool(snap and snap.degraded),
                degraded_reason=snap.degraded_reason if snap else None,
                error=error,
                clock=clock,
                notice=notice,
                events=self.notices.count,
            )
        )

    def _coverage(self) -> str | None:
        """How much of the window shown the data covers (`7m of data`), None for all of it."""
        snap = self.snapshot
        if snap is None:
            return None
        return coverage_note(WINDOWS_BY_NAME[self.window], snap.source.first, snap.as_of)

    def _show_header(self) -> None:
        snap = self.snapshot
        controls = self.replay
        replay = controls.view() if controls is not None else None
        if replay is not None:
            self._q(TimelineBar).show(replay)
        files = snap.source.files if snap else ()
        source = self.source_label or (files[-1] if files else "—")
        if files and len(files) > 1 and not self.source_label:
            source += f" (+{len(files) - 1})"
        self._q(HeaderBar).show(
            HeaderState(
                source=source,
                mode=self.session.mode,
                progress=self.session.progress,
                as_of=snap.as_of if snap else None,
                as_of_last_entry=self.as_of_last_entry,
                following=self._q(LogView).following,
                paused=self.paused,
                window=self.window,
                rss_mb=self._rss,
                replay=replay,
                coverage=self._coverage(),
            )
        )

    def _show_snapshot(self, snap: MetricsSnapshot) -> None:
        if self.window in snap.windows:
            self._show_tiles(snap)
        self._q(ComponentsTable).show(snap.components)
        self._q(BreakersPanel).show(snap.breakers, snap.as_of)
        self._q(AlertsPanel).show(snap.alerts, snap.as_of)
        self._show_paths(snap)
        firing = len(snap.firing)
        self._set_title("#alerts-box", f"Alerts ({firing} firing)" if firing else "Alerts")
        opened = sum(1 for b in snap.breakers.values() if b.state != "CLOSED")
        self._set_title("#breakers-box", f"Breakers ({opened} not closed)" if opened else "Breakers")
        self._show_status()

    def _show_paths(self, snap: MetricsSnapshot) -> None:
        paths = paths_shown(snap.critical_paths, self.config.critical_paths)
        self._q(PathsPanel).show(paths, self.window)
        stuck = sum(1 for p in paths if p.stuck)
        title = f"Critical paths ({self.window})" + (f" · {stuck} stuck" if stuck else "")
        self._set_title("#paths-box", title)

    def _tile_figures(self, snap: MetricsSnapshot) -> dict[str, tuple[str, str | None, Sequence[float]]]:
        """Each tile's value, band and series in the window shown (none before the window has figures)."""
        w = snap.windows.get(self.window)
        if w is None:
            return {}
        series = snap.series
        error_alert = any(a.name == "error_rate" for a in snap.firing)
        err_text = number(w.error_rate, "%", 2) + (f" ({count(w.errors)})" if w.errors else "")
        return {
            "tile-rps": (number(w.requests_per_second, digits=2), None, _clean(series.get("entries", ()))),
            "tile-avg": (
                duration(w.avg_response_ms),
                w.bands.get("response_time"),
                _clean(series.get("avg_response_ms", ())),
            ),
            "tile-p95": (duration(w.p95_response_ms), None, _clean(series.get("p95_response_ms", ()))),
            "tile-errors": (err_text, "error" if error_alert else None, _error_rate_series(series)),
            "tile-cache": (
                number(w.cache_hit_rate, "%"),
                w.bands.get("cache_hit_rate"),
                _clean(series.get("cache_hit_rate", ())),
            ),
            "tile-memory": (
                number(w.memory_mb, " MB"),
                w.bands.get("memory_usage"),
                _clean(series.get("memory_mb", ())),
            ),
            "tile-bootstrap": (duration(snap.bootstrap_ms, 0), snap.bootstrap_band, ()),
        }

    def _first_bands(self) -> dict[str, str | None]:
        """The tiles' bands when the history is read before the layout is built (a warm cache): each
        tile is then styled once, in its band, not once without and again with it (~40 of the start's
        ~390 style applications)."""
        if not self.session.history_done or self.paused:
            return {}
        snap = self.session.snapshot(as_of_last_entry=self.as_of_last_entry)
        return {tile: band for tile, (_value, band, _series) in self._tile_figures(snap).items()}

    def _show_tiles(self, snap: MetricsSnapshot) -> None:
        for tile, (value, band, series) in self._tile_figures(snap).items():
            self._q(f"#{tile}", MetricTile).show(value, band, series)
        self._q(WindowSwitch).show_coverage(self._coverage())

    def _show_log_title(self) -> None:
        log = self._q(LogView)
        total = self.session.ring.lines_so_far
        title = f"Log {count(log.held_count)} lines"
        if total > log.held_count:
            title += f" (newest of {count(total)})"
        snap = self.snapshot
        if snap is not None and snap.source.entries == 0 and snap.source.parse_errors:
            title += f" · none of {count(snap.source.parse_errors)} looks like an execution log"
        if log.line_filter.active:
            title += f" · filter {log.line_filter.source!r}: {count(log.shown_count)} shown"
            if log.progress:
                title += f", {log.progress}"
        if log.search is not None:
            title += f" · search {log.search.source!r}"
        if self.safeguard_message:
            title += f" · {self.safeguard_message}"
        self._set_title("#log", title)

    def _set_title(self, selector: str, title: str) -> None:
        """Set a border title only when it changed: Textual repaints the whole widget on every set
        (for the log view, every visible line, four times a second)."""
        if self._titles.get(selector) == title:
            return
        self._titles[selector] = title
        self._q(selector).border_title = title

    # ---- the memory safeguard (the session's) -------------------------------------------------
    def _probe_rss(self) -> None:
        """The monitor's own memory for the header, every MEMORY_CHECK_EVERY_S."""
        now = self._clock()
        if now - self._last_rss_probe >= MEMORY_CHECK_EVERY_S:
            self._last_rss_probe = now
            self._rss = self.rss_probe()

    def _show_safeguard(self) -> None:
        """Say so once when the session's memory guard shrank the ring, and show what is left."""
        memory = self.session.memory
        if memory.shrinks == self._seen_shrinks:
            return
        self._seen_shrinks = memory.shrinks
        if memory.message:
            self.notify(memory.message, title="safeguard", severity="warning", markup=False)
        self._q(LogView).pull(self.session.ring, self.session.lock)
        self._show_log_title()

    # ---- actions ---------------------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_query(self) -> None:
        from execlog_tui.ui.query_screen import QueryScreen  # opened by few: not imported at start-up

        if isinstance(self.screen, QueryScreen):
            return
        session = self.session
        self.push_screen(
            QueryScreen(
                list(session.paths),
                history=self.query_history,
                line_limit=session.line_limit,
                config_file=self.config.source,
            )
        )

    def action_events(self) -> None:
        if not isinstance(self.screen, EventsScreen):
            self.push_screen(EventsScreen(self.notices))

    def action_window(self, name: str) -> None:
        if name not in WINDOW_NAMES:
            return
        self.window = name
        self._q(WindowSwitch).select(name)
        # Only the tiles, the critical paths' stages and the header show the window: the other panels
        # stay as they are (a key press then repaints a few labels, not the screen).
        snap = self.snapshot
        if snap is not None and name in snap.windows:
            self._show_tiles(snap)
        if snap is not None:
            self._show_paths(snap)
        self._show_header()

    def action_toggle_pause(self) -> None:
        replay = self.replay
        if replay is not None:
            # In a replay space pauses the replay clock; the view keeps showing its moment, so steps
            # and jumps made while paused are seen at once.
            replay.toggle_pause()
            self.refresh_data()
            return
        self.paused = not self.paused
        self.refresh_data()

    # ---- replay ----------------------------------------------------------------------------------
    def _replayed(self) -> None:
        self.refresh_data()

    def action_replay_faster(self) -> None:
        self.notify(f"replay speed {self._replay().faster()}", timeout=2)
        self._replayed()

    def action_replay_slower(self) -> None:
        self.notify(f"replay speed {self._replay().slower()}", timeout=2)
        self._replayed()

    def action_replay_step_forward(self) -> None:
        self._replay().step(1_000)
        self._replayed()

    def action_replay_step_back(self) -> None:
        self._replay().step(-1_000)
        self._replayed()

    def action_replay_minute_forward(self) -> None:
        self._replay().step(60_000)
        self._replayed()

    def action_replay_minute_back(self) -> None:
        self._replay().step(-60_000)
        self._replayed()

    def action_replay_start(self) -> None:
        self._replay().jump_start()
        self._replayed()

    def action_replay_end(self) -> None:
        self._replay().jump_end()
        self._replayed()

    def action_replay_next_incident(self) -> None:
        replay = self._replay()
        inc = replay.next_incident()
        if inc is not None:
            self.notify(f"{inc.label} at {format_ts(inc.ts)}", title="incident", timeout=4, markup=False)
        elif replay.complete:
            self.notify("no later incident", timeout=3)
        else:
            self.notify("reading ahead for the next incident…", timeout=3)
        self._replayed()

    def action_replay_previous_incident(self) -> None:
        inc = self._replay().previous_incident()
        if inc is not None:
            self.notify(f"{inc.label} at {format_ts(inc.ts)}", title="incident", timeout=4, markup=False)
        else:
            self.notify("no earlier incident", timeout=3)
        self._replayed()

    def action_replay_jump(self) -> None:
        self._q(PromptBar).open("time", "")

    # ---- live navigation (the replay has its own, on its clock) -----------------------------------
    def action_jump_time(self) -> None:
        self._q(PromptBar).open("time", "")

    def action_next_incident(self) -> None:
        if self.replay is not None:
            self.action_replay_next_incident()
        else:
            self._live_incident_step(forward=True)

    def action_previous_incident(self) -> None:
        if self.replay is not None:
            self.action_replay_previous_incident()
        else:
            self._live_incident_step(forward=False)

    def live_incidents(self) -> list[Incident]:
        """The incidents of the live figures, as the replay finds them (core/incidents.py): every
        alert firing (breakers and CRITICAL entries included) and the parse errors of the log view."""
        snap = self.snapshot
        alerts = [(a.name, a.fired) for a in snap.alerts] if snap is not None else []
        return incidents_of(alerts, self._q(LogView).parse_error_times())

    def _live_incident_step(self, forward: bool) -> None:
        log = self._q(LogView)
        index = log.selected_index()
        if index is None:
            self.notify("no lines yet", timeout=3)
            return
        ref = log.ts_at(index)
        if ref is None:  # a parse error: the time of the line before it, as incidents place them
            for i in range(index - 1, -1, -1):
                if (ref := log.ts_at(i)) is not None:
                    break
        last = self._live_incident
        if last is not None and log.current == last[1]:
            ref = last[0].ts  # still on the line the last step went to: step from that incident
        incidents = self.live_incidents()
        if ref is None:
            pick = incidents[0] if forward and incidents else None
        elif forward:
            pick = next((i for i in incidents if i.ts > ref), None)
        else:
            pick = next((i for i in reversed(incidents) if i.ts < ref), None)
        if pick is None:
            self.notify(f"no {'later' if forward else 'earlier'} incident", timeout=3)
            return
        target = log.index_at_time(pick.ts, at_or_before=True)
        if target is None:
            return
        log.mark(target)
        self._live_incident = (pick, log.seq_at(target))
        self.notify(f"{pick.label} at {format_ts(pick.ts)}", title="incident", timeout=4, markup=False)
        self._show_header()

    def _live_jump(self, text: str) -> bool:
        """Move the log view to the first line at or after a typed time; False (said) when it cannot."""
        snap = self.snapshot
        reference = snap.source.last if snap is not None else None
        try:
            ts = parse_user_time(text, reference)
        except ValueError as exc:
            self.notify(str(exc), title="jump to", severity="error", timeout=5, markup=False)
            return False
        log = self._q(LogView)
        index = log.index_at_time(ts)
        if index is None:
            self.notify("no lines to move to", title="jump to", timeout=3)
            return True
        log.mark(index)
        return True

    # ---- evidence, an entry's detail, full-size panels ---------------------------------------------
    def _focused(self) -> Any:
        screen = self._main_screen or self.screen
        return screen.focused

    def action_open_focused(self) -> None:
        """Enter: the focused tile's or panel row's evidence, or the log line's whole entry."""
        widget = self._focused()
        if isinstance(widget, LogView):
            self.open_detail()
        elif widget is not None and widget.id in TILE_FIGURES:
            self._open_tile(widget)
        elif isinstance(widget, PathsPanel):
            self._open_path_item(widget)
        elif isinstance(widget, TextPanel):
            chosen = widget.selected_figure()
            if chosen is None:
                self.notify("nothing here to open yet", timeout=3)
                return
            figure, at = chosen
            if figure.startswith("alert:"):
                label = f"alert {figure[6:]} fired at {format_ts(at)}"
                self.open_evidence(figure, "1m", at=at, label=label)
            else:
                self.open_evidence(figure, self.window, label=f"{figure.replace(':', ' ', 1)} transitions")
        elif isinstance(widget, ComponentsTable):
            self._open_component(widget.cursor_row)

    def _open_path_item(self, panel: PathsPanel) -> None:
        """A stage: its entries in the window shown; the run line: the latest run's entries."""
        chosen = panel.selected_figure()
        if chosen is None:
            self.notify("no run of this path yet", timeout=3)
            return
        figure, _at = chosen
        self.open_evidence(figure, self.window, label=panel.selected_label())

    def _open_component(self, row: int) -> None:
        table = self._q(ComponentsTable)
        names = table.row_names()
        if 0 <= row < len(names):
            name = names[row]
            from execlog_tui.evidence import COMPONENT_WINDOW

            self.open_evidence(f"component:{name}", COMPONENT_WINDOW, label=f"component {name} ({COMPONENT_WINDOW})")

    @on(ComponentsTable.RowSelected, "#components")
    def _component_selected(self, event: ComponentsTable.RowSelected) -> None:
        event.stop()
        self._open_component(event.cursor_row)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, ComponentsTable):
            event.widget.show_cursor = True

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if isinstance(event.widget, ComponentsTable):
            event.widget.show_cursor = False

    def on_click(self, event: events.Click) -> None:
        """A click on a tile opens its evidence (as Enter on it does)."""
        widget = event.widget
        while widget is not None and widget.id not in TILE_FIGURES:
            widget = widget.parent if isinstance(widget.parent, Widget) else None
        if widget is not None and self.screen is self._main_screen:
            widget.focus()
            self._open_tile(widget)

    def _open_tile(self, tile: Any) -> None:
        self.open_evidence(TILE_FIGURES[tile.id], self.window, label=f"{tile.title} ({self.window})")

    def open_evidence(self, figure: str, window: str, *, at: int | None = None, label: str | None = None) -> None:
        """The evidence screen of `figure` for the window shown, as of the figures shown (a paused or
        last-entry view included)."""
        if at is None and self.snapshot is not None:
            at = self.snapshot.as_of
        from execlog_tui.ui.evidence_screen import EvidenceScreen  # not imported at start-up

        self.push_screen(EvidenceScreen(self.session, figure, window, at=at, label=label))

    def open_detail(self) -> None:
        """Enter on the log: the whole entry of the marked line (else the last line shown)."""
        log = self._q(LogView)
        index = log.selected_index()
        if index is None:
            return
        self.push_screen(DetailScreen(log.raw_at(index), self._origin(log.seq_at(index))))

    def _origin(self, seq: int) -> tuple[str, int] | None:
        """Where a held line came from, by the ring's origin (file, line), when the ring knows it."""
        ring = self.session.ring
        origin = getattr(ring, "origin", None)
        if origin is None:
            return None
        with self.session.lock:
            index = seq - (ring.total - len(ring))
            if not 0 <= index < len(ring):
                return None  # evicted since the view took it
            result: tuple[str, int] | None = origin(index)
            return result

    def action_maximize_panel(self) -> None:
        screen = self._main_screen or self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        widget = screen.focused
        selector = MAXIMISE.get(widget.id or "") if widget is not None else None
        if selector is None:
            self.notify(
                "z fills the screen with the focused panel: components, breakers, alerts, critical paths or the log",
                timeout=4,
            )
            return
        screen.maximized = self._q(selector)

    def action_toggle_last_entry(self) -> None:
        self.as_of_last_entry = not self.as_of_last_entry
        was_paused, self.paused = self.paused, False
        self.refresh_data()
        self.paused = was_paused

    def action_cycle_sort(self) -> None:
        key = self._q(ComponentsTable).cycle_sort()
        self.notify(f"components sorted by {key}", timeout=2)

    def action_search(self) -> None:
        log = self._q(LogView)
        self._q(PromptBar).open("search", log.search.source if log.search else "")

    def action_filter(self) -> None:
        log = self._q(LogView)
        self._q(PromptBar).open("filter", log.line_filter.source)

    def action_clear_filter(self) -> None:
        self._q(LogView).set_filter(LineFilter())
        self._show_log_title()

    def action_next_match(self) -> None:
        self._find(forward=True)

    def action_previous_match(self) -> None:
        self._find(forward=False)

    def _find(self, forward: bool) -> None:
        log = self._q(LogView)
        if log.search is None:
            self.notify("no search yet: press / first", timeout=3)
        elif not log.find(forward=forward):
            self.notify(
                f"no {'later' if forward else 'earlier'} match for {log.search.source!r}", timeout=3, markup=False
            )
        self._show_header()

    def action_log_top(self) -> None:
        self._q(LogView).action_log_top()

    def action_log_bottom(self) -> None:
        self._q(LogView).action_log_bottom()

    @on(PromptSubmitted)
    def _prompt_submitted(self, event: PromptSubmitted) -> None:
        log = self._q(LogView)
        if event.kind == "time" and self.replay is None:
            if event.value.strip() and not self._live_jump(event.value):
                return  # keep the prompt open so the user can fix it
            self._q(PromptBar).close()
            log.focus()
            self._show_header()
            return
        if event.kind == "time":
            if event.value.strip():
                try:
                    self._replay().jump_to(event.value)
                except ValueError as exc:
                    self.notify(str(exc), title="jump to", severity="error", timeout=5, markup=False)
                    return
            self._q(PromptBar).close()
            log.focus()
            self._replayed()
            return
        try:
            if event.kind == "filter":
                log.set_filter(LineFilter.parse(event.value))
            else:
                matcher = TextMatcher.parse(event.value)
                if not log.set_search(matcher) and matcher is not None:
                    self.notify(f"no match for {matcher.source!r}", timeout=3, markup=False)
        except FilterError as exc:
            self.notify(str(exc), title=event.kind, severity="error", timeout=5, markup=False)
            return  # keep the prompt open so the user can fix it
        self._q(PromptBar).close()
        log.focus()
        self._show_log_title()
        self._show_header()

    @on(PromptCancelled)
    def _prompt_cancelled(self, event: PromptCancelled) -> None:
        self._q(PromptBar).close()
        self._q(LogView).focus()

    # ---- command palette -------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        from execlog_tui.ui.query_screen import QueryScreen

        if isinstance(screen, QueryScreen):  # its own commands, not the dashboard's
            yield from screen.system_commands()
            return
        for k in KEYS:
            if k.action is not None and k.action not in ("quit", "help"):
                yield SystemCommand(k.description, f"key: {k.keys}", getattr(self, f"action_{k.action}"))
        for i, name in enumerate(WINDOW_NAMES):
            yield SystemCommand(f"Window {name}", f"key: {i + 1}", lambda n=name: self.action_window(n))
        yield SystemCommand("Help: every key", "key: ?", self.action_help)

    # A hook so tests can probe the memory figure without waiting for the wall clock.
    _clock: Callable[[], float] = staticmethod(time.monotonic)


class DashboardScreen(Screen[Any]):
    """The dashboard's screen. Textual styles every widget as it mounts, and the whole screen again
    when it first resumes, which changes nothing here (its size classes were set before the widgets
    mounted, and no class changed since): that first resume is spared the second styling, about half of
    the start's style work. Every later resume (after a theme change, say) styles as Textual does."""

    # The log has the focus from the start: focused first, not after the first focusable widget (each
    # change of focus restyles both widgets and what holds them: ~50 style applications).
    AUTO_FOCUS = "#log"
    _resumed = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False
        super()._on_screen_resume(event)


def size_classes(
    size: tuple[int, int], horizontal: list[tuple[int, str]], vertical: list[tuple[int, str]]
) -> dict[str, bool]:
    """The breakpoint classes a screen of `size` has, as Textual's Screen sets them on a Resize: for each
    list, the class of the largest breakpoint the dimension reaches; every other class of the lists off."""
    classes = {name: False for _at, name in horizontal + vertical}
    for dimension, points in zip(size, (horizontal, vertical), strict=True):
        reached = [(at, name) for at, name in points if dimension >= at]
        if reached:
            classes[max(reached)[1]] = True
    return classes


def make_app(
    session: Session,
    *,
    config: Config | None = None,
    theme: str | Theme | None = None,
    refresh_hz: float = 4.0,
    rss_probe: Callable[[], float | None] = read_rss_mb,
    source_label: str | None = None,
    start_session: bool = True,
    on_first_frame: Callable[[], None] | None = None,
) -> ExeclogApp:
    """Build the dashboard over a session (MonitorSession, ReplaySession, or a StaticSession in tests).

    `theme` is a shipped theme's name, a YAML file's path or a Theme; ThemeError on a bad one.
    """
    resolved = resolve_theme(theme) if isinstance(theme, str) else theme
    return ExeclogApp(
        session,
        config=config,
        theme=resolved,
        refresh_hz=refresh_hz,
        rss_probe=rss_probe,
        source_label=source_label,
        start_session=start_session,
        on_first_frame=on_first_frame,
    )
