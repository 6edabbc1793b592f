"""The live log view: a virtualised ScrollView over the ring buffer, with filter, search and follow."""

from __future__ import annotations

from bisect import bisect_left
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from execlog_tui.core.entry import ERROR_STATUSES, Entry, ParseError
from execlog_tui.core.parser import CUT_MARKER
from execlog_tui.ui.filters import LineFilter, TextMatcher
from execlog_tui.ui.provider import Line, RingLike
from execlog_tui.ui.sanitize import sanitize

MAX_VIRTUAL_WIDTH = 2_000  # a 64 KiB line scrolls sideways this far; beyond that it is cut on screen
WARNING_STATUSES = frozenset({"WARNING", "DEGRADED", "RETRY"})
MUTED_STATUSES = frozenset({"DEBUG", "SKIPPED"})
PARSE_MARK = "✗ PARSE "


def status_class(status: str) -> str:
    if status in ERROR_STATUSES:
        return "logview--error"
    if status in WARNING_STATUSES:
        return "logview--warning"
    if status == "SUCCESS":
        return "logview--ok"
    if status in MUTED_STATUSES:
        return "logview--muted"
    return "logview--info"


def shown_text(line: Line) -> str:
    """The text a line is displayed (and filtered, and searched) as: the raw line, made inert."""
    return sanitize(line.raw)


def new_lines(ring: RingLike, seen_total: int, lock: Any = None) -> tuple[list[Line], int, int]:
    """Lines appended since `seen_total`, the ring's total and its length, read consistently.

    With the session's lock, the copy is taken under it (only the copy: filtering happens after, so
    the reader thread waits for a list slice, never for the UI). Without one, reading the total before
    and after and retrying keeps the slice and the count in step.
    """
    if lock is not None:
        with lock:
            total, held = ring.total, len(ring)
            count = min(total - seen_total, held)
            newest = getattr(ring, "newest", None)
            items = newest(count) if newest is not None else list(ring)[held - count:] if count else []
            return items, total, held
    for _ in range(5):
        total = ring.total
        count = min(total - seen_total, len(ring))
        since = getattr(ring, "newest", None)
        try:
            items = since(count) if since is not None else list(ring)[len(ring) - count:] if count else []
        except (RuntimeError, IndexError):
            continue
        if ring.total == total:
            return items, total, len(ring)
    return items, total, len(ring)


class LogView(ScrollView, can_focus=True):
    """Renders only the visible lines; keeps its own filtered list of (sequence number, line, text)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "logview--ts", "logview--component", "logview--sep", "logview--ok", "logview--info",
        "logview--warning", "logview--error", "logview--muted", "logview--parse-error",
        "logview--match", "logview--current", "logview--cut",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "Up", show=False),
        Binding("down", "scroll_down", "Down", show=False),
        Binding("left", "scroll_left", "Left", show=False),
        Binding("right", "scroll_right", "Right", show=False),
        Binding("pageup", "page_up", "PgUp", show=False),
        Binding("pagedown", "page_down", "PgDn", show=False),
        Binding("home,g", "log_top", "Top", show=False),
        Binding("end,G", "log_bottom", "Bottom", show=False),
    ]
    DEFAULT_CSS = """
    LogView { background: $surface; }
    LogView > .logview--ts { color: $secondary; }
    LogView > .logview--sep { color: $secondary; }
    LogView > .logview--component { text-style: bold; }
    LogView > .logview--ok { color: $band-optimal; }
    LogView > .logview--info { color: $foreground; }
    LogView > .logview--warning { color: $band-warning; text-style: bold; }
    LogView > .logview--error { color: $band-error; text-style: bold; }
    LogView > .logview--muted { color: $secondary; }
    LogView > .logview--parse-error { color: $band-error; text-style: bold reverse; }
    LogView > .logview--match { background: $accent 40%; text-style: bold underline; }
    LogView > .logview--current { background: $primary 30%; }
    LogView > .logview--cut { color: $warning; text-style: italic; }
    """

    following: reactive[bool] = reactive(True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._seq: list[int] = []  # sequence numbers (position in everything ever appended) of shown lines
        self._lines: list[Line] = []
        self._texts: list[str] = []
        self._all: list[tuple[int, Line, str]] = []  # every line in the ring, for re-filtering
        self._seen_total = 0
        self._width = 0
        self.line_filter = LineFilter()
        self.search: TextMatcher | None = None
        self.current: int | None = None  # sequence number of the current search match

    # ---- data ------------------------------------------------------------------------------------
    @property
    def shown_count(self) -> int:
        return len(self._seq)

    @property
    def held_count(self) -> int:
        return len(self._all)

    def shown_lines(self) -> list[str]:
        return list(self._texts)

    def pull(self, ring: RingLike, lock: Any = None) -> int:
        """Take what the ring gained since the last pull; returns how many lines were new."""
        items, total, held = new_lines(ring, self._seen_total, lock)
        added = total - self._seen_total
        if added == 0 and len(self._all) == held:
            return 0
        first = total - len(items)
        fresh = [(first + i, line, shown_text(line)) for i, line in enumerate(items)]
        self._seen_total = total
        oldest = total - held
        if len(items) >= held:  # everything the ring holds is new: start over
            self._all = fresh
        else:
            self._all.extend(fresh)
        cut = bisect_left(self._all, oldest, key=lambda t: t[0])
        if cut:
            del self._all[:cut]
        self._drop_before(oldest)
        keep = self.line_filter.matches
        for seq, line, text in fresh:
            if seq >= oldest and keep(line, text):
                self._append(seq, line, text)
        self._sync_size()
        return added

    def _append(self, seq: int, line: Line, text: str) -> None:
        self._seq.append(seq)
        self._lines.append(line)
        self._texts.append(text)
        width = len(text) + (len(PARSE_MARK) if isinstance(line, ParseError) else 0) + (
            len(CUT_MARKER) if line.cut else 0)
        if width > self._width:
            self._width = min(width, MAX_VIRTUAL_WIDTH)

    def _drop_before(self, oldest: int) -> None:
        cut = bisect_left(self._seq, oldest)
        if cut:
            del self._seq[:cut], self._lines[:cut], self._texts[:cut]
            if self.current is not None and self.current < oldest:
                self.current = None

    def set_filter(self, line_filter: LineFilter) -> None:
        self.line_filter = line_filter
        self._seq, self._lines, self._texts = [], [], []
        self._width = 0
        for seq, line, text in self._all:
            if line_filter.matches(line, text):
                self._append(seq, line, text)
        self._sync_size()
        if self.following:
            self.scroll_end(animate=False, immediate=True)

    def _sync_size(self) -> None:
        at_end = self.following
        self.virtual_size = Size(self._width, len(self._seq))
        if at_end:
            self.scroll_end(animate=False, immediate=True)
            # Before the first layout the height is unknown: scroll again once it is.
            self.call_after_refresh(self._stick_to_end)
        self.refresh()

    def _stick_to_end(self) -> None:
        if self.following:
            self.scroll_end(animate=False, immediate=True)

    def on_resize(self) -> None:
        # A banner or notice appearing above (degraded, quiet log) makes the view shorter after the
        # lines arrived: scroll_y stays, max_scroll_y grows, and the newest line would fall below the
        # bottom while the header still says "follow". Keep following across every change of size.
        if self.following:
            self.scroll_end(animate=False, immediate=True)
            self.call_after_refresh(self._stick_to_end)

    # ---- search ----------------------------------------------------------------------------------
    def set_search(self, matcher: TextMatcher | None) -> bool:
        self.search = matcher
        self.current = None
        self.refresh()
        if matcher is None:
            return True
        return self.find(forward=False, from_end=True)

    def find(self, forward: bool = True, from_end: bool = False) -> bool:
        """Move to the next (or previous) shown line matching the search; False when there is none."""
        if self.search is None or not self._seq:
            return False
        n = len(self._seq)
        if from_end or self.current is None:
            start = n - 1 if not forward else 0
            candidates = range(start, -1, -1) if not forward else range(start, n)
        else:
            pos = bisect_left(self._seq, self.current)
            candidates = range(pos + 1, n) if forward else range(pos - 1, -1, -1)
        for i in candidates:
            if self.search.search(self._texts[i]) is not None:
                self.current = self._seq[i]
                self._reveal(i)
                return True
        return False

    def _reveal(self, index: int) -> None:
        height = self.scrollable_content_region.height
        if not (self.scroll_y <= index < self.scroll_y + height):
            self.scroll_to(y=max(0, index - height // 2), animate=False, immediate=True)
        self.refresh()

    # ---- scrolling -------------------------------------------------------------------------------
    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self.following = new >= self.max_scroll_y

    def action_log_top(self) -> None:
        self.scroll_home(animate=False, immediate=True)
        self.following = self.max_scroll_y == 0

    def action_log_bottom(self) -> None:
        self.scroll_end(animate=False, immediate=True)
        self.following = True

    def action_page_up(self) -> None:
        self.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)

    def action_scroll_up(self) -> None:
        self.scroll_relative(y=-1, animate=False, immediate=True)

    def action_scroll_down(self) -> None:
        self.scroll_relative(y=1, animate=False, immediate=True)

    # ---- rendering -------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self._seq):
            return Strip.blank(width, base)
        text = self._line_text(index)
        segments = [Segment(s.text, base + s.style if s.style else base) for s in
                    text.render(self.app.console, end="")]
        strip = Strip(segments).crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, base)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _line_text(self, index: int) -> Text:
        line, shown = self._lines[index], self._texts[index]
        text = Text(no_wrap=True, end="")
        if isinstance(line, ParseError):
            text.append(PARSE_MARK, self._style("logview--parse-error"))
            text.append(shown, self._style("logview--muted"))
        else:
            parts = shown.split("|", 5)
            if len(parts) == 6:
                sep = self._style("logview--sep")
                status_style = self._style(status_class(line.status))
                styles = (self._style("logview--ts"), self._style("logview--component"), Style(),
                          Style(), status_style, Style())
                for i, (part, style) in enumerate(zip(parts, styles)):
                    if i:
                        text.append("|", sep)
                    text.append(part, style)
                if line.status in ERROR_STATUSES or line.status in WARNING_STATUSES:
                    text.stylize(status_style, len(shown) - len(parts[5]), len(shown))
            else:  # an Entry built without its raw fields (synthetic): show it as is
                text.append(shown)
        if line.cut:
            text.append(CUT_MARKER, self._style("logview--cut"))
        offset = len(PARSE_MARK) if isinstance(line, ParseError) else 0
        if self.search is not None:
            for start, end in self.search.spans(shown):
                text.stylize(self._style("logview--match"), start + offset, end + offset)
        if self.current is not None and self._seq[index] == self.current:
            text.stylize(self._style("logview--current"))
        return text
