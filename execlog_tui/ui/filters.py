"""The log view's filter and search expressions: component, status, level, text or regular expression."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from execlog_tui.core.entry import Entry, ParseError

LEVEL_ORDER = {"DEBUG": 0, "INFO": 1, "WARNING": 2, "ERROR": 3, "CRITICAL": 4}
# Status codes are not levels, but a level filter should still keep a FAILURE when asked for errors.
STATUS_LEVEL = {
    "SUCCESS": 1,
    "SKIPPED": 1,
    "DEGRADED": 2,
    "RETRY": 2,
    "FAILURE": 3,
    "TIMEOUT": 3,
}
PARSE_ERROR_LEVEL = 3  # a line that is not an entry is an anomaly worth an ERROR filter's attention

FILTER_HELP = (
    "words: text (any case) · re:PATTERN regex (rest of line) · c:API,CACHE component · "
    "s:FAILURE status · l:WARNING level and above · empty: clear"
)


class FilterError(ValueError):
    """A filter or search the user typed that cannot be used (one line, shown in the UI)."""


def line_level(line: Entry | ParseError) -> int:
    if isinstance(line, ParseError):
        return PARSE_ERROR_LEVEL
    return LEVEL_ORDER.get(line.status, STATUS_LEVEL.get(line.status, 1))


class Match(Protocol):
    def start(self) -> int: ...
    def end(self) -> int: ...


class Pattern(Protocol):
    """What a matcher needs of a compiled expression: Python's re.Pattern and RE2's both fit."""

    def search(self, text: str) -> Match | None: ...
    def finditer(self, text: str) -> Iterator[Match]: ...


# RE2 (google-re2) runs `re:` patterns: linear in the line's length whatever the pattern, so a pattern
# like (A+A+)+B cannot freeze the UI over a 64 KiB line, as Python's backtracking engine did (50+ s).
# It refuses backreferences and lookaround, which cannot be matched in linear time. Imported with the
# first `re:` pattern: the dashboard's start does without its 2.5 MB (the library and libstdc++).
@cache
def _re2() -> tuple[Any, Any]:
    """The re2 module and its options."""
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print its own error on stderr, which is the dashboard's terminal
    return re2, options


def compile_regex(body: str) -> Pattern:
    """A user's regular expression, for the linear-time engine; FilterError (one line) when it cannot be used."""
    re2, options = _re2()
    try:
        return _Re2Pattern(re2.compile(body, options=options))
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        hint = ""
        try:
            re.compile(body)
            # Valid for Python's engine, refused by RE2: what only a backtracking engine can do.
            hint = " (backreferences and lookaround are not supported: matching must stay linear in time)"
        except re.error:
            pass
        raise FilterError(f"bad regular expression {body!r}: {reason}{hint}") from None


class _Re2Pattern:
    """RE2's pattern over str; text RE2 cannot encode (a lone surrogate) is searched with it replaced,
    one character for one, so the offsets stay the text's own."""

    __slots__ = ("_p",)

    def __init__(self, compiled: Any) -> None:
        self._p = compiled

    def search(self, text: str) -> Match | None:
        try:
            return self._p.search(text)
        except UnicodeEncodeError:
            return self._p.search(_encodable(text))

    def finditer(self, text: str) -> Iterator[Match]:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = _encodable(text)
        return self._p.finditer(text)


def _encodable(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


@dataclass(frozen=True, slots=True)
class TextMatcher:
    """A case-insensitive substring, or a regular expression as written after `re:` (run by RE2)."""

    source: str
    pattern: Pattern

    @classmethod
    def parse(cls, spec: str) -> TextMatcher | None:
        spec = spec.strip()
        if not spec:
            return None
        if spec.startswith("re:"):
            body = spec[3:].strip()
            if not body:
                raise FilterError("re: needs a regular expression after it")
            return cls(spec, compile_regex(body))
        return cls(spec, re.compile(re.escape(spec), re.IGNORECASE))

    def search(self, text: str) -> Match | None:
        return self.pattern.search(text)

    def spans(self, text: str, limit: int = 50) -> list[tuple[int, int]]:
        out = []
        for m in self.pattern.finditer(text):
            if m.end() > m.start():
                out.append((m.start(), m.end()))
            if len(out) >= limit:
                break
        return out


@dataclass(frozen=True, slots=True)
class LineFilter:
    components: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    min_level: str | None = None
    text: TextMatcher | None = None
    source: str = ""

    @property
    def active(self) -> bool:
        return bool(self.components or self.statuses or self.min_level or self.text)

    def matches(self, line: Entry | ParseError, shown: str) -> bool:
        """`shown` is the line as displayed (sanitised), which is what text and regex look at."""
        if isinstance(line, ParseError):
            if self.components or self.statuses:
                return False
        else:
            if self.components and line.component not in self.components:
                return False
            if self.statuses and line.status not in self.statuses:
                return False
        if self.min_level is not None and line_level(line) < LEVEL_ORDER[self.min_level]:
            return False
        return self.text is None or self.text.search(shown) is not None

    @classmethod
    def parse(cls, spec: str) -> LineFilter:
        spec = spec.strip()
        regex_part = ""
        # `re:` takes the rest of the line, so a pattern may hold spaces and colons.
        m = re.search(r"(?:^|\s)re:", spec)
        if m is not None:
            regex_part = spec[m.end() - 3 :]
            spec = spec[: m.start()]
        components: set[str] = set()
        statuses: set[str] = set()
        min_level: str | None = None
        words: list[str] = []
        for token in spec.split():
            key, sep, value = token.partition(":")
            key = key.lower()
            if sep and key in ("c", "comp", "component"):
                components.update(_names(value, token))
            elif sep and key in ("s", "status"):
                statuses.update(_names(value, token))
            elif sep and key in ("l", "level"):
                level = value.upper()
                if level not in LEVEL_ORDER:
                    raise FilterError(f"{token!r}: level must be one of {', '.join(LEVEL_ORDER)}")
                min_level = level
            else:
                words.append(token)
        if regex_part and words:
            raise FilterError("use either words or re:PATTERN, not both")
        text = TextMatcher.parse(regex_part or " ".join(words))
        return cls(
            frozenset(components), frozenset(statuses), min_level, text, " ".join([spec.strip(), regex_part]).strip()
        )


def _names(value: str, token: str) -> list[str]:
    names = [v.strip().upper() for v in value.split(",") if v.strip()]
    if not names:
        raise FilterError(f"{token!r}: give at least one name after the colon")
    return names
