"""The live log view: a virtualised ScrollView over the ring buffer, with filter, search and follow."""

from __future__ import annotations

import asyncio
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from execlog_tui.core.entry import ERROR_STATUSES, Entry, ParseError
from execlog_tui.core.lines import Lines
from execlog_tui.core.parser import CUT_MARKER, line_timestamp
from execlog_tui.core.ringbuffer import CUT, FUTURE, PARSE_ERROR, UNKNOWN, RingBuffer, fields_of, resolve_flags
from execlog_tui.core.sanitize import sanitize
from execlog_tui.session import Ring
from execlog_tui.ui.filters import LineFilter, TextMatcher
from execlog_tui.ui.provider import Line

MAX_VIRTUAL_WIDTH = 2_000  # a 64 KiB line scrolls sideways this far; beyond that it is cut on screen
# A new filter over more held lines than this is applied in steps of REFILTER_STEP_S, the UI handling
# keys and drawing between them (100,000 lines take 0.2-1 s to filter: the UI froze that long). Fewer
# lines are filtered at once (a few tens of milliseconds at most).
REFILTER_AT_ONCE = 20_000
REFILTER_STEP_S = 0.025
REFILTER_SHOW_S = 0.2  # how often the lines kept so far and the progress are redrawn meanwhile
_REFILTER_SLICE = 512  # lines between two looks at the clock
_WIDEN_SLICE = 4096  # lines measured at once (`_widen_all`): a few hundred KiB of str at a time
WARNING_STATUSES = frozenset({"WARNING", "DEGRADED", "RETRY"})
MUTED_STATUSES = frozenset({"DEBUG", "SKIPPED"})
PARSE_MARK = "✗ PARSE "
# An entry dated too far ahead of the wall clock when it arrived (SPEC 3): in no figure, and marked so.
FUTURE_MARK = "» FUTURE "
# The most columns a line's marks add to its text (a line is a parse error or an entry, never both).
_MARKS = max(len(PARSE_MARK), len(FUTURE_MARK)) + len(CUT_MARKER)
_ANY: Line = ParseError("", "", False)  # stands in for a line when the filter looks at its text only
# flags.translate(_MARKED) has a 1 for each line that carries (or may carry: UNKNOWN) a mark.
_MARKED = bytes(1 if b & (PARSE_ERROR | CUT | UNKNOWN | FUTURE) else 0 for b in range(256))


# The most columns a line's text can take on screen once sanitised, per character (a bidi control shown
# as the six characters "\u200e") and per UTF-8 byte (a C0 control, one byte, shown as the four "\x1b";
# a C1 control or a bidi one is two or three bytes for its four or six, a wide character three or four
# bytes for its two cells): the bounds that let a line, or a slice of held bytes, be passed over unread.
_CHAR_COLUMNS = 6
_BYTE_COLUMNS = 4
_ZWJ = "\u200d"  # a zero-width joiner (text_width: 2 columns for it, 3 bytes)


def text_width(raw: str) -> int:
    """Columns (terminal cells) of a raw line once sanitised, at least as many as the view draws: most
    lines are plain ASCII, whose width is their length; escapes lengthen a line and wide characters take
    two cells. The view draws a line in pieces (its fields, a search's matches), each measured alone, and
    rich measures the character after a zero-width joiner as part of its sequence (no cells) where a piece
    starts with it: two cells more for each joiner keep the sum of the pieces within the width."""
    if raw.isascii() and raw.isprintable():
        return len(raw)  # sanitize would return it unchanged: no regex search
    shown = sanitize(raw)
    return cell_len(shown) + 2 * shown.count(_ZWJ)


def _mark_width(flags: int) -> int:
    """Columns of the mark before a line's text: a parse error's, a future entry's, or none."""
    if flags & PARSE_ERROR:
        return len(PARSE_MARK)
    return len(FUTURE_MARK) if flags & FUTURE else 0


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


def _read(ring: Ring, count: int) -> tuple[list[str], bytes]:
    """The newest `count` lines of a ring as raw text and flags, never building an Entry for them."""
    if count <= 0:
        return [], b""
    return ring.lines_newest(count)


def new_lines(ring: Ring, seen_total: int, lock: Any = None) -> tuple[list[str], bytes, int, int]:
    """Raw lines appended since `seen_total` and their flags, the ring's total and its length, read
    consistently.

    With the session's lock, the copy is taken under it (only the copy: filtering happens after, so
    the reader thread waits for a list slice, never for the UI). Without one, reading the total before
    and after and retrying keeps the slice and the count in step.
    """
    raws: list[str]
    flags: bytes
    if lock is not None:
        with lock:
            total, held = ring.total, len(ring)
            raws, flags = _read(ring, min(total - seen_total, held))
            return raws, flags, total, held
    raws, flags = [], b""
    for _ in range(5):
        total = ring.total
        try:
            raws, flags = _read(ring, min(total - seen_total, len(ring)))
        except (RuntimeError, IndexError):
            continue
        if ring.total == total:
            return raws, flags, total, len(ring)
    return raws, flags, total, len(ring)


@dataclass(slots=True)
class Refilter:
    """A filter being applied to the held lines in steps: the lines before `next_seq` are judged, the
    ones it keeps are in `shown` (which the view shows meanwhile). `generation` tells it from a newer one."""

    generation: int
    keep: Callable[[str, int], bool]
    total: int  # held lines when it started (for the progress shown)
    next_seq: int
    shown: array[int] = field(default_factory=lambda: array("q"))
    width: int = 0
    done: int = 0  # lines judged so far


class LogView(ScrollView, can_focus=True):
    """Renders only the visible lines. Holds the ring's raw lines (references to the same strings, so
    ~16 bytes a line), their flags and sequence numbers, and, while a filter is on, the sequence numbers
    of the lines it keeps; a line is sanitised and coloured only when it is drawn or searched."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "logview--ts",
        "logview--component",
        "logview--sep",
        "logview--ok",
        "logview--info",
        "logview--warning",
        "logview--error",
        "logview--muted",
        "logview--parse-error",
        "logview--match",
        "logview--current",
        "logview--cut",
        "logview--future",
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
    LogView > .logview--future { color: $warning; text-style: bold reverse; }
    """

    following: reactive[bool] = reactive(True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Every line the ring held at the last pull, oldest first. Sequence numbers are positions in
        # everything ever appended: stable across evictions, so the current match and the filter's
        # list survive the front being cut. The text is numbered by sequence number too, and from the
        # session's RingBuffer it shares the ring's chunks (no second copy of 100,000 lines).
        self._seqs = array("q")
        self._text = Lines(0)
        self._flags = bytearray()
        # Sequence numbers of the lines the filter keeps; None when no filter is on (all are shown).
        self._shown: array[int] | None = None
        self._seen_total = 0
        self._width = 0
        self.line_filter = LineFilter()
        self.search: TextMatcher | None = None
        self.current: int | None = None  # sequence number of the current search match
        # The filter being applied in steps (large buffers), None when the shown lines are complete.
        # Every set_filter starts a new generation: a step of an older one stops, whatever it was doing.
        self.refilter: Refilter | None = None
        self._generation = 0

    # ---- data ------------------------------------------------------------------------------------
    @property
    def shown_count(self) -> int:
        return len(self._text) if self._shown is None else len(self._shown)

    @property
    def held_count(self) -> int:
        return len(self._text)

    def _raw(self, pos: int) -> str:
        """The text of the held line at `pos`."""
        return self._text.at(self._text.first + pos)

    def _raw_span(self, start: int, stop: int) -> list[str]:
        first = self._text.first
        return self._text.span(first + start, first + stop)

    def seq_at(self, index: int) -> int:
        """The sequence number of the `index`-th shown line."""
        return self._seqs[index] if self._shown is None else self._shown[index]

    def _pos(self, seq: int) -> int:
        """Where a held line's sequence number sits in the held arrays."""
        seqs = self._seqs
        guess = seq - seqs[0]  # sequence numbers are contiguous unless a source dropped blank lines
        if 0 <= guess < len(seqs) and seqs[guess] == seq:
            return guess
        return bisect_left(seqs, seq)

    def _raw_at(self, index: int) -> tuple[str, int]:
        """Raw text and (resolved) flags of the `index`-th shown line."""
        pos = index if self._shown is None else self._pos(self._shown[index])
        flags = self._flags[pos]
        if flags & UNKNOWN:
            flags = self._flags[pos] = resolve_flags(self._raw(pos), flags)
        return self._raw(pos), flags

    def shown_lines(self) -> list[str]:
        return [sanitize(self._raw_at(i)[0]) for i in range(self.shown_count)]

    def _keep(self, raw: str, flags: int) -> bool:
        """Whether the filter keeps a line, judged on a stand-in item: the filter looks only at the
        kind, the component and the status, which `fields_of` gets by a split instead of a parse."""
        f = self.line_filter
        if f.components or f.statuses or f.min_level is not None:
            fields = fields_of(raw, flags)
            if fields is None:
                line: Line = ParseError(raw, "", False)
            else:
                line = Entry(0, fields[0], "", 0.0, fields[1], "", raw)
        else:
            line = _ANY
        return f.matches(line, sanitize(raw) if f.text is not None else raw)

    def _keeper(self) -> Callable[[str, int], bool]:
        """The filter as a predicate on (raw, flags): for words or a regex alone (the usual filter)
        a direct search of the shown text, which halves the cost of re-filtering the buffer."""
        f = self.line_filter
        if f.text is not None and not (f.components or f.statuses or f.min_level is not None):
            search = f.text.search
            return lambda raw, _flags: search(sanitize(raw)) is not None
        return self._keep

    def _widen(self, width: int, pos: int, raw: str | None = None) -> int:
        """The greater of `width` and the held line at `pos`'s width on screen. Printable ASCII is as
        wide as it is long, any other line at most _CHAR_COLUMNS times, and the marks add at most _MARKS
        columns, so most lines are dismissed by their length alone; a line of unknown kind is parsed
        (once: its flags are kept) only when its mark could make it the widest."""
        if raw is None:
            raw = self._raw(pos)
        most = len(raw) if raw.isascii() and raw.isprintable() else _CHAR_COLUMNS * len(raw)
        if most + _MARKS <= width:
            return width
        flags = self._flags[pos]
        if flags & UNKNOWN:
            flags = self._flags[pos] = resolve_flags(raw, flags)
        n = text_width(raw) + _mark_width(flags) + (len(CUT_MARKER) if flags & CUT else 0)
        return n if n > width else width

    def _widen_all(self, width: int, fresh: range) -> int:
        """`_widen` over the fresh positions, without a Python step per line in the common case: at
        50,000 lines/s a refresh brings ~12,000 lines, of which the screen shows a few dozen. Each slice
        is measured on the held bytes first (`Lines.extent`, nothing decoded): printable ASCII is as
        wide as it is long, and any other line at most _BYTE_COLUMNS times its length in bytes; only a
        slice that could be wider than `width` and is not plain without marks is decoded, line by line."""
        if len(fresh) > _WIDEN_SLICE:
            # A whole buffer (the history's first pull) a slice at a time: decoded at once, its 100,000
            # lines as str took ~20 MB for an instant, which the allocator kept (RSS) long after.
            for at in range(fresh.start, fresh.stop, _WIDEN_SLICE):
                width = self._widen_all(width, range(at, min(at + _WIDEN_SLICE, fresh.stop)))
            return width
        if not fresh:
            return width
        start, stop = fresh.start, fresh.stop
        first = self._text.first
        longest, plain = self._text.extent(first + start, first + stop)
        if (longest if plain else _BYTE_COLUMNS * longest) + _MARKS <= width:
            return width  # none can be wider, whatever its marks, escapes and wide characters
        if plain and 1 not in self._flags[start:stop].translate(_MARKED):
            return max(width, longest)  # no marks to add, and widths are lengths
        widen = self._widen
        for pos, raw in zip(fresh, self._raw_span(start, stop), strict=True):
            width = widen(width, pos, raw)
        return width

    def pull(self, ring: Ring, lock: Any = None) -> int:
        """Take what the ring gained since the last pull; returns how many lines were new."""
        if isinstance(ring, RingBuffer):
            got = self._share(ring, lock)
            if got is None:
                return 0
            new, total = got
        else:
            raws, flags, total, held = new_lines(ring, self._seen_total, lock)
            added = total - self._seen_total
            if added == 0 and len(self._text) == held:
                return 0
            new = len(raws)
            first = total - new
            oldest = total - held
            if new >= held:  # everything the ring holds is new: start over
                self._seqs, self._flags = array("q", range(first, total)), bytearray(flags)
                self._text = Lines(first)
                self._text.extend(raws)
            else:
                self._seqs.extend(range(first, total))
                self._text.extend(raws)
                self._flags.extend(flags)
            cut = bisect_left(self._seqs, oldest)
            if cut:
                del self._seqs[:cut], self._flags[:cut]
                self._text.drop_before(self._text.first + cut)
            self._drop_before(oldest)
        added = total - self._seen_total
        self._seen_total = total
        # Only the new lines (the held tail) are filtered and measured: a refresh costs what arrived,
        # not the buffer.
        n = len(self._text)
        fresh = range(n - min(new, n), n)
        width, widen = self._width, self._widen
        if self._shown is None:
            width = self._widen_all(width, fresh)
        elif self.refilter is not None:
            pass  # the refilter's steps go on to the newest held line: these are judged there
        else:
            keep, shown, seqs = self._keeper(), self._shown, self._seqs
            held_flags = self._flags
            for at in range(fresh.start, fresh.stop, _WIDEN_SLICE):
                part = range(at, min(at + _WIDEN_SLICE, fresh.stop))
                for pos, raw in zip(part, self._raw_span(part.start, part.stop), strict=True):
                    if keep(raw, held_flags[pos]):
                        shown.append(seqs[pos])
                        width = widen(width, pos, raw)
        self._width = min(width, MAX_VIRTUAL_WIDTH)
        self._sync_size()
        return added

    def _share(self, ring: RingBuffer, lock: Any) -> tuple[int, int] | None:
        """Take the session ring's new lines by sharing its text's chunks (under its lock: a few
        hundred references and the new flags); (lines new, the ring's total), None when nothing changed."""
        for _ in range(5):
            if lock is not None:
                with lock:
                    got = self._share_now(ring)
                return got
            total = ring.total
            try:
                got = self._share_now(ring)
            except (RuntimeError, IndexError, ValueError):
                continue
            if ring.total == total:
                return got
        return self._share_now(ring)

    def _share_now(self, ring: RingBuffer) -> tuple[int, int] | None:
        total, held = ring.total, len(ring)
        if total == self._seen_total and len(self._text) == held:
            return None
        new = min(total - self._seen_total, held)
        first, oldest = total - new, total - held
        text = self._text
        if new >= held:  # everything the ring holds is new: start over
            self._seqs, self._flags = array("q", range(first, total)), bytearray(ring.flags_newest(new))
            self._text = text = Lines(first)
        else:
            self._seqs.extend(range(first, total))
            self._flags.extend(ring.flags_newest(new))
            cut = bisect_left(self._seqs, oldest)
            if cut:
                del self._seqs[:cut], self._flags[:cut]
                text.drop_before(text.first + cut)
        text.share_from(ring.text, total)
        self._drop_before(oldest)
        return new, total

    def _drop_before(self, oldest: int) -> None:
        if self._shown is not None:
            cut = bisect_left(self._shown, oldest)
            if cut:
                del self._shown[:cut]
        if self.current is not None and self.current < oldest:
            self.current = None

    def set_filter(self, line_filter: LineFilter) -> None:
        """Show only the lines `line_filter` keeps (all of them when it is not active). Over more than
        REFILTER_AT_ONCE held lines the filter is applied in steps (`refilter`), the UI responding
        between them; a newer filter stops an older one wherever it was."""
        self.line_filter = line_filter
        self._generation += 1
        self.refilter = None
        width, widen = 0, self._widen
        if line_filter.active and len(self._text) > REFILTER_AT_ONCE and self.is_attached:
            job = Refilter(self._generation, self._keeper(), len(self._text), self._seqs[0])
            self.refilter = job
            self._shown = job.shown  # the lines kept so far are shown while the rest is judged
            self._width = 0
            self._sync_size()
            self._refilter_steps(job)  # a worker (see @work): it runs between the UI's messages
            return
        if line_filter.active:
            keep, seqs, flags = self._keeper(), self._seqs, self._flags
            shown = array("q")
            for pos, raw in enumerate(self._raw_span(0, len(self._text))):
                if keep(raw, flags[pos]):
                    shown.append(seqs[pos])
                    width = widen(width, pos, raw)
            self._shown = shown
        else:
            self._shown = None
            width = self._widen_all(width, range(len(self._text)))
        self._width = min(width, MAX_VIRTUAL_WIDTH)
        self._sync_size()
        if self.following:
            self.scroll_end(animate=False, immediate=True)

    @work(exclusive=True, group="refilter", exit_on_error=False)
    async def _refilter_steps(self, job: Refilter) -> None:
        """Apply a filter a step at a time, yielding to the UI between steps, until every held line
        (those pulled meanwhile included) is judged; stop as soon as a newer filter was set."""
        shown_at = time.perf_counter()
        while job.generation == self._generation:
            finished = self.refilter_step(job)
            now = time.perf_counter()
            if finished or now - shown_at >= REFILTER_SHOW_S:
                # Redrawn a few times a second, not at every step: a redraw costs what a step does
                # (the app's title shows `progress` at each of its refreshes).
                shown_at = now
                self._sync_size()
            if finished:
                if self.following:
                    self.scroll_end(animate=False, immediate=True)
                return
            await asyncio.sleep(0)  # keys, the timer's refresh and drawing run here

    def refilter_step(self, job: Refilter, budget_s: float = REFILTER_STEP_S) -> bool:
        """Judge held lines from `job.next_seq` on for about `budget_s`; True once the job is complete
        (it is then no longer pending). A job of an older generation does nothing."""
        if job.generation != self._generation:
            return True
        deadline = time.perf_counter() + budget_s
        seqs, flags = self._seqs, self._flags
        keep, shown, widen = job.keep, job.shown, self._widen
        width = job.width
        n = len(self._text)
        pos = self._pos(job.next_seq) if n else 0  # lines evicted meanwhile are skipped; new ones are ahead
        while pos < n:
            stop = min(n, pos + _REFILTER_SLICE)
            for p, raw in enumerate(self._raw_span(pos, stop), pos):
                if keep(raw, flags[p]):
                    shown.append(seqs[p])
                    width = widen(width, p, raw)
            job.done += stop - pos
            pos = stop
            if time.perf_counter() >= deadline:
                break
        job.width = width
        self._width = min(max(self._width, width), MAX_VIRTUAL_WIDTH)
        if pos < n:
            job.next_seq = seqs[pos]
            return False
        self.refilter = None
        return True

    @property
    def progress(self) -> str:
        """What a refilter under way has done ("filtering 40% (40,000 of 100,000 lines)"), for the
        log's title; empty when the shown lines are complete."""
        job = self.refilter
        if job is None:
            return ""
        total = max(job.total, job.done, 1)
        return f"filtering {100 * job.done // total}% ({job.done:,} of {total:,} lines)"

    def _sync_size(self) -> None:
        at_end = self.following
        self.virtual_size = Size(self._width, self.shown_count)
        if at_end:
            self.scroll_end(animate=False, immediate=True)
            # Before the first layout the height is unknown: scroll again once it is.
            self.call_after_refresh(self._stick_to_end)
        self.refresh()

    def _stick_to_end(self) -> None:
        if self.following:
            self.scroll_end(animate=False, immediate=True)

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        # Textual scrolls only a view that has a scrollbar, and the scrollbar comes with the layout
        # after the lines arrived. The scroll after that refresh (_stick_to_end) runs too early when
        # the screen is in a batch (a recompose holds one across awaits): its callbacks run without
        # the layout. The first lines of a history were then shown under "follow" until something
        # else scrolled (seen in CI). Follow once the scrollbar is there.
        if shown and self.following:
            self.scroll_end(animate=False, immediate=True)

    def watch_show_horizontal_scrollbar(self) -> None:
        # A horizontal scrollbar appearing (a wide line) takes a row: the end moves down by one.
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
        """Search from where the reader is: while following, the newest match; scrolled, the nearest
        match at or above the bottom line shown, else the first one below it. The view moves to it and
        stays there (following stops) until G/End."""
        self.search = matcher
        self.current = None
        self.refresh()
        if matcher is None:
            return True
        if self.following:
            return self.find(forward=False, from_end=True)
        bottom = self.bottom_index()
        if bottom is None:
            return False
        return self._find_from(range(bottom, -1, -1)) or self._find_from(range(bottom + 1, self.shown_count))

    def find(self, forward: bool = True, from_end: bool = False) -> bool:
        """Move to the next (or previous) shown line matching the search; False when there is none."""
        n = self.shown_count
        if self.search is None or not n:
            return False
        if from_end or self.current is None:
            start = n - 1 if not forward else 0
            candidates = range(start, -1, -1) if not forward else range(start, n)
        else:
            pos = bisect_left(self._seqs if self._shown is None else self._shown, self.current)
            candidates = range(pos + 1, n) if forward else range(pos - 1, -1, -1)
        return self._find_from(candidates)

    def _find_from(self, candidates: range) -> bool:
        if self.search is None:
            return False
        search = self.search.search
        for i in candidates:
            if search(sanitize(self._raw_at(i)[0])) is not None:
                self.mark(i)
                return True
        return False

    def _reveal(self, index: int) -> None:
        height = self.scrollable_content_region.height
        if not (self.scroll_y <= index < self.scroll_y + height):
            self.scroll_to(y=max(0, index - height // 2), animate=False, immediate=True)
        self.refresh()

    # ---- the marked line: a search match, a jump's target, a clicked line ---------------------
    def mark(self, index: int) -> None:
        """Mark the `index`-th shown line and bring it into view; the view stops following, so the
        line stays where it was put while new lines arrive (G or End follows again)."""
        self.current = self.seq_at(index)
        self._reveal(index)
        self.following = False

    def index_of(self, seq: int) -> int | None:
        """Where a line (by sequence number) is among the shown lines, if it is shown."""
        keys = self._seqs if self._shown is None else self._shown
        i = bisect_left(keys, seq)
        return i if i < len(keys) and keys[i] == seq else None

    def bottom_index(self) -> int | None:
        """The last shown line on screen (the newest while following); None when nothing is shown."""
        n = self.shown_count
        if not n:
            return None
        height = max(1, self.scrollable_content_region.height)
        return min(n - 1, int(self.scroll_y) + height - 1)

    def selected_index(self) -> int | None:
        """The line Enter opens: the marked line if it is on screen, else the last line shown."""
        if self.current is not None:
            i = self.index_of(self.current)
            height = max(1, self.scrollable_content_region.height)
            if i is not None and self.scroll_y <= i < self.scroll_y + height:
                return i
        return self.bottom_index()

    def raw_at(self, index: int) -> str:
        """The raw (unsanitised) text of the `index`-th shown line."""
        return self._raw_at(index)[0]

    def ts_at(self, index: int) -> int | None:
        return line_timestamp(self._raw_at(index)[0])

    def _ts_near(self, index: int, step: int) -> int | None:
        """The timestamp of the line at `index`, or of the nearest line with one in direction `step`
        (a parse error has none)."""
        n = self.shown_count
        while 0 <= index < n:
            ts = self.ts_at(index)
            if ts is not None:
                return ts
            index += step
        return None

    def index_at_time(self, ts: int, at_or_before: bool = False) -> int | None:
        """The first shown line at or after log time `ts` (with `at_or_before`, the last at or before
        it), by bisection: the log is in time order but for a few late lines, which move the answer by
        those lines at most."""
        n = self.shown_count
        if not n:
            return None
        lo, hi = 0, n
        if at_or_before:
            while lo < hi:  # first line after ts
                mid = (lo + hi) // 2
                t = self._ts_near(mid, 1)
                if t is not None and t <= ts:
                    lo = mid + 1
                else:
                    hi = mid
            return max(0, lo - 1)
        while lo < hi:
            mid = (lo + hi) // 2
            t = self._ts_near(mid, 1)
            if t is None or t >= ts:
                hi = mid
            else:
                lo = mid + 1
        return min(lo, n - 1)

    def parse_error_times(self, at_most: int = 10_000) -> list[int]:
        """Where the shown parse errors sit in time (the line before's timestamp, as the replay places
        them), for the live incidents; the newest `at_most` of them."""
        out: list[int] = []
        n = self.shown_count
        flags = self._flags
        if self._shown is None and not any(b & (PARSE_ERROR | UNKNOWN) for b in set(flags)):
            return out
        for i in range(n - 1, -1, -1):
            if self._raw_at(i)[1] & PARSE_ERROR:
                ts = self._ts_near(i, -1)
                if ts is not None:
                    out.append(ts)
                    if len(out) >= at_most:
                        break
        out.reverse()
        return out

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = int(self.scroll_y) + offset.y
        if 0 <= index < self.shown_count:
            self.current = self.seq_at(index)
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
        if self.search is None:
            self.current = None  # following again: no line stays marked (a search keeps its match)
            self.refresh()

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
        if index >= self.shown_count:
            return Strip.blank(width, base)
        text = self._line_text(index)
        segments = [Segment(s.text, base + s.style if s.style else base) for s in text.render(self.app.console, end="")]
        strip = Strip(segments).crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, base)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _line_text(self, index: int) -> Text:
        raw, flags = self._raw_at(index)
        shown = sanitize(raw)
        parse_error = bool(flags & PARSE_ERROR)
        text = Text(no_wrap=True, end="")
        if parse_error:
            text.append(PARSE_MARK, self._style("logview--parse-error"))
            text.append(shown, self._style("logview--muted"))
        elif flags & FUTURE:
            # Left out of the clock and every figure (SPEC 3): marked, and muted whatever its status.
            text.append(FUTURE_MARK, self._style("logview--future"))
            text.append(shown, self._style("logview--muted"))
        else:
            parts = shown.split("|", 5)
            fields = fields_of(raw, flags)
            if len(parts) == 6 and fields is not None:
                status = fields[1]
                sep = self._style("logview--sep")
                status_style = self._style(status_class(status))
                styles = (
                    self._style("logview--ts"),
                    self._style("logview--component"),
                    Style(),
                    Style(),
                    status_style,
                    Style(),
                )
                for i, (part, style) in enumerate(zip(parts, styles, strict=False)):
                    if i:
                        text.append("|", sep)
                    text.append(part, style)
                if status in ERROR_STATUSES or status in WARNING_STATUSES:
                    text.stylize(status_style, len(shown) - len(parts[5]), len(shown))
            else:  # an Entry built without its raw fields (synthetic): show it as is
                text.append(shown)
        if flags & CUT:
            text.append(CUT_MARKER, self._style("logview--cut"))
        offset = _mark_width(flags)
        if self.search is not None:
            for start, end in self.search.spans(shown):
                text.stylize(self._style("logview--match"), start + offset, end + offset)
        if self.current is not None and self.seq_at(index) == self.current:
            text.stylize(self._style("logview--current"))
        return text
