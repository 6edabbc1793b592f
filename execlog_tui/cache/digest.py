"""Quick checks of bytes read again on every warm run: a live file's kept prefix and the store's large files.

A warm run reads again what it must not trust blindly: the live file's first bytes (a kept state or copy is
used only when they are still those it was made from) and the columnar copies (a truncated or damaged copy
is rebuilt). SHA-256 over them cost a warm query on the bench set ~0.2 s of CPU (100 MB of live file and
42 MB of copies at ~0.95 GB/s with SHA-NI); isal's CRC-32 runs at ~9.5 GB/s.

`PrefixDigest` (what a live prefix is compared by): a SHA-256 of the first MiB (a file rewritten or
truncated and refilled starts differently: its first lines' timestamps), the length, and a CRC-32 of each
following MiB. A change confined to later blocks goes unnoticed only if every changed block keeps its CRC
(about 2^-32 per block for a change that is not crafted to do so; crafting one needs write access to the
log, which can then write anything). `file_checksum` (the copies): size and CRC-32 of the whole file,
against truncation and damage on disk; the store is private (0700, files 0600), so its files are not
checked against a forger.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
from array import array
from pathlib import Path

from isal import isal_zlib

BLOCK = 1 << 20
_FORMAT = b"execlog-prefix-digest-1\0"


class PrefixDigest:
    """Fed bytes in order, like hashlib's objects (`update`, `copy`, `hexdigest`); see the module's note."""

    __slots__ = ("_blocks", "_crc", "_fill", "_head", "_length")

    def __init__(self) -> None:
        self._head = hashlib.sha256()  # the first BLOCK bytes
        self._blocks = array("I")  # the CRC-32 of each complete block after the first
        self._crc = 0  # of the current block's bytes so far
        self._fill = 0  # bytes in the current block
        self._length = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        pos, n = 0, len(view)
        while pos < n:
            take = min(n - pos, BLOCK - self._fill)
            part = view[pos : pos + take]
            if self._length < BLOCK:
                self._head.update(part)
            else:
                self._crc = isal_zlib.crc32(part, self._crc)
            self._fill += take
            self._length += take
            pos += take
            if self._fill == BLOCK:
                if self._length > BLOCK:
                    self._blocks.append(self._crc)
                self._crc = self._fill = 0

    def copy(self) -> PrefixDigest:
        other = PrefixDigest.__new__(PrefixDigest)
        other._head = self._head.copy()
        other._blocks = array("I", self._blocks)
        other._crc, other._fill, other._length = self._crc, self._fill, self._length
        return other

    def hexdigest(self) -> str:
        h = hashlib.sha256(_FORMAT)
        h.update(struct.pack("<QQI", self._length, self._fill, self._crc))
        h.update(self._head.digest())
        h.update(self._blocks.tobytes())
        return h.hexdigest()


def feed(f: io.BufferedReader, h: PrefixDigest, size: int) -> bool:
    """Feed the next `size` bytes of the open file `f` to `h`; False when the file ends first. OSError as
    the file gives it. (Read into one buffer: a new bytes object per MiB costs more than the CRC.)"""
    buf = bytearray(min(BLOCK, max(size, 1)))
    view = memoryview(buf)
    left = size
    while left > 0:
        n = f.readinto(view[: min(len(buf), left)])
        if not n:
            return False
        h.update(view[:n])
        left -= n
    return True


def file_checksum(path: Path) -> tuple[int, str] | None:
    """The size and CRC-32 (8 hex digits) of the file at `path`; None when it cannot be read."""
    try:
        with open(path, "rb") as f:
            crc = 0
            buf = bytearray(BLOCK)
            view = memoryview(buf)
            while n := f.readinto(buf):
                crc = isal_zlib.crc32(view[:n], crc)
            return os.fstat(f.fileno()).st_size, f"{crc:08x}"
    except OSError:
        return None
