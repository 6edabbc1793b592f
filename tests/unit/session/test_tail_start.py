"""The history's tail of a plain live file is found from its end (pipeline._fill_tail): the last n lines
and their line numbers, whatever n and wherever the 1 MiB blocks it reads backwards fall."""

from __future__ import annotations

import random
from collections import deque
from pathlib import Path

import pytest

from execlog_tui.core.config import Config
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.core.timefmt import format_ts
from execlog_tui.pipeline import read_history
from execlog_tui.sources.logset import discover

T0 = 1_757_412_000_000


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A 3.5 MB live file (several blocks) of lines of uneven length."""
    rng = random.Random(11)
    lines = [
        f"{format_ts(T0 + i * 10)}|API|CALL|{rng.randint(0, 900)}|SUCCESS|{'x' * rng.choice((0, 5, 80, 400))}"
        for i in range(30_000)
    ]
    d = tmp_path_factory.mktemp("tail")
    (d / "execution.log").write_text("\n".join(lines) + "\n")
    return d / "execution.log", lines


@pytest.mark.parametrize("n", [1, 2, 7, 9_000, 9_500, 10_000, 12_345, 20_000, 29_999, 30_000, 30_001, 100_000])
def test_the_tail_is_the_last_n_lines_with_their_numbers(live: tuple[Path, list[str]], n: int) -> None:
    path, lines = live
    tail: deque[str] = deque(maxlen=n)
    result = read_history(discover([str(path)]), MetricsEngine(Config(), wall_ms=T0 + 86_400_000), tail=tail)
    want = lines[-n:]
    assert list(tail) == want
    assert result.tail_origins == [(str(path), len(lines) - len(want) + 1, len(want))]
