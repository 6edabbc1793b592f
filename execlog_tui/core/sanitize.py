"""Make untrusted log text inert: control, escape and C1 characters become visible `\\xNN` text."""

from __future__ import annotations

import re

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
