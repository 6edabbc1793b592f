"""Make untrusted log text inert: control, escape and C1 characters become visible `\\xNN` text."""

from __future__ import annotations

import re
import sys
from typing import IO

# C0 controls (tab included: it would move the cursor), DEL, C1 controls, and the Unicode
# bidirectional overrides that can reorder what a reader sees (Trojan Source).
_UNSAFE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def sanitize(text: str) -> str:
    """Return `text` with every character that a terminal would act on shown as an escape code.

    The result contains no ESC, no C1 and no other control characters, so writing it to a terminal
    cannot change the title, colours, clipboard (OSC 52) or links (OSC 8). Markup is untouched here:
    the dashboard never parses log text as markup, it always builds `rich.text.Text` objects directly.
    """
    if _UNSAFE_RE.search(text) is None:
        return text  # the common case: no copy
    return _UNSAFE_RE.sub(_visible, text)


def one_line(text: str) -> str:
    """A message for the terminal: its lines joined by one space (a database's multi-line message stays one
    line), every other control character shown as a visible escape (`sanitize`)."""
    return sanitize(" ".join(part.strip() for part in text.splitlines() if part.strip()))


def print_message(text: str, file: IO[str] | None = None) -> None:
    """Write one message line (default: on stderr), made inert by `one_line`: every message the program
    prints for a person (errors, warnings; database, configuration and file-system texts inside them)
    goes through here, so none can carry an escape sequence to the terminal. A closed stream is ignored."""
    stream = sys.stderr if file is None else file
    try:
        stream.write(one_line(text) + "\n")
        stream.flush()
    except (OSError, ValueError):  # the reader went away (a closed pipe): nothing left to tell
        pass
