"""The critical-paths panel (SPEC 10): each path's stages as a funnel and its latest run.

Two forms, chosen by the room the panel has (its height is fixed by the configuration, never by the
data, so nothing on the screen moves when a run starts or ends):
- compact, one line per path: a tiny funnel (one cell per checkpoint, its height the stage's entries)
  and the latest run (`✓ bootstrap complete 254 ms: CORE 48 · PARALLEL 90 · VALIDATION 105`);
- full, the paths side by side: the latest run, then a row per stage with a funnel bar, entries,
  errors, avg and p95 of the window shown; the slowest stage (by avg, the last checkpoint left out: its
  duration is the run's total, SPEC 10) is marked `◀`.

The cursor is (path, item): item 0 is the run line, item k the k-th stage. Enter opens the item's
evidence (`run:PATH`, `stage:PATH:CHECKPOINT`, see execlog_tui/evidence.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType

from execlog_tui.core.config import CriticalPath
from execlog_tui.core.sanitize import sanitize
from execlog_tui.core.snapshot import WINDOW_NAMES, PathView, RunView, StageFigures
from execlog_tui.ui.fmt import age, clock, number, short_count
from execlog_tui.ui.textpanel import CURSOR_STYLE, TextPanel

COMPACT_LINES = 4  # at most this many lines in the compact form (more paths: the last says how many more)
MIN_COLUMN = 46  # a path's column in the full form is at least this wide
GAP = " │ "  # between the full form's columns
FULL_FROM_HEIGHT = 40  # the full form on screens at least this tall (and wide enough for every path side by side)
BLOCKS = " ▁▂▃▄▅▆▇█"  # the tiny funnel's cells, by eighths
EIGHTHS = " ▏▎▍▌▋▊▉"  # the full funnel's bars, by eighths of a cell
SLOWEST = "◀"
GLYPHS = {"complete": "✓", "failed": "▲", "running": "◷", "stuck": "✗", "none": "·"}


# ------------------------------------------------------------------------------------ the figures
def span(ms: float | int) -> str:
    """A run's elapsed time: `254 ms`, `4.2 s`, `42 s`, `3m 20s`."""
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 10_000:
        return f"{ms / 1000:.1f} s"
    if ms < 60_000:
        return f"{int(ms // 1000)} s"
    return age(int(ms))


def stage_ms(ms: float) -> str:
    """A checkpoint's own duration in a run line: `48`, `0.5` (ms, said once by the total)."""
    return f"{ms:.0f}" if float(ms).is_integer() or ms >= 100 else f"{ms:.1f}"


def rows_of(path: PathView, window: str) -> tuple[StageFigures, ...]:
    """The path's stage rows for the window, one per checkpoint (an empty one where none came)."""
    rows = path.stages.get(window, ())
    if len(rows) == len(path.checkpoints):
        return rows
    have = {r.checkpoint: r for r in rows}
    return tuple(have.get(c) or StageFigures(c, 0, 0, None, None) for c in path.checkpoints)


def slowest(rows: Sequence[StageFigures]) -> int | None:
    """The index of the stage that takes longest (highest avg), the last checkpoint left out (SPEC 10:
    its duration is the run's total); None when no stage took any time."""
    best: int | None = None
    for i, r in enumerate(rows[:-1]):
        if r.avg_ms is not None and r.avg_ms > 0 and (best is None or r.avg_ms > (rows[best].avg_ms or 0)):
            best = i
    return best


def state_of(path: PathView) -> str:
    run = path.latest
    if run is None:
        return "none"
    if run.running:
        return "stuck" if path.stuck else "running"
    return "failed" if run.state == "failed" else "complete"


def run_head(path: PathView) -> str:
    """`bootstrap complete 254 ms`, `bootstrap RUNNING 42 s at PARALLEL` (stuck), `… failed 60 s after UPDATE`."""
    name = sanitize(path.name)
    run = path.latest
    if run is None:
        return f"{name} no run yet"
    stage = sanitize(run.stage)
    if run.running:
        if path.stuck:  # the panel's title says how many are stuck, the alert its timeout
            return f"{name} RUNNING {span(run.elapsed_ms)} at {stage}"
        return f"{name} running {span(run.elapsed_ms)} at {stage}"
    if run.state == "failed":
        return f"{name} failed {span(run.elapsed_ms)} after {stage}"
    return f"{name} {sanitize(run.state)} {span(run.elapsed_ms)}"


def run_steps(path: PathView, run: RunView) -> list[str]:
    """The run's checkpoints with their own durations, the first (the start) and the last (its duration
    is the run's total) left out: `CORE 48`, `PARALLEL 90`, `VALIDATION 105`."""
    first, last = (path.checkpoints[0], path.checkpoints[-1]) if path.checkpoints else ("", "")
    return [
        f"{sanitize(r.checkpoint)} {stage_ms(r.duration_ms)}" for r in run.reached if r.checkpoint not in (first, last)
    ]


def run_line(path: PathView, width: int, steps: bool = True) -> str:
    """The latest run as one line of at most `width` characters: the head, then (with `steps`) as many
    of its steps as fit (`…` for the others)."""
    head = f"{GLYPHS[state_of(path)]} {run_head(path)}"
    if not steps:
        return head
    steps_ = run_steps(path, path.latest) if path.latest is not None else []
    return _fit(head, steps_, width)


def _fit(head: str, steps: list[str], width: int) -> str:
    """`head: step · step · …` with as many steps as fit in `width` (the head alone when none does)."""
    for keep in range(len(steps), 0, -1):
        text = f"{head}: {' · '.join(steps[:keep])}" + (" · …" if keep < len(steps) else "")
        if len(text) <= width:
            return text
    return head


def stage_line(path: PathView, row: StageFigures, window: str) -> str:
    """One stage's figures for the compact form's cursor: `bootstrap PARALLEL 1m: 1 entry · avg 90.0 · p95 90.0 ms`."""
    noun = "entry" if row.entries == 1 else "entries"
    parts = [f"{row.entries:,} {noun}"]
    if row.errors:
        parts.append(f"{row.errors:,} err")
    if row.hits is not None:
        parts.append(f"{row.hits:,} hit {row.misses or 0:,} miss")
    if row.avg_ms is not None:
        parts.append(f"avg {number(row.avg_ms)} · p95 {number(row.p95_ms)} ms")
    return f"{sanitize(path.name)} {sanitize(row.checkpoint)} {window}: " + " · ".join(parts)


def tiny_funnel(rows: Sequence[StageFigures]) -> str:
    """One cell per checkpoint, as tall as its entries against the busiest stage (`·` for none)."""
    top = max((r.entries for r in rows), default=0)
    cells = []
    for r in rows:
        if not r.entries or not top:
            cells.append("·")
        else:
            cells.append(BLOCKS[max(1, round(8 * r.entries / top))])
    return "".join(cells)


def bar(entries: int, top: int, width: int) -> str:
    """A horizontal bar of `width` cells, `entries` of `top` filled (by eighths)."""
    if width <= 0 or top <= 0 or entries <= 0:
        return " " * max(0, width)
    eighths = max(1, round(8 * width * entries / top))
    full, part = divmod(eighths, 8)
    text = "█" * full + (EIGHTHS[part] if part else "")
    return text + " " * (width - len(text))


# --------------------------------------------------------------------------------- placeholders
def placeholder(path: CriticalPath) -> PathView:
    """A configured path the snapshot has no figures for yet: every stage empty, no run."""
    names = tuple(c.name for c in path.checkpoints)
    empty = tuple(StageFigures(c, 0, 0, None, None) for c in names)
    return PathView(path.name, path.component, names, path.timeout_ms, {w: empty for w in WINDOW_NAMES}, None)


def paths_shown(snapshot_paths: dict[str, PathView], configured: Sequence[CriticalPath]) -> tuple[PathView, ...]:
    """The snapshot's paths in the configuration's order, a placeholder for a configured one it lacks."""
    out = [snapshot_paths.get(p.name) or placeholder(p) for p in configured]
    seen = {p.name for p in configured}
    out.extend(v for k, v in snapshot_paths.items() if k not in seen)
    return tuple(out)


# ------------------------------------------------------------------------------------ the layout
@dataclass(frozen=True, slots=True)
class Layout:
    full: bool
    columns: int  # paths side by side (full form)
    lines: int  # the panel's height in lines


def compact_lines(paths: int) -> int:
    return max(1, min(paths, COMPACT_LINES))


def full_lines(checkpoints: Sequence[int]) -> int:
    """Run line, column heads, one row per checkpoint of the longest path."""
    return 2 + max(checkpoints, default=0)


def choose_layout(width: int, screen_height: int, checkpoints: Sequence[int]) -> Layout:
    """The form for a panel `width` wide on a screen `screen_height` tall: full when every path fits
    side by side and the screen is tall enough, else compact. Depends on the configuration only."""
    n = len(checkpoints)
    content = max(1, width - 2)  # the panel's padding
    if n and screen_height >= FULL_FROM_HEIGHT and column_width(content, n) >= MIN_COLUMN:
        return Layout(True, n, full_lines(checkpoints))
    return Layout(False, 1, compact_lines(n))


def column_width(content: int, columns: int) -> int:
    return (content - len(GAP) * (columns - 1)) // max(1, columns)


# ------------------------------------------------------------------------------------ the panel
class PathsPanel(TextPanel):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "paths--stuck",
        "paths--failed",
        "paths--complete",
        "paths--running",
        "paths--dim",
        "paths--head",
        "paths--bar",
        "paths--miss",
        "paths--slowest",
        "paths--error",
        "paths--name",
    }
    DEFAULT_CSS = """
    PathsPanel > .paths--stuck { color: $band-error; text-style: bold; }
    PathsPanel > .paths--failed { color: $band-warning; }
    PathsPanel > .paths--complete { color: $band-optimal; }
    PathsPanel > .paths--running { color: $text; }
    PathsPanel > .paths--dim { color: $secondary; }
    PathsPanel > .paths--head { color: $text-muted; text-style: bold; }
    PathsPanel > .paths--bar { color: $primary; }
    PathsPanel > .paths--miss { color: $primary 50%; }
    PathsPanel > .paths--slowest { color: $band-warning; text-style: bold; }
    PathsPanel > .paths--error { color: $band-error; }
    PathsPanel > .paths--name { text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("left", "cursor_side(-1)", "Left", show=False),
        Binding("right", "cursor_side(1)", "Right", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pos = (0, 0)  # (path, item): item 0 the run line, item k the k-th stage
        self.full_form = False  # set by the app from choose_layout (a maximised panel: by its room)

    # ---- data ----------------------------------------------------------------------------------
    def show(self, paths: tuple[PathView, ...], window: str) -> None:
        self.set_data((paths, window))

    @property
    def paths(self) -> tuple[PathView, ...]:
        return () if self.data is None else tuple(self.data[0])

    @property
    def window(self) -> str:
        return WINDOW_NAMES[0] if self.data is None else str(self.data[1])

    def _full(self, width: int) -> bool:
        """The full form when the app chose it, or when the panel has the room (maximised)."""
        paths = self.paths
        if not paths:
            return False
        height = self.size.height or 0
        need = full_lines([len(p.checkpoints) for p in paths])
        if self.full_form and height >= need:
            return True
        # Maximised (z): the full form, one path under another, when they all fit.
        return column_width(max(1, width), 1) >= MIN_COLUMN and height >= sum(
            full_lines([len(p.checkpoints)]) for p in paths
        )

    def _columns(self, width: int) -> int:
        paths = self.paths
        if self.full_form and column_width(width, len(paths)) >= MIN_COLUMN:
            height = self.size.height or 0
            if height >= full_lines([len(p.checkpoints) for p in paths]):
                return len(paths)
        return 1

    # ---- the cursor ----------------------------------------------------------------------------
    def _items(self, p: int) -> int:
        """Items of path p: its run line and its stages."""
        return 1 + len(self.paths[p].checkpoints)

    def _clamp(self) -> None:
        paths = self.paths
        if not paths:
            self.pos = (0, 0)
            return
        p = max(0, min(len(paths) - 1, self.pos[0]))
        self.pos = (p, max(0, min(self._items(p) - 1, self.pos[1])))

    def action_cursor(self, step: int) -> None:
        """Up / down: the next item (full form: down a path's stages, then the next path's run line;
        compact: the next path's line, on the same stage)."""
        if not self.paths:
            return
        self._clamp()
        p, i = self.pos
        width = self.size.width or 80
        if self._full(width):
            i += step
            if i < 0 and p > 0:
                p -= 1
                i = self._items(p) - 1
            elif i >= self._items(p) and p < len(self.paths) - 1:
                p, i = p + 1, 0
        else:
            p += step
        self.pos = (p, i)
        self._clamp()
        self.refresh()

    def action_cursor_side(self, step: int) -> None:
        """Left / right: the path beside (full form, side by side) or the stage beside (compact)."""
        if not self.paths:
            return
        self._clamp()
        p, i = self.pos
        width = self.size.width or 80
        if self._full(width) and self._columns(width) > 1:
            p += step
        else:
            i += step
        self.pos = (p, i)
        self._clamp()
        self.refresh()

    def row_figures(self) -> list[tuple[str, int | None]]:
        """Every item's evidence, path by path (the run line, then each stage)."""
        out: list[tuple[str, int | None]] = []
        for p in self.paths:
            out.append((f"run:{p.name}", None))
            out.extend((f"stage:{p.name}:{c}", None) for c in p.checkpoints)
        return out

    def selected_figure(self) -> tuple[str, int | None] | None:
        if not self.paths:
            return None
        self._clamp()
        p, i = self.pos
        path = self.paths[p]
        if i == 0:
            return None if path.latest is None else (f"run:{path.name}", None)
        return (f"stage:{path.name}:{path.checkpoints[i - 1]}", None)

    def selected_label(self) -> str:
        """The evidence screen's title for the item under the cursor."""
        p, i = self.pos
        path = self.paths[p]
        if i == 0:
            return f"latest {path.name} run"
        return f"{path.name} stage {path.checkpoints[i - 1]} ({self.window})"

    # ---- rendering -----------------------------------------------------------------------------
    def render(self) -> Text:
        if self.data is None:
            return Text("")
        text = self.build(self.size.width or 80)
        self._lines = text.plain.count("\n") + 1
        return text

    def _cursor_at(self, p: int, i: int) -> bool:
        return self.has_focus and self.pos == (p, i)

    def _state_style(self, path: PathView) -> Style:
        return self.style_of(f"paths--{state_of(path) if path.latest is not None else 'dim'}")

    def build(self, width: int) -> Text:
        paths = self.paths
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        if not paths:
            text.append("no critical paths configured", self.style_of("paths--dim"))
            return text
        self._clamp()
        if self._full(width):
            return self._build_full(width)
        return self._build_compact(width)

    def _build_compact(self, width: int) -> Text:
        paths = self.paths
        room = max(1, self.size.height or COMPACT_LINES)
        shown = paths if len(paths) <= room else paths[: room - 1]
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        for n, path in enumerate(shown):
            if n:
                text.append("\n")
            rows = rows_of(path, self.window)
            funnel = tiny_funnel(rows)
            p_cur = self.has_focus and self.pos[0] == n
            for k, cell in enumerate(funnel):
                style = self.style_of("paths--bar")
                if p_cur and self.pos[1] == k + 1:
                    style = style + CURSOR_STYLE
                text.append(cell, style)
            text.append(" ")
            room_left = max(1, width - len(funnel) - 1)
            if p_cur and self.pos[1] > 0:
                line = stage_line(path, rows[self.pos[1] - 1], self.window)
                text.append(line, self.style_of("paths--running"))
            else:
                line = run_line(path, room_left)
                style = self._state_style(path)
                if self._cursor_at(n, 0):
                    style = style + CURSOR_STYLE
                text.append(line, style)
        if len(shown) < len(paths):
            hidden = paths[len(shown) :]
            stuck = sum(1 for p in hidden if p.stuck)
            text.append(
                f"\n+{len(hidden)} more paths" + (f" ({stuck} stuck)" if stuck else "") + " · z: all",
                self.style_of("paths--stuck" if stuck else "paths--dim"),
            )
        return text

    def _build_full(self, width: int) -> Text:
        paths = self.paths
        columns = self._columns(width)
        col_w = column_width(width, columns)
        blocks = [self._block(n, path, col_w) for n, path in enumerate(paths)]
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        first = True
        for start in range(0, len(blocks), columns):
            band = blocks[start : start + columns]
            height = max(len(b) for b in band)
            for row in range(height):
                if not first:
                    text.append("\n")
                first = False
                for c, block in enumerate(band):
                    if c:
                        text.append(GAP, self.style_of("paths--dim"))
                    piece = block[row] if row < len(block) else Text("")
                    piece.truncate(col_w, overflow="ellipsis", pad=c < len(band) - 1)
                    text.append_text(piece)
        return text

    def _block(self, n: int, path: PathView, width: int) -> list[Text]:
        """One path in the full form: its run line, the column heads and a row per stage (its funnel bar,
        entries, errors, avg and p95 in the window, and its own duration in the latest run)."""
        rows = rows_of(path, self.window)
        run = path.latest
        out: list[Text] = []
        style = self._state_style(path)
        if self._cursor_at(n, 0):
            style = style + CURSOR_STYLE
        head = run_line(path, width, steps=False)
        if run is not None and len(head) + len(" · from 10:04:30") <= width:
            head += f" · from {clock(run.started)}"
        out.append(Text(head, style))
        nw = min(14, max([5, *(len(sanitize(c)) for c in path.checkpoints)]))
        fixed = nw + 1 + 1 + 5 + 1 + 4 + 1 + 6 + 1 + 6 + 1 + 6 + 2
        room = width - fixed
        words = room >= 8 + len(" slowest")  # `◀ slowest` in words when the bar keeps 8 cells
        bw = max(3, min(16, room - (len(" slowest") if words else 0)))
        heads = f"{'Stage':<{nw}} {'':<{bw}} {'Count':>5} {'Err':>4} {'Avg':>6} {'p95':>6} {'Last':>6}"
        out.append(Text(heads, self.style_of("paths--head")))
        top = max((r.entries for r in rows), default=0)
        slow = slowest(rows)
        last = {r.checkpoint: r.duration_ms for r in run.reached} if run is not None else {}
        for k, r in enumerate(rows):
            line = Text()
            line.append(f"{sanitize(r.checkpoint)[:nw]:<{nw}} ", self.style_of("paths--name"))
            if r.hits is not None and r.entries:
                hits = bar(r.hits, top, bw).rstrip()
                misses = bar(r.entries, top, bw).rstrip()[len(hits) :].replace("█", "▒")
                line.append(hits, self.style_of("paths--bar"))
                line.append(misses, self.style_of("paths--miss"))
                line.append(" " * (bw - len(hits) - len(misses)))
            else:
                line.append(bar(r.entries, top, bw), self.style_of("paths--bar"))
            line.append(f" {short_count(r.entries):>5}")
            line.append(f" {short_count(r.errors):>4}", self.style_of("paths--error") if r.errors else "")
            avg_style = self.style_of("paths--slowest") if k == slow else ""
            line.append(f" {number(r.avg_ms):>6}", avg_style)
            line.append(f" {number(r.p95_ms):>6}")
            own = last.get(r.checkpoint)
            line.append(
                f" {number(own) if own is not None else '·':>6}", "" if own is not None else self.style_of("paths--dim")
            )
            if k == slow:
                line.append(f" {SLOWEST}" + (" slowest" if words else ""), self.style_of("paths--slowest"))
            if self._cursor_at(n, k + 1):
                line.stylize(CURSOR_STYLE)
            out.append(line)
        return out
