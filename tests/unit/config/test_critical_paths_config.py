"""SPEC 10 / 8: CRITICAL_PATHS read as a schema; a bad value is refused with file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from execlog_tui.core.config import default_critical_paths
from execlog_tui.core.config_file import ConfigError, example_config_text, load_config


def load(tmp_path: Path, text: str):  # noqa: ANN201
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return load_config(p)


def test_the_example_and_the_defaults_agree(tmp_path: Path) -> None:
    paths = load(tmp_path, example_config_text()).critical_paths
    assert paths == default_critical_paths()
    assert [(p.name, p.component, p.timeout_ms) for p in paths] == [
        ("bootstrap", "BOOTSTRAP", 30_000),
        ("cache_operations", "CACHE", None),
        ("memory_learning", "MEMORY", None),
    ]
    assert paths[1].checkpoints[1].actions == ("HIT", "MISS")
    assert paths[0].checkpoints[3].actions == ("VALIDATION", "VALIDATE")


def test_a_configured_path_replaces_the_defaults(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """CRITICAL_PATHS:
  deploy:
    - component: api
      timeout: 2 minutes
      checkpoints:
        - Begin: "first"
        - END
""",
    )
    (p,) = config.critical_paths
    assert (p.name, p.component, p.timeout_ms) == ("deploy", "API", 120_000)
    assert [(c.name, c.description, c.actions) for c in p.checkpoints] == [
        ("Begin", "first", ("BEGIN",)),  # reported under its configured name, matched in upper case
        ("END", "", ("END",)),
    ]


def test_empty_means_none_and_null_keeps_the_defaults(tmp_path: Path) -> None:
    assert load(tmp_path, "CRITICAL_PATHS: {}\n").critical_paths == ()
    assert load(tmp_path, "CRITICAL_PATHS:\n").critical_paths == default_critical_paths()


@pytest.mark.parametrize(
    ("body", "line", "key", "words"),
    [
        (
            "  p:\n    - component: A\n      checkpoints: [S]\n      timeout: soon\n",
            5,
            "CRITICAL_PATHS.p[0].timeout",
            "duration",
        ),
        (
            "  p:\n    - component: A\n      checkpoints: [S]\n      timeout: 0 seconds\n",
            5,
            "CRITICAL_PATHS.p[0].timeout",
            "above zero",
        ),
        ("  p:\n    - checkpoints: [S]\n", 3, "CRITICAL_PATHS.p[0].component", "missing"),
        ("  p:\n    - component: A\n", 3, "CRITICAL_PATHS.p[0].checkpoints", "missing"),
        ("  p:\n    - component: A B\n      checkpoints: [S]\n", 3, "CRITICAL_PATHS.p[0].component", "without spaces"),
        ("  p:\n    - component: A\n      checkpoints: []\n", 4, "CRITICAL_PATHS.p[0].checkpoints", "at least one"),
        (
            "  p:\n    - component: A\n      checkpoints: [S]\n    - component: B\n      checkpoints: [T]\n",
            3,
            "CRITICAL_PATHS.p",
            "one step",
        ),
        (
            "  p:\n    - component: A\n      checkpoints: [VALIDATE, VALIDATION]\n",
            4,
            "CRITICAL_PATHS.p[0].checkpoints[1]",
            "same entries",
        ),
        (
            "  p:\n    - component: A\n      checkpoints: [S]\n      timeot: 1 second\n",
            5,
            "CRITICAL_PATHS.p[0].timeot",
            "did you mean timeout",
        ),
        (
            "  p:\n    - component: A\n      checkpoints:\n        - {S: a, T: b}\n",
            5,
            "CRITICAL_PATHS.p[0].checkpoints[0]",
            "one checkpoint",
        ),
    ],
)
def test_bad_values_name_the_line_and_key(tmp_path: Path, body: str, line: int, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as e:
        load(tmp_path, "CRITICAL_PATHS:\n" + body)
    assert e.value.key == key
    assert e.value.line == line
    assert words in e.value.message
