"""Discovering log sets (SPEC section 2): a live file and its rotated archives, in reading order."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from execlog_tui.sources.reader import STDIN, is_stream_path, peek_first_timestamp

DEFAULT_NAME = "execution.log"

# NAME.K, NAME.K.gz (numbered) and NAME-D, NAME-D.gz (logrotate's dateext). The base is lazy so that
# the digits group takes the whole numeric suffix.
_ROTATED_RE = re.compile(r"(?P<base>.+?)(?:\.(?P<k>[0-9]+)|-(?P<d>[0-9]+))(?P<gz>\.gz)?")
# Names editors, rotators and downloaders use for work in progress: never members, never set names.
_TEMP_SUFFIXES = (".tmp", ".temp", ".lock", ".partial", ".part", ".swp", ".swo", ".swx", ".bak", "~")


class SourceError(Exception):
    """A path argument that names nothing readable: one line, shown as is."""


@dataclass(frozen=True, slots=True)
class Member:
    """One file of a log set."""

    path: Path
    live: bool  # the live file NAME, read last
    rotation: int | None  # K of NAME.K[.gz]; the digits of NAME-D[.gz]; None for the live file
    first_ts: int | None  # epoch ms of the first entry, None when it has none or cannot be read
    # Standard input or a FIFO: read once from its start to its end, never peeked, sought, reopened,
    # rotated or handed over by inode (see `is_stream_path`, the one place that decides it).
    stream: bool = False

    @property
    def dateext(self) -> bool:
        r = None if self.live else parse_rotated(self.path.name)
        return r is not None and r.dateext


@dataclass(frozen=True, slots=True)
class LogSet:
    """A live file NAME and its rotated predecessors in one directory, in reading order."""

    directory: Path
    name: str
    members: tuple[Member, ...]

    @property
    def live(self) -> Path:
        """Where the live file is (or will be): the path a follower watches."""
        return self.directory / self.name

    @property
    def stream(self) -> bool:
        """The live member is a stream (standard input, a FIFO)."""
        return any(m.stream for m in self.members if m.live)

    @property
    def archives(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if not m.live)


@dataclass(frozen=True, slots=True)
class RotatedName:
    """A file name read as a rotated member of the set `base` (the one grammar of SPEC section 2)."""

    base: str
    rotation: int  # K of NAME.K[.gz], the digits of NAME-D[.gz]
    dateext: bool  # NAME-D[.gz]
    gz: bool  # ends in .gz (the content is told gzip by its magic bytes, not by this)

    @property
    def age(self) -> tuple[int, int]:
        """Sorts rotations oldest first: dateext names before numbered ones, older dates first, and
        for numbered names the higher K first."""
        return (0, self.rotation) if self.dateext else (1, -self.rotation)


def is_temporary(name: str) -> bool:
    """Work in progress of an editor, rotator or downloader: never a member, never a set name."""
    return name.startswith(".") or name.endswith(_TEMP_SUFFIXES)


def parse_rotated(name: str) -> RotatedName | None:
    """How a file name reads as a rotated member, or None when it is not one."""
    m = _ROTATED_RE.fullmatch(name)
    if m is None or is_temporary(m.group("base")):
        return None
    digits = m.group("k") if m.group("k") is not None else m.group("d")
    return RotatedName(m.group("base"), int(digits), m.group("d") is not None, m.group("gz") is not None)


def rotated_member(name: str, base: str) -> RotatedName | None:
    """`name` read as a rotated member of the set of `base`, or None when it is not one."""
    r = parse_rotated(name)
    return r if r is not None and r.base == base else None


RotatedIndex = dict[str, list[tuple[str, RotatedName]]]


def index_rotated(names: Sequence[str]) -> RotatedIndex:
    """A directory listing's rotated names by the base they rotate (each name parsed once): finding
    the members of every set in a directory of thousands is then linear, not quadratic."""
    index: RotatedIndex = {}
    for n in names:
        r = parse_rotated(n)
        if r is not None:
            index.setdefault(r.base, []).append((n, r))
    return index


def discover(paths: Sequence[str | Path], default_name: str = DEFAULT_NAME) -> list[LogSet]:
    """The log sets named by path arguments (files or directories), each once, in argument order.

    A directory without any set gives the (empty) set of `default_name`, which a follower can wait
    for; a path that does not exist raises SourceError unless it belongs to a set that has members.
    """
    sets: list[LogSet] = []
    seen: set[tuple[str, str]] = set()
    listings: dict[Path, tuple[list[str], RotatedIndex]] = {}  # one listing per directory
    for raw in paths:
        if os.fspath(raw) == STDIN:
            if ("", STDIN) not in seen:  # `-` twice is one standard input
                seen.add(("", STDIN))
                sets.append(LogSet(Path("."), STDIN, (Member(Path(STDIN), True, None, None, stream=True),)))
            continue
        for directory, name in _set_names(Path(raw), default_name):
            key = (os.path.realpath(directory), name)
            if key in seen:
                continue
            seen.add(key)
            if directory not in listings:
                try:
                    names = _list(directory) if directory.is_dir() else []
                except SourceError:
                    names = []
                listings[directory] = (names, index_rotated(names))
            sets.append(build_set(directory, name, listing=listings[directory]))
    return sets


def _set_names(path: Path, default_name: str) -> list[tuple[Path, str]]:
    if path.is_dir():
        names = _list(path)
        if _members_of(names, default_name):
            return [(path, default_name)]
        found = _sets_in(names)
        return [(path, n) for n in found] or [(path, default_name)]
    directory = path.parent
    rotated = parse_rotated(path.name)
    name = rotated.base if rotated is not None else path.name
    if path.exists():
        return [(directory, name)]
    names = _list(directory) if directory.is_dir() else []
    if _members_of(names, name):
        return [(directory, name)]
    raise SourceError(f"no such file or directory: {path}")


def _list(directory: Path) -> list[str]:
    try:
        with os.scandir(directory) as it:
            return sorted(e.name for e in it if _is_file(e))
    except OSError as exc:
        raise SourceError(f"cannot list directory {directory}: {(exc.strerror or str(exc)).lower()}") from None


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()  # regular files and symlinks to them: a FIFO would block a reader
    except OSError:
        return False


def _peek(path: Path) -> int | None:
    # Only regular files are peeked: opening a FIFO named on the command line would block, and what
    # a peek read from it would be lost to the reader.
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
    except OSError:
        return None
    return peek_first_timestamp(path)


def _members_of(names: list[str], name: str, index: RotatedIndex | None = None) -> list[str]:
    """The file names among `names` that belong to the set of `name` (live first if present)."""
    found = [name] if name in names else []
    if index is not None:
        found.extend(n for n, _r in index.get(name, ()))
    else:
        found.extend(n for n in names if rotated_member(n, name) is not None)
    return found


def _sets_in(names: list[str]) -> list[str]:
    """Every set in a directory listing: bases with rotated members, and live files named *.log."""
    bases: set[str] = set()
    for n in names:
        r = parse_rotated(n)
        if r is not None and parse_rotated(r.base) is None:
            bases.add(r.base)
        elif r is None and n.endswith(".log") and not is_temporary(n):
            bases.add(n)
    return sorted(bases)


def build_set(directory: Path, name: str, *, listing: tuple[list[str], RotatedIndex] | None = None) -> LogSet:
    """Read the directory now (or use `listing`, its names and their index, taken just before) and order
    the members of the set `name` (peeking at first entries)."""
    index: RotatedIndex | None = None
    if listing is not None:
        names, index = listing
    else:
        try:
            names = _list(directory) if directory.is_dir() else []
        except SourceError:
            names = []  # an unlistable directory: only the live file, if it can be reached by name
    by_rotation: dict[tuple[int, int], tuple[str, bool]] = {}
    live: Member | None = None
    live_path = directory / name
    member_names = _members_of(names, name, index)
    if name not in names and live_path.exists() and not live_path.is_dir():
        member_names.insert(0, name)  # named on the command line though not a regular file (a FIFO)
    for n in member_names:
        if n == name:
            if is_stream_path(live_path):
                live = Member(live_path, True, None, None, stream=True)  # a FIFO: peeking would eat it
            else:
                live = Member(live_path, True, None, _peek(live_path))
            continue
        r = parse_rotated(n)
        assert r is not None
        key = r.age
        # NAME.K wins over NAME.K.gz: the .gz is being written (or was left half-written) by logrotate.
        if key not in by_rotation or by_rotation[key][1]:
            by_rotation[key] = (n, r.gz)
    archives = []
    for n, _gz in by_rotation.values():
        p = directory / n
        r = parse_rotated(n)
        assert r is not None
        archives.append(Member(p, False, r.rotation, _peek(p)))
    archives.sort(key=_reading_order)
    return LogSet(directory, name, tuple(archives) + ((live,) if live is not None else ()))


def _reading_order(m: Member) -> tuple[int, int, int]:
    # By first entry; members without one (empty, unreadable) first so their warnings come early.
    # Ties: the older rotation first: dateext names before numbered ones, older dates first, and
    # for numbered names the higher K first.
    ts = m.first_ts if m.first_ts is not None else -(1 << 62)
    r = parse_rotated(m.path.name)
    age = r.age if r is not None else (1, 0)
    return (ts, *age)


def member_bytes(member: Member) -> int:
    """The bytes of data a member holds: its size, or for a gzip archive the size its trailer gives
    (ISIZE, that of its last member modulo 4 GiB: taken when it is not below the file's own size, else
    an estimate of 7 times the compressed size). The history's progress counts these as lines arrive,
    so it moves with what is read, not by whole files."""
    try:
        size = member.path.stat().st_size
    except OSError:
        return 0
    if member.live or member.stream or size < 18:
        return size
    try:
        with open(member.path, "rb") as f:
            if f.read(2) != b"\x1f\x8b":
                return size
            f.seek(-4, os.SEEK_END)
            isize = int.from_bytes(f.read(4), "little")
    except OSError:
        return size
    return isize if isize >= size else 7 * size
