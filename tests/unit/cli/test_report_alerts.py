"""The text report's alerts on real files (issue 11, items 9 and 14): a flapping alert is one row in `-b`
with every firing counted, JSON keeps every firing, and `-b -d` at 80 columns cuts no time."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from execlog_tui.core.display import alert_value, group_alerts
from execlog_tui.core.snapshot import AlertView
from execlog_tui.core.timefmt import parse_timestamp

from .helpers import ROOT, run

SEED = ROOT / "sample_logs" / "seed_sample.log"


def flapping_log(path: Path) -> None:
    """Thirty minutes of one cache lookup a second, hits with p = 0.7: the 1m hit rate wanders across
    `cache_hit_rate < 70%` all the time, as a real service at its threshold does."""
    rng = random.Random(11)
    lines = []
    for s in range(30 * 60):
        ts = f"2025-09-09T10:{s // 60:02d}:{s % 60:02d}.000Z"
        hit = rng.random() < 0.7
        lines.append(f"{ts}|CACHE|{'HIT' if hit else 'MISS'}|0|{'SUCCESS' if hit else 'INFO'}|lookup")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def alert_rows(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Alerts")) + 3
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_a_flapping_alert_is_grouped_in_the_text_report_and_every_firing_is_in_json(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    flapping_log(log)
    doc = json.loads(run("-b", "--json", str(log)).stdout)
    firings = [a for a in doc["alerts"] if a["name"] == "cache_hit_rate"]
    assert len(firings) >= 20  # it flaps: the JSON has each firing (SPEC 9)
    out = run("-b", str(log), env={"COLUMNS": "80"})
    assert out.returncode == 0, out.stderr
    rows = alert_rows(out.stdout)
    assert 1 <= len(rows) < len(firings) / 4, rows
    views = [
        AlertView(
            a["name"], a["condition"], a["value"], parse_timestamp(a["fired"]) or 0, parse_timestamp(a["resolved"])
        )
        for a in doc["alerts"]
    ]
    groups = group_alerts(views)
    assert len(rows) == len(groups)
    counted = 0
    for g, row in zip(groups, rows, strict=True):
        assert row.startswith("cache_hit_rate < 70%") and f" {g.count}× " in row
        assert alert_value(g.value, g.condition) in row
        counted += g.count
    assert counted == len(firings)
    for row in rows:
        assert "…" not in row and len(row) <= 80


def test_follow_reports_at_80_columns_keep_alert_times_whole(tmp_path: Path) -> None:
    # `-b -d` reports as of the wall clock: the seed's alerts are of another day (2025-09-09).
    log = tmp_path / "execution.log"
    log.write_bytes(SEED.read_bytes())
    out = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "-b", "-d", "0.1", "-n", "1", str(log)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "COLUMNS": "80", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert "Alerts on 2025-09-09 (UTC)" in out.stdout and "Circuit breakers on 2025-09-09 (UTC)" in out.stdout
    rows = alert_rows(out.stdout)
    assert rows and all("…" not in r and len(r) <= 80 for r in rows), rows
    assert any("10:04:00" in r for r in rows)  # error_rate and breaker:CACHE fired at 10:04:00
    assert "…" not in out.stdout
