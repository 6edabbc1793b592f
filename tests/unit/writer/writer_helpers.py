"""Reading back what the writer produced, the way SPEC section 2 tells a reader to (no writer code used)."""

from __future__ import annotations

import gzip
import os
import re

from execlog_tui.core.entry import Entry
from execlog_tui.core.parser import parse_line


def members(path: str) -> list[str]:
    """The set's files, oldest first: `NAME.K` preferred to `NAME.K.gz`, the live file last."""
    directory, base = os.path.split(path)
    pattern = re.compile(re.escape(base) + r"\.([0-9]+)(\.gz)?")
    found: dict[int, set[bool]] = {}
    for name in os.listdir(directory):
        m = pattern.fullmatch(name)
        if m:
            found.setdefault(int(m.group(1)), set()).add(bool(m.group(2)))
    out = []
    for index in sorted(found, reverse=True):
        gz = False not in found[index]
        out.append(f"{path}.{index}" + (".gz" if gz else ""))
    if os.path.exists(path):
        out.append(path)
    return out


def read_member(name: str) -> bytes:
    with open(name, "rb") as fh:
        data = fh.read()
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)  # raises on a damaged or truncated archive
    return data


def read_lines(path: str) -> list[tuple[str, str]]:
    """(member, line) for every line of the set, in reading order."""
    out = []
    for name in members(path):
        for line in read_member(name).decode("utf-8").splitlines():
            out.append((name, line))
    return out


def entries(path: str) -> list[Entry]:
    """Every line parsed; fails the test on a line that is not an entry (torn or interleaved)."""
    result = []
    for name, line in read_lines(path):
        parsed = parse_line(line)
        assert isinstance(parsed, Entry), f"not an entry in {name}: {line[:200]!r}"
        result.append(parsed)
    return result


def archive_names(path: str) -> list[str]:
    directory, base = os.path.split(path)
    return sorted(n for n in os.listdir(directory) if n.startswith(base + ".") and n != base + ".lock")
