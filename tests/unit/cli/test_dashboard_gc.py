"""The dashboard collects no garbage from its start to its first frame (cli.run_dashboard): however it
ends, even refused before it started, the process collects garbage again afterwards."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from execlog_tui.cli import main


def test_a_dashboard_refused_at_its_start_leaves_the_collector_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gc.isenabled()
    code = main(["--refresh", "100", str(tmp_path / "execution.log")])
    assert code != 0
    assert "--refresh must be between" in capsys.readouterr().err
    assert gc.isenabled()
