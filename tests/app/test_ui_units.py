"""Pure helpers of the dashboard: sanitising untrusted text, filter expressions, theme files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from execlog_tui.core.entry import Entry, ParseError
from execlog_tui.core.sanitize import sanitize
from execlog_tui.ui.filters import FilterError, LineFilter, TextMatcher
from execlog_tui.ui.themes import (
    BUILTIN_THEMES,
    ThemeError,
    load_theme_file,
    resolve_theme,
    shipped_theme_files,
)

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_sanitize_makes_escapes_visible() -> None:
    assert sanitize("a\x1b]0;T\x07b") == "a\\x1b]0;T\\x07b"
    assert sanitize("\x9b31m") == "\\x9b31m"
    assert sanitize("tab\there") == "tab\\x09here"
    assert sanitize("bidi \u202e evil") == "bidi \\u202e evil"
    plain = "plain text [@click=app.quit] ü 漢字"
    assert sanitize(plain) is plain  # nothing to do: no copy, markup untouched


@given(st.text())
def test_sanitize_leaves_no_control_character(text: str) -> None:
    out = sanitize(text)
    assert UNSAFE.search(out) is None
    if UNSAFE.search(text) is None:
        assert out == text


def _entry(comp: str, status: str, details: str = "x") -> Entry:
    raw = f"2025-09-09T10:00:00.000Z|{comp}|OP|1|{status}|{details}"
    return Entry(0, comp, "OP", 1.0, status, details, raw)


def test_filter_component_status_level_and_text() -> None:
    lines = [
        _entry("API", "SUCCESS", "hello"),
        _entry("CACHE", "FAILURE", "boom"),
        _entry("CACHE", "DEBUG", "Hello"),
        ParseError("garbage hello", "bad"),
    ]

    def shown(spec: str) -> list[int]:
        f = LineFilter.parse(spec)
        return [i for i, line in enumerate(lines) if f.matches(line, line.raw)]

    assert shown("") == [0, 1, 2, 3]
    assert shown("c:cache") == [1, 2]
    assert shown("component:API,CACHE s:FAILURE") == [1]
    assert shown("l:warning") == [1, 3]  # FAILURE counts as an error; a parse error too
    assert shown("hello") == [0, 2, 3]  # any case
    assert shown("re:^garbage") == [3]
    assert shown("re:[|]Hello$") == [2]  # regex as written: case matters
    assert shown("c:CACHE re:H.llo") == [2]
    assert not LineFilter.parse("").active and LineFilter.parse("x").active


@pytest.mark.parametrize("spec", ["re:([", "l:LOUD", "c:", "re:"])
def test_bad_filters_are_refused_with_a_message(spec: str) -> None:
    with pytest.raises(FilterError) as err:
        LineFilter.parse(spec)
    assert "\n" not in str(err.value) and str(err.value)


def test_search_matcher_spans() -> None:
    m = TextMatcher.parse("ab")
    assert m is not None and m.spans("xABxab") == [(1, 3), (4, 6)]
    assert TextMatcher.parse("  ") is None


@pytest.mark.parametrize("name", BUILTIN_THEMES)
def test_every_shipped_theme_loads_and_defines_bands(name: str) -> None:
    theme = resolve_theme(name)
    assert theme.name == f"execlog-{name}"
    assert {"band-optimal", "band-acceptable", "band-warning", "band-error"} <= set(theme.variables)


def test_the_package_ships_exactly_the_builtin_themes() -> None:
    # read as package resources, so an installed wheel has them (ui/themes/*.yaml in package-data)
    assert sorted(shipped_theme_files()) == sorted(BUILTIN_THEMES)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name: x\nprimary: '#zzzzzz'\n", "key 'primary': not a colour"),
        ("name: x\nprimary: '#123456'\nsparkle: 1\n", "unknown key 'sparkle'"),
        ("name: x\n", "key 'primary': required"),
        ("primary: '#123456'\n", "key 'name'"),
        ("name: x\nprimary: '#123456'\ndark: maybe\n", "key 'dark'"),
        ("name: x\nprimary: '#123456'\nvariables:\n  band-error: 12\n", "key 'variables.band-error'"),
        ("name: [x\n", "line"),
        ("- a\n- b\n", "expected a mapping"),
    ],
)
def test_bad_theme_files_give_one_line_naming_file_and_key(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(content)
    with pytest.raises(ThemeError) as err:
        load_theme_file(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message and expected in message


def test_theme_by_file_and_unknown_name(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("name: mine\nprimary: '#336699'\ndark: false\n")
    assert resolve_theme(str(path)).name == "mine"
    with pytest.raises(ThemeError, match="no theme named 'neon'"):
        resolve_theme("neon")
    with pytest.raises(ThemeError, match="cannot read"):
        resolve_theme(str(tmp_path / "missing.yaml"))
