"""The dashboard app: `make_app(...)`, which the CLI (the composition root) and the tests call."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Footer

from execlog_tui.core.config import Config
from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.snapshot import WINDOW_NAMES, MetricsSnapshot, WindowFigures
from execlog_tui.core.timefmt import format_ts
from execlog_tui.session import MEMORY_CHECK_EVERY_S, ReplayControls, Session, read_rss_mb
from execlog_tui.ui.alerts import AlertsPanel
from execlog_tui.ui.banner import ClockNotice, DegradedBanner
from execlog_tui.ui.breakers import BreakersPanel
from execlog_tui.ui.components import ComponentsTable
from execlog_tui.ui.filters import FilterError, LineFilter, TextMatcher
from execlog_tui.ui.fmt import count, duration, number
from execlog_tui.ui.header import HeaderBar, HeaderState
from execlog_tui.ui.help import HelpScreen
from execlog_tui.ui.keys import KEYS
from execlog_tui.ui.logview import LogView
from execlog_tui.ui.messages import PromptCancelled, PromptSubmitted
from execlog_tui.ui.prompt import PromptBar
from execlog_tui.ui.query_screen import QueryScreen
from execlog_tui.ui.themes import band_variable_defaults, builtin_themes, resolve_theme
from execlog_tui.ui.tiles import MetricTile, WindowSwitch
from execlog_tui.ui.timeline import TimelineBar

NOTIFY_AT_MOST = 3  # follow notices shown per refresh: the newest


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


class ExeclogApp(App[int]):
    """Reads `session.snapshot()` and `session.ring` on a timer; never per line."""

    CSS_PATH = "app.tcss"
    TITLE = "execlog-top"
    ENABLE_COMMAND_PALETTE = True
    # 80 columns: compact; 140 and more: everything side by side.
    HORIZONTAL_BREAKPOINTS = [(0, "-compact"), (140, "-wide")]
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
        *(Binding(str(i), f"window('{name}')", name, show=False) for i, name in enumerate(WINDOW_NAMES, 1)),
        # Replay only (check_action hides them in live mode, where these keys stay unbound).
        Binding("left_square_bracket", "replay_slower", "Slower", show=False),
        Binding("right_square_bracket", "replay_faster", "Faster", key_display="[ ]"),
        Binding("comma", "replay_step_back", "-1s", show=False),
        Binding("full_stop", "replay_step_forward", "+1s", show=False),
        Binding("minus", "replay_minute_back", "-1m", show=False),
        Binding("plus,equals_sign", "replay_minute_forward", "+1m", show=False),
        Binding("less_than_sign", "replay_previous_incident", "Prev incident", show=False),
        Binding("greater_than_sign", "replay_next_incident", "Incident", key_display="< >"),
        Binding("0", "replay_start", "Start", show=False),
        Binding("dollar_sign", "replay_end", "End", show=False),
        Binding("t", "replay_jump", "Jump to"),
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
    ) -> None:
        super().__init__()
        self.session = session
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
        self._last_rss_probe = -1e9
        self._rss: float | None = None
        self._user_theme = theme
        self._main_screen: Screen[Any] | None = None
        self._titles: dict[str, str] = {}  # border titles as last set, by selector
        self.query_history: list[str] = []  # the query screen's SQL history, kept while the app runs
        for t in builtin_themes():
            self.register_theme(t)
        if theme is not None:
            self.register_theme(theme)
            self.theme = theme.name
        else:
            self.theme = "execlog-dark"

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
        # On the query screen the dashboard's keys would act on a screen that is not shown.
        return not (isinstance(self.screen, QueryScreen) and action not in ("quit", "help", "command_palette"))

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        yield TimelineBar(id="timeline")
        yield DegradedBanner(id="degraded")
        yield ClockNotice(id="clock-notice")
        with Horizontal(id="tiles"):
            yield MetricTile("Requests/s", id="tile-rps")
            yield MetricTile("Avg resp", id="tile-avg")
            yield MetricTile("p95 resp", id="tile-p95")
            yield MetricTile("Error rate", id="tile-errors")
            yield MetricTile("Cache hit", id="tile-cache")
            yield MetricTile("Memory", id="tile-memory")
            yield MetricTile("Bootstrap", id="tile-bootstrap", sparkline=False)
            yield WindowSwitch(WINDOW_NAMES, id="window-switch")
        with Horizontal(id="panels"):
            with Vertical(id="components-box", classes="panel"):
                yield ComponentsTable(id="components")
            with Vertical(id="side"):
                with Vertical(id="breakers-box", classes="panel"):
                    yield BreakersPanel(id="breakers")
                with Vertical(id="alerts-box", classes="panel"):
                    yield AlertsPanel(id="alerts")
        yield LogView(id="log")
        yield PromptBar(id="prompt")
        yield Footer(id="footer")

    def _q(self, selector: Any, expect_type: Any = None) -> Any:
        """Query the dashboard screen even while help or the palette is on top."""
        screen = self._main_screen or self.screen
        return screen.query_one(selector) if expect_type is None else screen.query_one(selector, expect_type)

    def on_mount(self) -> None:
        self._main_screen = self.screen
        self._q("#components-box").border_title = "Components (1d)"
        self._q("#breakers-box").border_title = "Breakers"
        self._q("#alerts-box").border_title = "Alerts"
        self._q(PromptBar).close()
        self._q(WindowSwitch).select(self.window)
        self._q(TimelineBar).display = self.replay is not None
        log = self._q(LogView)
        log.focus()
        # The follow state shows in the header at once, not at the next tick.
        self.watch(log, "following", self._following_changed, init=False)
        if self.start_session:
            self.session.start()
        self.refresh_data()
        self.set_interval(1.0 / max(self.refresh_hz, 0.1), self._tick, name="refresh")

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

    def _show_events(self) -> None:
        """Notify the session's notices since the last one shown, by sequence number (never an index
        into the session's bounded log); of many at once, the newest few."""
        got = self.session.events_since(self._seen_event)
        if got.seq == self._seen_event:
            return
        self._seen_event = got.seq
        for event in got.texts[-NOTIFY_AT_MOST:]:
            self.notify(sanitize(event), title="follow", markup=False, timeout=6)

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
            )
        )

    def _show_snapshot(self, snap: MetricsSnapshot) -> None:
        w = snap.windows.get(self.window)
        series = snap.series
        if w is not None:
            self._show_tiles(w, snap, series)
        self._q(ComponentsTable).show(snap.components)
        self._q(BreakersPanel).show(snap.breakers, snap.as_of)
        self._q(AlertsPanel).show(snap.alerts, snap.as_of)
        firing = len(snap.firing)
        self._set_title("#alerts-box", f"Alerts ({firing} firing)" if firing else "Alerts")
        opened = sum(1 for b in snap.breakers.values() if b.state != "CLOSED")
        self._set_title("#breakers-box", f"Breakers ({opened} not closed)" if opened else "Breakers")
        self._q(DegradedBanner).show(snap.degraded, snap.degraded_reason)
        live = self.session.history_done and self.session.mode not in ("history", "replay")
        self._q(ClockNotice).show(snap.as_of, snap.source.last, live, self.as_of_last_entry)

    def _show_tiles(self, w: WindowFigures, snap: MetricsSnapshot, series: dict[str, Any]) -> None:
        error_alert = any(a.name == "error_rate" for a in snap.firing)
        self._q("#tile-rps", MetricTile).show(
            number(w.requests_per_second, digits=2), None, _clean(series.get("entries", ()))
        )
        self._q("#tile-avg", MetricTile).show(
            duration(w.avg_response_ms), w.bands.get("response_time"), _clean(series.get("avg_response_ms", ()))
        )
        self._q("#tile-p95", MetricTile).show(
            duration(w.p95_response_ms), None, _clean(series.get("avg_response_ms", ()))
        )
        err_text = number(w.error_rate, "%", 2) + (f" ({count(w.errors)})" if w.errors else "")
        self._q("#tile-errors", MetricTile).show(err_text, "error" if error_alert else None, _error_rate_series(series))
        self._q("#tile-cache", MetricTile).show(
            number(w.cache_hit_rate, "%"), w.bands.get("cache_hit_rate"), _clean(series.get("cache_hit_rate", ()))
        )
        self._q("#tile-memory", MetricTile).show(
            number(w.memory_mb, " MB"), w.bands.get("memory_usage"), _clean(series.get("memory_mb", ()))
        )
        self._q("#tile-bootstrap", MetricTile).show(duration(snap.bootstrap_ms, 0), snap.bootstrap_band)

    def _show_log_title(self) -> None:
        log = self._q(LogView)
        total = self.session.ring.total
        title = f"Log {count(log.held_count)} lines"
        if total > log.held_count:
            title += f" (newest of {count(total)})"
        if log.line_filter.active:
            title += f" · filter {log.line_filter.source!r}: {count(log.shown_count)} shown"
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
        if isinstance(self.screen, QueryScreen):
            return
        session = self.session
        self.push_screen(QueryScreen(list(session.paths), history=self.query_history, line_limit=session.line_limit))

    def action_window(self, name: str) -> None:
        if name not in WINDOW_NAMES:
            return
        self.window = name
        self._q(WindowSwitch).select(name)
        # Only the tiles and the header show the window: the panels stay as they are (a key press
        # then repaints a few labels, not the screen).
        snap = self.snapshot
        if snap is not None and (w := snap.windows.get(name)) is not None:
            self._show_tiles(w, snap, snap.series)
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


def make_app(
    session: Session,
    *,
    config: Config | None = None,
    theme: str | Theme | None = None,
    refresh_hz: float = 4.0,
    rss_probe: Callable[[], float | None] = read_rss_mb,
    source_label: str | None = None,
    start_session: bool = True,
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
    )
