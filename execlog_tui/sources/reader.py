"""Reading one log file, plain or gzip (by magic bytes), as a stream of line batches; the one gzip reader.

Every reader of archives (history, fast path, follower, queries) inflates through `gzip_chunks`: a damaged
or truncated archive yields every complete line before the damage and one warning naming the file
(SPEC section 2), wherever it is read.
"""

from __future__ import annotations

import os
import queue
import stat
import threading
import zlib
from collections import deque
from collections.abc import Generator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO, cast

from execlog_tui.core.entry import Entry
from execlog_tui.core.parser import LINE_LIMIT, parse_line
from execlog_tui.sources.lines import MAX_CUT_WARNINGS as MAX_CUT_WARNINGS
from execlog_tui.sources.lines import Batch, LineSplitter, RawBatch
from execlog_tui.sources.lines import SourceWarning as SourceWarning

_fast_zlib: ModuleType  # isal_zlib or zlib: the same decompressobj interface
INFLATE_ERRORS: tuple[type[BaseException], ...]  # what inflating can raise (isal's and zlib's)
try:  # isal inflates two to three times faster than zlib
    from isal import isal_zlib

    _fast_zlib = isal_zlib
    # isal's stub declares `error` as an instance of Exception; it is the class igzip_lib.IsalError.
    INFLATE_ERRORS = (cast(type[BaseException], isal_zlib.error), zlib.error)
except ImportError:  # pragma: no cover - isal is a declared dependency, zlib is the fallback
    _fast_zlib = zlib
    INFLATE_ERRORS = (zlib.error,)

GZIP_MAGIC = b"\x1f\x8b"
# Compressed bytes fed to the inflater per call: small enough that salvaging after damage is cheap,
# large enough that the per-call overhead is invisible next to the inflating itself.
_INPUT_PIECE = 256 * 1024
PEEK_BYTES = 64 * 1024
# Bytes of (inflated) text split into lines at a time. Measured on a 700 MB log: 256 KiB reads 1.5x
# faster than 4 MiB, because the chunk, its decoded text and its line list then stay in the CPU cache.
CHUNK_SIZE = 256 * 1024
_GZIP_WBITS = 31  # zlib's code for "a gzip header and trailer around a deflate stream"
_INTEGRITY_CHUNK = 4 * 1024 * 1024  # gzip_intact keeps no output: large pieces, few Python calls
_QUEUED_BATCHES = 8  # read_raw_batches: batches the inflating thread may be ahead of its consumer
# Inflated bytes of an archive member held back until its checksum passes (gzip_chunks `hold`): all of
# a member up to this size, the last this many bytes of a larger one.
ARCHIVE_HOLD = 32 * 1024 * 1024


STDIN = "-"  # the path argument that means standard input (a stream)
_stdin_fd = 0  # where standard input is read from: the dashboard moves it off fd 0 for the terminal


def set_stdin_fd(fd: int) -> None:
    """Read standard input (`-`) from `fd` (a duplicate of fd 0 taken before fd 0 became the terminal)."""
    global _stdin_fd
    _stdin_fd = fd


def open_stream(path: Path) -> BinaryIO:
    """A stream source (standard input, a FIFO) opened for reading once, from its start: no seek, no
    reopening. A FIFO's open waits for a writer, as `cat` does. OSError when it cannot be opened."""
    if os.fspath(path) == STDIN:
        return open(os.dup(_stdin_fd), "rb", buffering=0)  # noqa: SIM115 - the caller closes it
    return open(path, "rb", buffering=0)  # noqa: SIM115 - the caller closes it


def is_stream_path(path: Path) -> bool:
    """Standard input, or a name that is a FIFO, socket or character device: read once, as a stream."""
    if os.fspath(path) == STDIN:
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


class _Reopening:
    """A read-only file that holds no descriptor between reads: each read opens the file, checks that
    it is still the same one (device and inode), reads at the offset and closes it. A reader of many
    sets at once (a merge) then needs one descriptor, not one per set."""

    def __init__(self, path: Path) -> None:
        self._path = path
        with open(path, "rb", buffering=0) as f:
            st = os.fstat(f.fileno())
        self._ident = (st.st_dev, st.st_ino)
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        fd = os.open(self._path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != self._ident:
                raise OSError(f"{self._path} was replaced while being read")
            data = os.pread(fd, n if n >= 0 else max(0, st.st_size - self._pos), self._pos)
        finally:
            os.close(fd)
        self._pos += len(data)
        return data

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence != 0:
            raise OSError("only absolute seeks")
        self._pos = pos
        return pos

    def close(self) -> None:
        pass

    def __enter__(self) -> _Reopening:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class _Prefixed:
    """A stream whose first bytes were read already (to see gzip's magic): they come first again."""

    def __init__(self, head: bytes, f: BinaryIO) -> None:
        self._head = head
        self._f = f

    def read(self, n: int = -1) -> bytes:
        if self._head:
            head, self._head = (self._head, b"") if n < 0 or n >= len(self._head) else (self._head[:n], self._head[n:])
            return head
        return self._f.read(n)

    def seek(self, pos: int, whence: int = 0) -> int:
        raise OSError("a stream cannot seek")


class ReadDamage(Exception):
    """Raised by the byte streams after their last good byte: the reader turns it into a warning."""

    def __init__(self, kind: str, reason: str = "") -> None:
        super().__init__(kind, reason)
        self.kind = kind  # "damaged", "truncated", "read"
        self.reason = reason

    def message(self, lines: int) -> str:
        """The warning's text, `lines` being the complete lines read before the damage."""
        if self.kind == "truncated":
            return f"archive ends early (truncated gzip): read up to line {lines}"
        if self.kind == "read":
            return f"read error after line {lines}: {self.reason}"
        return f"damaged gzip archive: read up to line {lines}: {self.reason}"


def is_gzip(path: Path) -> bool:
    """True when the file starts with gzip's magic bytes (whatever its name says)."""
    try:
        with open(path, "rb") as f:
            return f.read(2) == GZIP_MAGIC
    except OSError:
        return False


def plain_chunks(f: BinaryIO, chunk_size: int, max_bytes: int | None = None) -> Generator[bytes, None, None]:
    left = max_bytes
    while left is None or left > 0:
        try:
            data = f.read(chunk_size if left is None else min(chunk_size, left))
        except OSError as exc:
            raise ReadDamage("read", exc.strerror or str(exc)) from None
        if not data:
            return
        if left is not None:
            left -= len(data)
        yield data


def gzip_chunks(f: BinaryIO, chunk_size: int, hold: int = 0) -> Generator[bytes, None, None]:
    """Inflate a gzip file of one or more members, at most chunk_size bytes of output at a time.

    Raises ReadDamage after yielding every byte that could be inflated before a fault, so the caller
    still gets the complete lines that precede the damage.

    `hold`: keep up to that many bytes of each member's output back until the member's checksum
    (CRC-32 and length, checked at its end) passes. A member damaged in the middle may inflate to
    garbage until its checksum fails, and the checksum does not say where the damage is: what was
    held is then yielded up to its first line that is not an entry (`intact_prefix`), the rest is left
    out, and the ReadDamage says so. The lines before the damage inflate exactly and are entries (the
    prefix SPEC 2 promises); the garbage after it is parse errors from its first lines on, and is
    never passed on (issue 13). A fault the inflater detects on the spot (an invalid code) yields
    everything before it, as does an archive that ends early.
    """
    held: deque[bytes] = deque()
    held_len = 0

    def release(keep: int) -> Iterator[bytes]:
        nonlocal held_len
        while held and held_len - len(held[0]) >= keep:
            piece = held.popleft()
            held_len -= len(piece)
            yield piece

    member_start = 0  # file offset where the current member begins
    fed = 0  # compressed bytes of the current member already given to the inflater
    delivered = 0  # bytes inflated from the current member and already yielded
    offset = 0  # file offset of the next byte to read
    d: Any = None
    between = True  # before the first member, or after a member's end (zero padding allowed)
    while True:
        try:
            piece = f.read(_INPUT_PIECE)
        except OSError as exc:
            raise ReadDamage("read", exc.strerror or str(exc)) from None
        if not piece:
            break
        offset += len(piece)
        while piece:
            if between:
                # gzip(1) accepts zero padding after a member (tape blocks); so do we.
                stripped = piece.lstrip(b"\x00")
                if not stripped:
                    break
                member_start = offset - len(stripped)
                piece = stripped
                d = _fast_zlib.decompressobj(wbits=_GZIP_WBITS)
                fed = delivered = 0
                between = False
            piece_start = member_start + fed
            try:
                out = d.decompress(piece, chunk_size)
                fed += len(piece) - len(d.unconsumed_tail)
                if out:
                    delivered += len(out)
                    if hold:
                        held.append(out)
                        held_len += len(out)
                        yield from release(hold)
                    else:
                        yield out
                # Output may still be pending inside the inflater when a call filled max_length.
                while d.unconsumed_tail or (out and len(out) >= chunk_size and not d.eof):
                    tail = d.unconsumed_tail
                    out = d.decompress(tail, chunk_size)
                    fed += len(tail) - len(d.unconsumed_tail)
                    if out:
                        delivered += len(out)
                        if hold:
                            held.append(out)
                            held_len += len(out)
                            yield from release(hold)
                        else:
                            yield out
            except INFLATE_ERRORS as exc:
                reason = _zlib_reason(exc)
                if held and _is_check_failure(reason):
                    window = b"".join(held)
                    held.clear()
                    keep = intact_prefix(window, mid_line=delivered > held_len)
                    held_len = 0
                    if keep:
                        yield window[:keep]
                    raise ReadDamage(
                        "damaged",
                        f"{reason} (the checksum failed: held back until it, the {_mib(len(window) - keep)}"
                        " from the member's first line that is not an entry on were left out)",
                    ) from None
                yield from release(0)
                # The failing call's output is lost; inflate again, a byte at a time near the fault.
                yield from _salvage(f, member_start, piece_start, delivered)
                raise ReadDamage("damaged", reason) from None
            if d.eof:
                yield from release(0)  # the member's checksum passed
                piece = d.unused_data
                between = True
            else:
                piece = b""
    if d is None:
        return  # no member at all: an empty file, or only zero bytes
    if not between:
        yield from release(0)  # ends early: no checksum to wait for, and nothing says it is garbage
        try:
            rest = d.flush()
        except INFLATE_ERRORS:
            rest = b""
        if rest:
            yield rest
        raise ReadDamage("truncated")


def intact_prefix(window: bytes, mid_line: bool = False, line_limit: int = LINE_LIMIT) -> int:
    """How many bytes of a member's held output (`window`) to pass on when its checksum failed: up to
    the start of its first line that is not an entry (SPEC 1; blank lines are not lines), so every
    complete line before the damage comes through and none of the garbage after it. `mid_line`: the
    window starts inside a line whose start was passed on already; that rest of it is kept unjudged.
    A line is judged on its first `line_limit` bytes, as the reader cuts it."""
    pos = 0
    n = len(window)
    if mid_line:
        first = window.find(b"\n")
        if first < 0:
            return n
        pos = first + 1
    while pos < n:
        end = window.find(b"\n", pos)
        stop = n if end < 0 else end
        if end < 0:
            return pos  # the last line has no newline: its end never came
        line = window[pos : min(stop, pos + line_limit)].decode("utf-8", errors="replace")
        if line.strip() and not isinstance(parse_line(line), Entry):
            return pos
        pos = end + 1
    return n


def _is_check_failure(reason: str) -> bool:
    """A member's CRC-32 or length did not match (zlib: "incorrect data check", "incorrect length
    check"; isal: "Incorrect checksum found"): the fault is somewhere in the member, not here."""
    low = reason.lower()
    return "check" in low and "incorrect" in low


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


def _salvage(f: BinaryIO, member_start: int, fault_piece_start: int, delivered: int) -> Iterator[bytes]:
    """The bytes a damaged member inflates to before its fault, beyond the `delivered` already yielded.

    Rare path: re-inflates the member with zlib (isal has no byte-granular recovery), in large steps
    up to the piece that failed, then one compressed byte at a time so nothing before the fault is lost.
    """
    try:
        f.seek(member_start)
    except OSError:
        return
    d = zlib.decompressobj(wbits=_GZIP_WBITS)
    produced = 0
    pos = member_start
    try:
        while pos < fault_piece_start:
            block = f.read(min(_INPUT_PIECE, fault_piece_start - pos))
            if not block:
                return
            pos += len(block)
            # Counted, not kept: these bytes were yielded before. max_length bounds the memory.
            produced += len(d.decompress(block, _INPUT_PIECE))
            while d.unconsumed_tail:
                produced += len(d.decompress(d.unconsumed_tail, _INPUT_PIECE))
        window = f.read(_INPUT_PIECE * 2)
        for i in range(len(window)):
            out = d.decompress(window[i : i + 1])
            if not out:
                if d.eof:
                    return
                continue
            start = max(0, delivered - produced)
            produced += len(out)
            if start < len(out):
                yield out[start:]
            if d.eof:
                return
    except (zlib.error, OSError):
        return


def _zlib_reason(exc: BaseException) -> str:
    text = str(exc)
    # zlib's messages look like "Error -3 while decompressing data: invalid block type"
    return text.split(": ", 1)[1] if ": " in text else text or exc.__class__.__name__


def read_head(path: Path, n: int) -> tuple[bytes, bool]:
    """The first `n` bytes of a file's content (inflated when it is gzip, by its magic) and whether they
    are whole: False when the file could not be read or is damaged before `n` bytes (what came before
    the damage is still returned)."""
    out = bytearray()
    try:
        with open(path, "rb", buffering=0) as f:
            compressed = f.read(2) == GZIP_MAGIC
            f.seek(0)
            chunks = gzip_chunks(f, n) if compressed else plain_chunks(f, n, n)
            try:
                for data in chunks:
                    out += data
                    if len(out) >= n:
                        break
            except ReadDamage:
                return bytes(out[:n]), False
            finally:
                chunks.close()
    except OSError:
        return bytes(out[:n]), False
    return bytes(out[:n]), True


def gzip_intact(path: Path) -> bool:
    """True when a gzip file inflates to its end without a fault (every member's CRC and length
    checked): a reader that does not check them (DuckDB) may then be trusted with it."""
    try:
        with open(path, "rb", buffering=0) as f:
            for _data in gzip_chunks(f, _INTEGRITY_CHUNK):
                pass
    except (OSError, ReadDamage):
        return False
    return True


def read_batches(
    path: Path,
    warnings: list[SourceWarning],
    line_limit: int = LINE_LIMIT,
    chunk_size: int = CHUNK_SIZE,
    archive: bool | None = None,
    max_bytes: int | None = None,
    *,
    hold_open: bool = True,
    stream: bool = False,
    start: int = 0,
    start_line: int = 0,
) -> Iterator[Batch]:
    """Yield (lines, cut) batches for one file; problems become SourceWarnings, never exceptions.

    `lines` are decoded without their newline (a trailing CR may stay: the parser drops it); `cut`
    holds the indexes of the lines that were longer than `line_limit` bytes and were cut to it.
    `archive` says whether an empty file deserves an "empty archive" warning; None infers it (gzip by
    its magic, or a name ending in .gz). `max_bytes`: read a plain file only up to that offset (the
    live file's history, when a follower takes over from there). `hold_open=False`: no descriptor held
    between reads (many files read at once). `stream`: standard input or a FIFO, read once to its end.
    `start`: where in a plain file to begin (the first byte of a line; `max_bytes` still counts from
    the file's start): a tail read without the lines before it. `start_line`: the lines before the
    bytes read (a plain file's), so that warnings name lines of the whole file.
    """
    return cast(
        Iterator[Batch],
        _read(
            path,
            warnings,
            line_limit,
            chunk_size,
            archive,
            max_bytes,
            raw=False,
            hold_open=hold_open,
            stream=stream,
            start=start,
            start_line=start_line,
        ),
    )


def _read(
    path: Path,
    warnings: list[SourceWarning],
    line_limit: int,
    chunk_size: int,
    archive: bool | None,
    max_bytes: int | None,
    raw: bool,
    hold_open: bool = True,
    stream: bool = False,
    start: int = 0,
    hold: int = ARCHIVE_HOLD,
    start_line: int = 0,
) -> Iterator[Batch | RawBatch]:
    name = str(path)
    f: Any
    try:
        if stream:
            f = open_stream(path)
            max_bytes = None
        elif hold_open:
            f = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by the `with` below; failing to open is a warning
        else:
            f = _Reopening(path)
    except OSError as exc:
        warnings.append(SourceWarning(name, f"{CANNOT_READ} {_strerror(exc)}"))
        return
    with f:
        try:
            magic = f.read(2)
            if stream:
                f = _Prefixed(magic, f)
            else:
                f.seek(0)
        except OSError as exc:
            warnings.append(SourceWarning(name, f"{CANNOT_READ} {_strerror(exc)}"))
            return
        compressed = magic == GZIP_MAGIC
        if start_line and (compressed or stream):
            # Lines counted from a byte offset that a compressed file or a stream cannot start at.
            raise ValueError(f"{name}: a start line in a compressed file or a stream")
        if start and not compressed and not stream:
            try:
                f.seek(start)
            except OSError as exc:
                warnings.append(SourceWarning(name, f"{CANNOT_READ} {_strerror(exc)}"))
                return
            if max_bytes is not None:
                max_bytes = max(0, max_bytes - start)
        if archive is None:
            archive = compressed or path.name.endswith(".gz")
        chunks = gzip_chunks(f, chunk_size, hold) if compressed else plain_chunks(f, chunk_size, max_bytes)
        splitter = LineSplitter(name, warnings, line_limit)
        splitter.lines = start_line  # the lines before `start`: warnings name lines of the whole file
        feed = splitter.feed_raw if raw else splitter.feed
        try:
            for data in chunks:
                batch = feed(data)
                if batch is not None:
                    yield batch
        except ReadDamage as damage:
            # The partial line at the fault is dropped: its end never arrived.
            splitter.finish_cut_warnings()
            warnings.append(SourceWarning(name, damage.message(splitter.lines)))
            return
        last = splitter.close()
        if last is not None:
            yield last
        if archive and splitter.total_bytes == 0:
            warnings.append(SourceWarning(name, "empty archive"))


def read_raw_batches(
    path: Path,
    warnings: list[SourceWarning],
    line_limit: int = LINE_LIMIT,
    *,
    archive: bool | None = None,
    max_bytes: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    stream: bool = False,
    hold: int = ARCHIVE_HOLD,
    start: int = 0,
    start_line: int = 0,
) -> Iterator[Batch | RawBatch]:
    """read_batches for the fast path: blocks of complete lines undecoded with their line count
    (bytes, n) where no line is over the limit, decoded (lines, cut) batches otherwise; inflated and
    split in a helper thread (isal and the C line counter release the GIL: two cores share the work).
    Warnings are handed over with the batch they came with, so their order is the sequential reading's.
    `start` and `start_line`: a plain file read from that byte (the first of line `start_line` + 1),
    `max_bytes` still counting from the file's start. Closing the iterator stops the thread."""
    q: queue.Queue[tuple[Batch | RawBatch | BaseException | None, list[SourceWarning]]] = queue.Queue(
        maxsize=_QUEUED_BATCHES
    )
    stop = threading.Event()

    def produce() -> None:
        mine: list[SourceWarning] = []
        try:
            for batch in _read(
                path,
                mine,
                line_limit,
                chunk_size,
                archive,
                max_bytes,
                raw=True,
                stream=stream,
                hold=hold,
                start=start,
                start_line=start_line,
            ):
                w = mine[:]
                mine.clear()
                if not hand((batch, w)):
                    return
            hand((None, mine[:]))
        except BaseException as exc:  # handed to the consumer, raised there
            hand((exc, []))

    def hand(item: tuple[Batch | RawBatch | BaseException | None, list[SourceWarning]]) -> bool:
        """Queue `item` for the consumer unless it stopped meanwhile (its close() waits for this
        thread: a put that waited on a full queue nobody reads any more hung it for good)."""
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    worker = threading.Thread(target=produce, name="execlog-inflate", daemon=True)
    worker.start()
    try:
        while True:
            item, w = q.get()
            warnings.extend(w)
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


CANNOT_READ = "cannot read:"  # a file that could not be read at all
_READ_ERROR = "read error after line"  # ReadDamage("read"): the rest of the file could not be read


def read_failed(warning: SourceWarning) -> bool:
    """True for a warning that says input was not read (the file, or its rest): not a damaged archive or
    a cut line, which are the input's faults, but ours to report with a failing exit status."""
    return warning.message.startswith((CANNOT_READ, _READ_ERROR))


def _strerror(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def peek_first_timestamp(path: Path, max_bytes: int = PEEK_BYTES) -> int | None:
    """Epoch ms of the first entry in the first `max_bytes` (inflated) of a file; None when none.

    Bounded by bytes, newlines included: a file of blank lines (a gzip bomb of newlines) is not read to
    its end line by line (it was: blank lines have no length). A line the bound cuts is not looked at."""
    head, _whole = read_head(path, max_bytes + 1)
    lines = head.split(b"\n")
    if len(head) > max_bytes:
        lines.pop()  # unfinished at the bound (or the byte past it)
    for raw in lines:
        if not raw.strip():
            continue
        item = parse_line(raw.decode("utf-8", errors="replace"))
        if isinstance(item, Entry):
            return item.ts
    return None
