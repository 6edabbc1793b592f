"""Batch mode's text dashboard: a snapshot printed with rich, bands by label as well as colour."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from execlog_tui.core.display import BAND_MARKS, alert_value, band_legend, band_text, group_alerts
from execlog_tui.core.sanitize import one_line, sanitize
from execlog_tui.core.snapshot import MetricsSnapshot, PathView, RunView
from execlog_tui.core.timefmt import format_ts
from execlog_tui.core.windows import WINDOW_NAMES, WINDOWS_BY_NAME, coverage_note, span_text

BAND_STYLE = {"optimal": "green", "acceptable": "cyan", "warning": "yellow", "error": "bold red"}
LEGEND = "bands: " + band_legend()
STATE_STYLE = {"CLOSED": "green", "HALF_OPEN": "yellow", "OPEN": "bold red"}
DAY_MS = 86_400_000
BLANK = Text("")
# The critical paths' stages are of one window: the components' (1d) unless `-b --window` names another.
PATHS_WINDOW = "1d"
RUN_STYLE = {"complete": "green", "failed": "red", "running": "yellow"}


def banded(value: str, band: str | None, *, word: bool = False) -> Text:
    """A figure with its band's glyph (and word): readable without colour (NO_COLOR, monochrome).

    The window table's cells carry the glyph only, so four windows fit 60 columns; the legend under
    it names each glyph. Glyphs and words are the dashboard's (core/display.py)."""
    text = Text(value)
    if band in BAND_MARKS:
        text.append(" " + (band_text(band) if word else BAND_MARKS[band].glyph), style=BAND_STYLE[band])
    return text


def _table(title: str | None = None) -> Table:
    # No edges: a table as wide as its columns, so 80 columns hold the report (60 the window table).
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)


def fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}{unit}"


def render(snap: MetricsSnapshot, window: str = PATHS_WINDOW) -> Group:
    """The report; `window` is the critical paths' (their stages in one window: a table per path)."""
    src = snap.source
    head = Text()
    head.append("execlog-top", style="bold")
    head.append(f"  as of {format_ts(snap.as_of) or '(no entries)'}\n")
    head.append(
        f"source: {len(src.files)} file(s), {src.entries:,} entries, {src.parse_errors:,} parse errors"
        + (f", {src.future:,} from the future (left out)" if src.future else "")
        + "\n"
        f"first {format_ts(src.first) or '-'}  last {format_ts(src.last) or '-'}"
    )
    parts: list[object] = [head]
    if snap.degraded:
        parts.append(Text(one_line(f"DEGRADED MODE: {snap.degraded_reason}"), style="bold reverse red"))

    # Figures as rows, windows as columns: four narrow columns fit an 80-column terminal.
    win = _table()
    win.add_column("", no_wrap=True)
    for name in WINDOW_NAMES:
        win.add_column(name, justify="right", no_wrap=True)
    ws = [snap.windows[name] for name in WINDOW_NAMES]
    win.add_row("entries", *(f"{w.entries:,}" for w in ws))
    win.add_row("requests/s", *(f"{w.requests_per_second:.2f}" for w in ws))
    win.add_row("errors", *(f"{w.errors:,}" for w in ws))
    win.add_row("error rate", *(banded(fmt(w.error_rate, "%"), w.bands.get("error_rate")) for w in ws))
    win.add_row("avg response", *(banded(fmt(w.avg_response_ms, " ms"), w.bands.get("response_time")) for w in ws))
    win.add_row("p95 response", *(fmt(w.p95_response_ms, " ms") for w in ws))
    win.add_row("cache hit", *(banded(fmt(w.cache_hit_rate, "%"), w.bands.get("cache_hit_rate")) for w in ws))
    win.add_row("memory", *(banded(fmt(w.memory_mb, " MB"), w.bands.get("memory_usage")) for w in ws))
    # How much of each window the data covers (a 1d window after 7 minutes: `7m of data`), as on screen.
    notes = [coverage_note(WINDOWS_BY_NAME[name], src.first, snap.as_of) for name in WINDOW_NAMES]
    win.add_row("coverage", *(note or ("full" if src.first is not None else "-") for note in notes))
    parts += [BLANK, win]
    parts.append(Text(LEGEND, style="dim"))
    boot = Text("bootstrap: ")
    boot.append_text(banded(fmt(snap.bootstrap_ms, " ms", 0), snap.bootstrap_band, word=True))
    parts.append(boot)

    comps = _table("Components (1d)")
    for col in ("component", "entries", "errors", "avg ms", "max ms"):
        comps.add_column(col, justify="left" if col == "component" else "right")
    for name, c in sorted(snap.components.items(), key=lambda kv: -kv[1].entries):
        comps.add_row(Text(sanitize(name)), f"{c.entries:,}", f"{c.errors:,}", f"{c.avg_ms:.1f}", f"{c.max_ms:.1f}")
    parts += [BLANK, comps]
    for path in snap.critical_paths.values():
        parts += [BLANK, *path_section(path, window, snap.as_of)]

    day, when = _clock_for([b.since for b in snap.breakers.values()], ms=True)
    br = _table(f"Circuit breakers{day}")
    for col in ("component", "state", "since", "opened"):
        br.add_column(col)
    for name, b in sorted(snap.breakers.items()):
        state = Text(b.state, style=STATE_STYLE.get(b.state, ""))
        if b.inferred:
            state.append(" (inferred)")
        br.add_row(Text(sanitize(name)), state, when(b.since), str(b.opened))
    parts += [BLANK, br, BLANK, alerts_table(snap)]
    if src.warnings:
        warn = Text("warnings:\n", style="yellow")
        for w in src.warnings:
            warn.append(f"  {sanitize(w.file)}: {sanitize(w.message)}\n")
        parts.append(warn)
    return Group(*parts)  # type: ignore[arg-type]


def path_section(path: PathView, window: str, as_of: int | None) -> list[object]:
    """A critical path (SPEC 10): a heading, its stages in `window` as a table, its latest run as one line."""
    timeout = f", timeout {_exact_span(path.timeout_ms)}" if path.timeout_ms is not None else ""
    # Configured names, shown as text all the same.
    head = Text(
        f"Critical path {sanitize(path.name)} ({sanitize(path.component)}{timeout}): {window} stages, latest run",
        style="italic",
    )
    rows = path.stages.get(window, ())
    table = _table()
    hit_miss = any(r.hits is not None for r in rows)
    cols = ("checkpoint", "entries", "errors", "avg ms", "p95 ms", *(("hits", "misses") if hit_miss else ()))
    for col in cols:
        table.add_column(col, justify="left" if col == "checkpoint" else "right", no_wrap=True)
    for r in rows:
        cells: list[Text | str] = [
            Text(sanitize(r.checkpoint)),
            f"{r.entries:,}",
            f"{r.errors:,}",
            fmt(r.avg_ms),
            fmt(r.p95_ms),
        ]
        if hit_miss:
            cells += ["" if r.hits is None else f"{r.hits:,}", "" if r.misses is None else f"{r.misses:,}"]
        table.add_row(*cells)
    return [head, table, run_line(path, as_of)]


def _ms(value: float) -> str:
    """A checkpoint's own duration in a run line: `48`, `13.5`."""
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _exact_span(ms: int) -> str:
    """A configured timeout as written, in its largest whole unit: `30s`, `90s`, `5m`, `2h`, `1,500 ms`."""
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1_000)):
        if ms % size == 0:
            return f"{ms // size:,}{unit}"
    return f"{ms:,} ms"


def _elapsed(ms: int, running: bool) -> str:
    """`254 ms`, `60,000 ms` (under two minutes); a running run in whole seconds as it ticks (`42s`, `150s`,
    from one second to ten minutes); anything longer coarsely (`3h 05m`)."""
    if ms < (1_000 if running else 120_000):
        return f"{max(ms, 0):,} ms"
    if running and ms < 600_000:
        return f"{ms // 1000}s"
    return span_text(ms)


def run_line(path: PathView, as_of: int | None) -> Text:
    """The latest run as one line: `bootstrap complete 254 ms: CORE 48 · PARALLEL 90 · VALIDATION 105`,
    `memory_learning RUNNING 2m at PERSIST (started 10:02:00.000)`, `cache_operations failed at UPDATE after
    60,000 ms (ended 10:04:00.000)`. A complete run lists its checkpoints' own durations but the first's (the
    start marks it) and the last's (in the writers it is the run's total, the figure the line leads with)."""
    name = sanitize(path.name)
    run: RunView | None = path.latest
    if run is None:
        return Text(f"{name}: no run yet", style="dim")
    # Of the report's day: the time of day to the millisecond (the heading's as-of date); of another day
    # (`-b -d` reports as of the wall clock): the date and time to the second, so the line fits 80 columns.
    times = [t for t in (run.started, run.ended, as_of) if t is not None]
    day, when = _clock_for(times, ms=True)
    if not day:
        _, when = _clock_for(times, ms=False)
    line = Text()
    if run.state == "complete":
        line.append(f"{name} complete {_elapsed(run.elapsed_ms, False)}", style=RUN_STYLE["complete"])
        stages = [r for r in run.reached[1:] if r.checkpoint != path.checkpoints[-1]]
        if stages:
            line.append(": " + " · ".join(f"{sanitize(r.checkpoint)} {_ms(r.duration_ms)}" for r in stages))
    elif run.state == "running":
        text = f"{name} RUNNING {_elapsed(run.elapsed_ms, True)} at {sanitize(run.stage)}"
        if path.stuck and path.timeout_ms is not None:
            text += f", STUCK over {_exact_span(path.timeout_ms)}"
        line.append(text, style="bold red" if path.stuck else RUN_STYLE["running"])
        line.append(f" (started {when(run.started)})")
    else:
        text = f"{name} {run.state} at {sanitize(run.stage)} after {_elapsed(run.elapsed_ms, False)}"
        line.append(text, style=RUN_STYLE.get(run.state, ""))
        line.append(f" (ended {when(run.ended)})")
    return line


def alerts_table(snap: MetricsSnapshot) -> Table:
    """One row per alert episode (repeats folded, as on the screen: core/display.group_alerts)."""
    groups = group_alerts(snap.alerts)
    times = [t for g in groups for t in (g.first_fired, g.last_fired, g.resolved) if t is not None]
    day, when = _clock_for(times, ms=False)
    al = _table(f"Alerts{day}, firing first")
    al.add_column("alert", no_wrap=True)
    for col in ("value", "fired"):
        al.add_column(col, justify="right", no_wrap=True)
    for col in ("first", "last", "resolved"):
        al.add_column(col, no_wrap=True)
    for g in groups:
        status = Text("FIRING", style="bold red") if g.firing else Text(when(g.resolved))
        # A figure's condition names it (`cache_hit_rate < 70%`); breaker:… and critical:… say it all.
        label = g.condition if g.condition.startswith(g.name + " ") else g.name
        al.add_row(
            Text(sanitize(label)),
            alert_value(g.value, g.condition),
            f"{g.count:,}×",
            when(g.first_fired),
            when(g.last_fired),
            status,
        )
    if not groups:
        al.add_row("none", "", "", "", "", "")
    return al


def _clock_for(times: list[int], *, ms: bool) -> tuple[str, Callable[[int | None], str]]:
    """A table's times: the time of day when they all fall on one UTC day (the title names it), in full
    otherwise. `-b -d` reports as of the wall clock, an old set's times are of another day: never cut."""
    days = {t // DAY_MS for t in times}
    one_day = len(days) <= 1
    end = 23 if ms else 19

    def when(t: int | None) -> str:
        full = format_ts(t)
        if full is None:
            return "-"
        return full[11:end] if one_day else full[:end].replace("T", " ")

    first = format_ts(min(times)) if times else None
    day = f" on {first[:10]} (UTC)" if one_day and first else ""
    return day, when


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich would exit with status 1; `execlog-top -b | head` is a success (cli.main handles it).
        raise BrokenPipeError


def make_console(file: IO[str] | None = None, no_color: bool | None = None) -> Console:
    # rich honours NO_COLOR itself and writes no colour when the output is not a terminal.
    return _Console(file=file, highlight=False, markup=False, emoji=False, no_color=no_color, soft_wrap=False)


def print_report(snap: MetricsSnapshot, console: Console, window: str | None = None) -> None:
    """Print the report; `window` (None: 1d) is the critical paths' stages' window (`-b --window`)."""
    console.print(render(snap, window or PATHS_WINDOW))
