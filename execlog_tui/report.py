"""Batch mode's text dashboard: a snapshot printed with rich, bands by label as well as colour."""

from __future__ import annotations

from typing import IO

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from execlog_tui.core.sanitize import one_line, sanitize
from execlog_tui.core.snapshot import MetricsSnapshot
from execlog_tui.core.timefmt import format_ts
from execlog_tui.core.windows import WINDOW_NAMES, WINDOWS_BY_NAME, coverage_note

BAND_STYLE = {"optimal": "green", "acceptable": "cyan", "warning": "yellow", "error": "bold red"}
BAND_GLYPH = {"optimal": "●", "acceptable": "◐", "warning": "▲", "error": "✖"}
BAND_SHORT = {"optimal": "opt", "acceptable": "acc", "warning": "warn", "error": "ERR"}
LEGEND = "bands: ● opt = optimal  ◐ acc = acceptable  ▲ warn = warning  ✖ ERR = error"
STATE_STYLE = {"CLOSED": "green", "HALF_OPEN": "yellow", "OPEN": "bold red"}


def band_text(value: str, band: str | None) -> Text:
    """A figure with its band as a label: readable without colour (NO_COLOR, monochrome, colour-blind)."""
    text = Text(value)
    if band:
        text.append(f" {BAND_GLYPH[band]}{BAND_SHORT[band]}", style=BAND_STYLE[band])
    return text


def fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}{unit}"


def render(snap: MetricsSnapshot) -> Group:
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
    win = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    win.add_column("", no_wrap=True)
    for name in WINDOW_NAMES:
        win.add_column(name, justify="right", no_wrap=True)
    ws = [snap.windows[name] for name in WINDOW_NAMES]
    win.add_row("entries", *(f"{w.entries:,}" for w in ws))
    win.add_row("requests/s", *(f"{w.requests_per_second:.2f}" for w in ws))
    win.add_row("errors", *(f"{w.errors:,}" for w in ws))
    win.add_row("error rate", *(band_text(fmt(w.error_rate, "%"), w.bands.get("error_rate")) for w in ws))
    win.add_row("avg response", *(band_text(fmt(w.avg_response_ms, " ms"), w.bands.get("response_time")) for w in ws))
    win.add_row("p95 response", *(fmt(w.p95_response_ms, " ms") for w in ws))
    win.add_row("cache hit", *(band_text(fmt(w.cache_hit_rate, "%"), w.bands.get("cache_hit_rate")) for w in ws))
    win.add_row("memory", *(band_text(fmt(w.memory_mb, " MB"), w.bands.get("memory_usage")) for w in ws))
    # How much of each window the data covers (a 1d window after 7 minutes: `7m of data`), as on screen.
    notes = [coverage_note(WINDOWS_BY_NAME[name], src.first, snap.as_of) for name in WINDOW_NAMES]
    win.add_row("coverage", *(note or ("full" if src.first is not None else "-") for note in notes))
    parts.append(win)
    parts.append(Text(LEGEND, style="dim"))
    boot = Text("bootstrap: ")
    boot.append_text(band_text(fmt(snap.bootstrap_ms, " ms", 0), snap.bootstrap_band))
    parts.append(boot)

    comps = Table(title="Components (1d)", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("component", "entries", "errors", "avg ms", "max ms"):
        comps.add_column(col, justify="left" if col == "component" else "right")
    for name, c in sorted(snap.components.items(), key=lambda kv: -kv[1].entries):
        comps.add_row(Text(sanitize(name)), f"{c.entries:,}", f"{c.errors:,}", f"{c.avg_ms:.1f}", f"{c.max_ms:.1f}")
    parts.append(comps)

    br = Table(title="Circuit breakers", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("component", "state", "since", "opened"):
        br.add_column(col)
    for name, b in sorted(snap.breakers.items()):
        state = Text(b.state, style=STATE_STYLE.get(b.state, ""))
        if b.inferred:
            state.append(" (inferred)")
        br.add_row(Text(sanitize(name)), state, _when(b.since, snap.as_of), str(b.opened))
    parts.append(br)

    al = Table(title="Alerts (firing first)", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("alert", "condition", "value", "fired", "resolved"):
        al.add_column(col)
    ordered = sorted(snap.alerts, key=lambda a: (a.resolved is not None, -a.fired))
    for a in ordered:
        status = Text("FIRING", style="bold red") if a.resolved is None else Text(_when(a.resolved, snap.as_of))
        al.add_row(
            Text(sanitize(a.name)), Text(sanitize(a.condition)), fmt(a.value), _when(a.fired, snap.as_of), status
        )
    if not ordered:
        al.add_row("none", "", "", "", "")
    parts.append(al)
    if src.warnings:
        warn = Text("warnings:\n", style="yellow")
        for w in src.warnings:
            warn.append(f"  {sanitize(w.file)}: {sanitize(w.message)}\n")
        parts.append(warn)
    return Group(*parts)  # type: ignore[arg-type]


def _when(ms: int | None, as_of: int | None) -> str:
    """A time as HH:MM:SS.mmm on the report's own date, in full otherwise."""
    full = format_ts(ms) or "-"
    if ms is not None and as_of is not None and ms // 86_400_000 == as_of // 86_400_000:
        return full[11:23]
    return full


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich would exit with status 1; `execlog-top -b | head` is a success (cli.main handles it).
        raise BrokenPipeError


def make_console(file: IO[str] | None = None, no_color: bool | None = None) -> Console:
    # rich honours NO_COLOR itself and writes no colour when the output is not a terminal.
    return _Console(file=file, highlight=False, markup=False, emoji=False, no_color=no_color, soft_wrap=False)


def print_report(snap: MetricsSnapshot, console: Console) -> None:
    console.print(render(snap))
