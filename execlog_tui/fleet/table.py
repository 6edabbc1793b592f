"""What the fleet screen and its headless twin (`--prometheus URL -b`, `-b --json`) show alike: the rows'
cells, the detail of one instance, the JSON. Label values come from the server: every text is made inert."""

from __future__ import annotations

import time
from typing import Any

from execlog_tui.core.display import BAND_MARKS, band_text
from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.snapshot import WINDOW_NAMES
from execlog_tui.core.timefmt import format_ts
from execlog_tui.fleet.model import Fleet, Instance, Window

ROW_WINDOW = "1m"  # the row's figures: the window the bands and alerts are of (SPEC 5, 7)
# (key, head, width, right-aligned); the instance's width is what is left.
COLUMNS: tuple[tuple[str, str, int, bool], ...] = (
    ("band", "band", 12, False),
    ("instance", "instance", 0, False),
    ("rps", "req/s", 7, True),
    ("errors", "err%", 6, True),
    ("p95", "p95", 7, True),
    ("cache", "hit%", 6, True),
    ("breakers", "brk", 3, True),
    ("alerts", "alrt", 4, True),
    ("state", "state", 5, False),
)
NARROW_BAND = 1  # at 80 columns the band is its glyph (SPEC 5: a glyph says it, not the colour alone)


def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    ms = value * 1000
    return f"{ms:.0f}ms" if ms < 1000 else f"{value:.2f}s" if value < 100 else f"{value:.0f}s"


def rate(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 1000 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def mebibytes(value: float | None) -> str:
    return "—" if value is None else f"{value / (1 << 20):.1f} MB"


def state(inst: Instance) -> str:
    if inst.up is False:
        return "down"
    if inst.degraded:
        return "degr"
    return "ok" if inst.up else "gone"


def band_cell(inst: Instance, narrow: bool = False) -> str:
    if inst.up is False:
        return "✗" if narrow else "✗ down"
    mark = BAND_MARKS.get(inst.band or "")
    if mark is None:
        return "-" if narrow else "no band"
    return mark.glyph if narrow else mark.text


def row_cells(inst: Instance, narrow: bool = False) -> dict[str, str]:
    w = inst.windows.get(ROW_WINDOW, Window())
    return {
        "band": band_cell(inst, narrow),
        "instance": sanitize(inst.instance),
        "rps": rate(w.requests_per_second),
        "errors": ratio(w.error_ratio),
        "p95": seconds(w.p95_s),
        "cache": ratio(w.cache_hit_ratio),
        "breakers": str(inst.open_breakers),
        "alerts": str(inst.firing),
        "state": state(inst),
    }


def row_band(inst: Instance) -> str | None:
    """The band a row is drawn in: `error` for a host that is down."""
    return "error" if inst.up is False else inst.band


def when(at: float) -> str:
    return format_ts(int(at * 1000)) or "—"


def headline(fleet: Fleet) -> str:
    n = len(fleet.instances)
    return f"Prometheus {sanitize(fleet.url)} · {n} instance{'s' if n != 1 else ''} · as of {when(fleet.at)}"


def text_table(fleet: Fleet) -> list[str]:
    """The headless twin's lines: the screen's rows, wide form."""
    widths = {k: w for k, _h, w, _r in COLUMNS}
    rows = [row_cells(i) for i in fleet.instances]
    widths["instance"] = max([len("instance"), *(len(r["instance"]) for r in rows)])

    def line(cells: dict[str, str]) -> str:
        parts = [cells[k].rjust(widths[k]) if right else cells[k].ljust(widths[k]) for k, _h, _w, right in COLUMNS]
        return "  ".join(parts).rstrip()

    out = [headline(fleet), line({k: h for k, h, _w, _r in COLUMNS})]
    out += [line(r) for r in rows]
    if not rows:
        out.append("no instance exports execlog_* metrics to this Prometheus")
    return out


FIGURE_ROWS = (
    ("requests/s", lambda w: rate(w.requests_per_second)),
    ("error rate", lambda w: ratio(w.error_ratio)),
    ("avg response", lambda w: seconds(w.avg_s)),
    ("p95 response", lambda w: seconds(w.p95_s)),
    ("cache hit", lambda w: ratio(w.cache_hit_ratio)),
    ("memory", lambda w: mebibytes(w.memory_bytes)),
    ("memory max", lambda w: mebibytes(w.memory_max_bytes)),
)


def detail_lines(inst: Instance, at: float) -> list[tuple[str, str | None]]:
    """One instance's figures: (line, band or None for its colour)."""
    out: list[tuple[str, str | None]] = []
    up = {True: "up", False: "DOWN (its last scrape failed)", None: "not scraped any more"}[inst.up]
    out.append((f"{sanitize(inst.instance)}  job {sanitize(inst.job)}  ·  {up}", row_band(inst)))
    last = (
        "—"
        if inst.last_entry_s is None
        else f"{when(inst.last_entry_s)[11:19]} ({max(0, at - inst.last_entry_s):.0f} s ago)"
    )
    out.append(
        (
            f"worst {band_text(inst.band)}  ·  degraded {'YES' if inst.degraded else 'no'}  ·  last entry {last}",
            None,
        )
    )
    out.append(("", None))
    out.append((f"{'':<14}" + "".join(f"{w:>10}" for w in WINDOW_NAMES), None))
    for label, cell in FIGURE_ROWS:
        out.append((f"{label:<14}" + "".join(f"{cell(inst.windows.get(w, Window())):>10}" for w in WINDOW_NAMES), None))
    out.append(("", None))
    out.append(("bands (1m):", None))
    figures = {**inst.bands}
    if inst.error_rate_band is not None:
        figures["error_rate"] = inst.error_rate_band
    for fig in ("response_time", "cache_hit_rate", "memory_usage", "bootstrap", "error_rate"):
        band = figures.get(fig)
        out.append((f"  {fig:<16}{band_text(band)}", band))
    out.append((f"  bootstrap {seconds(inst.bootstrap_s)}", None))
    out.append(("", None))
    out.append((f"breakers not closed: {inst.open_breakers}", "error" if inst.open_breakers else None))
    for b in inst.breakers:
        out.append(
            (
                f"  {sanitize(b.component)}  {b.state.upper()}{'~ (inferred)' if b.inferred else ''}",
                "error" if b.state == "open" else "warning",
            )
        )
    if inst.others_not_closed:
        out.append((f"  OTHER  {inst.others_not_closed} past the first 100 components", "error"))
    out.append(("", None))
    out.append((f"alerts firing: {inst.firing}", "error" if inst.firing else None))
    for a in inst.alerts:
        src = ", ".join(x for x in ("engine" if a.engine else "", f"rule {a.prometheus}" if a.prometheus else "") if x)
        sev = f" [{a.severity}]" if a.severity else ""
        out.append(
            (
                f"  {a.state:<8}{sanitize(a.name)}{sanitize(sev)}  ({sanitize(src)})",
                "error" if a.state == "firing" else "warning",
            )
        )
        if a.summary:
            out.append((f"          {sanitize(a.summary)}", None))
    if inst.running_paths:
        out.append(("", None))
        out.append(("critical paths running:", None))
        for name, s in sorted(inst.running_paths.items()):
            out.append((f"  {sanitize(name)}  {seconds(s)}", None))
    return out


def window_json(w: Window) -> dict[str, float | None]:
    return {
        "requests_per_second": w.requests_per_second,
        "error_ratio": w.error_ratio,
        "avg_response_seconds": w.avg_s,
        "p95_response_seconds": w.p95_s,
        "cache_hit_ratio": w.cache_hit_ratio,
        "memory_bytes": w.memory_bytes,
        "memory_max_bytes": w.memory_max_bytes,
    }


def fleet_json(fleet: Fleet) -> dict[str, Any]:
    return {
        "prometheus": fleet.url,
        "as_of": when(fleet.at),
        "instances": [
            {
                "instance": i.instance,
                "job": i.job,
                "up": i.up,
                "band": i.band,
                "bands": i.bands | ({"error_rate": "error"} if i.error_rate_band else {}),
                "degraded": i.degraded,
                "bootstrap_seconds": i.bootstrap_s,
                "last_entry": None if i.last_entry_s is None else when(i.last_entry_s),
                "windows": {w: window_json(i.windows.get(w, Window())) for w in WINDOW_NAMES},
                "open_breakers": i.open_breakers,
                "breakers": [{"component": b.component, "state": b.state, "inferred": b.inferred} for b in i.breakers],
                "breakers_not_closed_other": i.others_not_closed,
                "alerts_firing": i.firing,
                "alerts": [
                    {
                        "name": a.name,
                        "state": a.state,
                        "engine": a.engine,
                        "rule": a.prometheus,
                        "severity": a.severity,
                        "summary": a.summary,
                    }
                    for a in i.alerts
                ],
                "critical_paths_running_seconds": i.running_paths,
            }
            for i in fleet.instances
        ],
    }


def now() -> float:
    return time.time()
