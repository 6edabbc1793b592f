"""Every key of the dashboard in one table: the bindings, the help screen and the palette read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeyInfo:
    keys: str  # as shown in help
    description: str
    action: str | None  # app action for the command palette (None: a log-view or replay key)
    group: str


KEYS: tuple[KeyInfo, ...] = (
    KeyInfo("q", "Quit", "quit", "General"),
    KeyInfo("?", "Help: this list of keys", "help", "General"),
    KeyInfo("ctrl+p", "Command palette (the same actions by name)", None, "General"),
    KeyInfo("Q", "Query: the six reports and SQL over the log set", "query", "General"),
    KeyInfo("space", "Pause / resume the view (reading continues)", "toggle_pause", "General"),
    KeyInfo("e", "Events: rotations, truncations, errors of this run (no toasts)", "events", "General"),
    KeyInfo("Tab S-Tab", "Focus: tiles, components, breakers, alerts, paths, log", None, "General"),
    KeyInfo("Enter", "Evidence of the focused figure (or click it); on the log: the entry", "open_focused", "General"),
    KeyInfo("z", "Focused panel at full size (all rows); z or Esc restores", "maximize_panel", "General"),
    KeyInfo("1 2 3 4", "Window of the tiles and the paths' stages: 1m, 5m, 1h, 1d", None, "Metrics"),
    KeyInfo("l", "View windows as of the last entry / back to live", "toggle_last_entry", "Metrics"),
    KeyInfo("s", "Sort the components table by the next column", "cycle_sort", "Metrics"),
    KeyInfo("↑ ↓ ← →", "Critical paths: move over runs and stages; Enter: entries", None, "Metrics"),
    KeyInfo("/", "Search the log (text or re:PATTERN)", "search", "Log"),
    KeyInfo("n", "Next search match", "next_match", "Log"),
    KeyInfo("N", "Previous search match", "previous_match", "Log"),
    KeyInfo("f", "Filter the log: words, re:PATTERN, c:COMP, s:STATUS, l:LEVEL", "filter", "Log"),
    KeyInfo("F", "Clear the filter", "clear_filter", "Log"),
    KeyInfo("↑ ↓ ← →", "Scroll the log by one line / column", None, "Log"),
    KeyInfo("PgUp PgDn", "Scroll the log by one page", None, "Log"),
    KeyInfo("g Home", "Top of the log (stops following)", "log_top", "Log"),
    KeyInfo("G End", "Bottom of the log (follows again)", "log_bottom", "Log"),
    KeyInfo("< >", "Previous / next incident (alert, breaker, CRITICAL, parse errors)", "next_incident", "Log"),
    KeyInfo("t", "Move the log to a typed time (replay: the replay clock)", "jump_time", "Log"),
    KeyInfo("Esc", "Close the prompt or this help", None, "Log"),
    KeyInfo("↑ ↓ Enter", "Evidence: rows / the whole entry; ctrl+c, Esc: cancel; Esc: back", None, "Evidence (Enter)"),
    KeyInfo("c", "Entry: copy the line to the clipboard (OSC 52, works over SSH)", None, "Evidence (Enter)"),
    KeyInfo("Esc q", "Entry: back", None, "Evidence (Enter)"),
    KeyInfo("1-6", "Query screen: run a report (performance ... critical_paths)", None, "Query (Q)"),
    KeyInfo("e Enter", "Query screen: write SQL / run it (↑ ↓: history)", None, "Query (Q)"),
    KeyInfo("s", "Query screen: sort by the cursor's column (again: reverse)", None, "Query (Q)"),
    KeyInfo("w", "Query screen: scope: all, 1m, 5m, 1h, 1d as of the newest entry", None, "Query (Q)"),
    KeyInfo("ctrl+c Esc", "Query screen: cancel a running query; Esc: back", None, "Query (Q)"),
    KeyInfo("[ ]", "Replay: slower / faster (1x 10x 60x 600x max)", "replay_faster", "Replay (--replay)"),
    KeyInfo(", .", "Replay: step one second back / forward", "replay_step_forward", "Replay (--replay)"),
    KeyInfo("- +", "Replay: step one minute back / forward", "replay_minute_forward", "Replay (--replay)"),
    KeyInfo("< >", "Replay: previous / next incident on the replay clock", None, "Replay (--replay)"),
    KeyInfo("0 $", "Replay: jump to the start / the end", "replay_end", "Replay (--replay)"),
    KeyInfo("t", "Replay: jump to a time (space pauses the replay too)", None, "Replay (--replay)"),
)
