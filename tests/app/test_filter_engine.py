"""Filters and searches never block the UI: `re:` runs on a linear-time engine (RE2), with the same meaning."""

from __future__ import annotations

import asyncio
import time

import pytest

from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.parser import parse_line
from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.app import make_app
from execlog_tui.ui.filters import FilterError, LineFilter, TextMatcher
from execlog_tui.ui.logview import LogView
from execlog_tui.ui.prompt import PromptBar

# The pattern of issue 13 item 11: Python's backtracking engine took 50+ s on it over one 64 KiB line.
PATHOLOGICAL = "re:(A+A+)+B"
DEADLINE_S = 10.0  # generous for a loaded machine; the backtracking engine needed 50+ s


def _lines_with_a_64k_line() -> list[Entry | ParseError]:
    raw = "2025-09-09T10:04:29.000Z|API|CALL|5|SUCCESS|" + "A" * (64 * 1024 - 44)
    big = parse_line(raw)
    assert isinstance(big, Entry) and len(raw) == 64 * 1024
    return [*sc.seed_lines(), big]


@pytest.mark.parametrize("key", ["f", "slash"])
def test_pathological_regex_over_a_64k_line_keeps_the_app_responding(key: str) -> None:
    async def scenario() -> float:
        app = make_app(sc.session_for(sc.base_snapshot(), _lines_with_a_64k_line()), rss_probe=lambda: 42.0)
        async with app.run_test(size=(100, 30)) as pilot:
            log = app.query_one(LogView)
            await pilot.press(key)
            prompt = app.query_one(PromptBar)
            prompt.query_one("Input").value = PATHOLOGICAL
            started = time.monotonic()
            await pilot.press("enter")
            await pilot.pause()
            if key == "f":
                assert log.shown_count == 0  # nothing holds a B: the filter keeps no line
            else:
                assert log.current is None  # no match
            await pilot.press("q")
            return time.monotonic() - started

    took = asyncio.run(asyncio.wait_for(scenario(), timeout=60))
    assert took < DEADLINE_S, f"the UI was blocked {took:.1f} s by a regular expression"


def test_regex_semantics_kept() -> None:
    m = TextMatcher.parse("re:user=u[13] op:x")  # spaces and colons belong to the pattern
    assert m is not None and m.search("a user=u3 op:x b") is not None and m.search("user=u2 op:x") is None
    # offsets are characters, not UTF-8 bytes: highlights land on the right cells
    m = TextMatcher.parse("re:é+")
    assert m is not None and m.spans("日aéé b é") == [(2, 4), (7, 8)]
    m = TextMatcher.parse("re:(?i)fail(ure)?")
    assert m is not None and m.spans("FAILURE then fail") == [(0, 7), (13, 17)]
    # words: any case, literally (regex characters are text)
    m = TextMatcher.parse("a.b")
    assert m is not None and m.search("xA.By") is not None and m.search("axb") is None
    # a lone surrogate cannot be encoded for RE2: searched all the same, offsets kept
    m = TextMatcher.parse("re:b")
    assert m is not None and m.spans("a\udcffbb") == [(2, 3), (3, 4)]
    f = LineFilter.parse("c:api,cache s:failure l:warning")
    assert f.components == {"API", "CACHE"} and f.statuses == {"FAILURE"} and f.min_level == "WARNING"
    f = LineFilter.parse("c:API re:CIRCUIT_(OPEN|TEST)")
    assert f.components == {"API"} and f.text is not None and f.text.search("x CIRCUIT_TEST") is not None


@pytest.mark.parametrize("pattern", ["(a)\\1", "(?<=a)b", "(?!x)y"])
def test_backtracking_only_patterns_are_refused_with_one_line(pattern: str, capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(FilterError) as err:
        TextMatcher.parse("re:" + pattern)
    text = str(err.value)
    assert "\n" not in text and "not supported" in text
    out, errout = capfd.readouterr()
    assert out == "" and errout == ""  # RE2 logs nothing of its own onto the terminal


def test_bad_regex_message_is_one_line(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(FilterError) as err:
        TextMatcher.parse("re:([")
    assert "bad regular expression" in str(err.value) and "\n" not in str(err.value)
    assert capfd.readouterr() == ("", "")
