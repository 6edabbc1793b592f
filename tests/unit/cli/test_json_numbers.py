"""SPEC 9 (revised): JSON numbers are not rounded (each is the shortest text that reads back as the
same float), and an alert's value is the figure compared. Through `-b --json` and `-b -d --json` on
real files, with the C fast path and without."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from execlog_tui.core.timefmt import format_ts
from tests.unit.cli.helpers import PATHS, ROOT, batch_json

SEED = ROOT / "sample_logs" / "seed_sample.log"


def test_the_seed_1d_rate_is_not_rounded() -> None:
    text, j = batch_json(str(SEED))
    rate = j["windows"]["1d"]["requests_per_second"]
    assert rate == 22 / 86400 == 0.00025462962962962963  # SPEC 9's own example; 4 decimals made it 0.0003
    # json writes the shortest text that reads back as the same float: 0.0002546296296296296.
    assert f'"requests_per_second": {22 / 86400!r}' in text


@pytest.mark.parametrize("env", PATHS)
def test_figures_are_the_exact_floats_and_the_alert_value_is_the_figure_compared(tmp_path: Path, env) -> None:
    log = tmp_path / "execution.log"
    lines = [
        "2025-09-09T10:00:00.100Z|API|CALL|1|SUCCESS|a",
        "2025-09-09T10:00:00.200Z|API|CALL|1|SUCCESS|b",
        "2025-09-09T10:00:00.300Z|API|CALL|2|SUCCESS|c",
        "2025-09-09T10:00:00.400Z|CACHE|HIT|1|SUCCESS|d",
        "2025-09-09T10:00:00.500Z|CACHE|HIT|1|SUCCESS|e",
        "2025-09-09T10:00:00.600Z|CACHE|MISS|2|SUCCESS|f",
        "2025-09-09T10:00:00.700Z|API|CALL|1|FAILURE|g",
        "2025-09-09T10:00:02.500Z|DB|QUERY|3|SUCCESS|h",
    ]
    log.write_text("\n".join(lines) + "\n")
    text, j = batch_json(str(log), env=env)
    w = j["windows"]["1m"]
    assert w["requests_per_second"] == 8 / 60
    assert w["error_rate"] == 100.0 * 1 / 8
    assert w["avg_response_ms"] == 12 / 8  # every entry here is a completed operation
    assert w["cache_hit_rate"] == 100.0 * 2 / 3 == 66.66666666666667  # 66.667 when rounded to 3
    assert j["windows"]["1d"]["requests_per_second"] == 8 / 86400
    assert j["components"]["CACHE"]["avg_ms"] == 4 / 3 == 1.3333333333333333  # 1.333 when rounded to 3
    # The alert fired at 10:00:01.000, when the 1m window held the first seven entries, one an error.
    (alert,) = [a for a in j["alerts"] if a["name"] == "error_rate"]
    assert alert["fired"] == "2025-09-09T10:00:01.000Z"
    assert alert["value"] == 100.0 * 1 / 7 == 14.285714285714286  # 14.286 when rounded to 3
    for figure in (8 / 60, 8 / 86400, 66.66666666666667, 14.285714285714286, 1.3333333333333333):
        assert repr(figure) in text  # the shortest text that reads back as the same float


def test_follow_batch_json_is_not_rounded_either(tmp_path: Path) -> None:
    # Following, T is the wall clock: entries of the last minute are in every window.
    base = (int(time.time()) - 30) * 1000
    log = tmp_path / "execution.log"
    log.write_text(
        "".join(
            f"{format_ts(base + i * 1000)}|CACHE|{'HIT' if i % 3 else 'MISS'}|{i + 1}|SUCCESS|x\n" for i in range(6)
        )
    )
    out = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "-b", "-d", "0.1", "-n", "2", "--json", str(log)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    reports = [json.loads(x) for x in out.stdout.splitlines()]
    assert len(reports) == 2
    first = reports[0]
    assert first["source"]["entries"] == 6
    assert first["windows"]["1d"]["requests_per_second"] == 6 / 86400 == 6.944444444444444e-05
    assert first["windows"]["1d"]["cache_hit_rate"] == 100.0 * 4 / 6
    assert first["components"]["CACHE"]["avg_ms"] == 21 / 6 == 3.5
