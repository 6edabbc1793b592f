"""The critical_paths report (SPEC 10's stages in SQL): figures worked out by hand, configured paths, quoting."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from execlog_tui.cli import main
from execlog_tui.core.config import Config, CriticalPath
from execlog_tui.core.config_file import load_config
from execlog_tui.core.engine import MetricsEngine
from execlog_tui.pipeline import read_history
from execlog_tui.query import REPORTS, run_query
from execlog_tui.query.reports import critical_paths_sql
from execlog_tui.sources.logset import discover

from .conftest import SEED

COLUMNS = ("path", "checkpoint", "entries", "errors", "avg_ms", "p95_ms", "hits", "misses")


def rows(result) -> list[tuple]:
    assert result.columns == COLUMNS
    return [tuple(r) for r in result.rows]


def test_seed_sample_by_hand() -> None:
    # The seed's sample (sample_logs/seed_sample.log), the default paths. Bootstrap: one entry per
    # checkpoint, VALIDATION matched by the sample's VALIDATE. Cache: LOOKUP 1 and 2 ms (mean 1.5, p95 of two
    # is rank ceil(1.9) = 2: 2 ms); HIT_MISS is the HIT and the MISS (0 ms each); the three CACHE/FAILURE
    # errors at 10:04 match no checkpoint (their action is FAILURE), so no checkpoint has an error; no COMPLETE
    # was logged: zero entries, null figures. Memory: no COMPLETE either.
    got = rows(run_query([SEED], "critical_paths"))
    assert got == [
        ("bootstrap", "START", 1, 0, 0.0, 0.0, None, None),
        ("bootstrap", "CORE", 1, 0, 48.0, 48.0, None, None),
        ("bootstrap", "PARALLEL", 1, 0, 90.0, 90.0, None, None),
        ("bootstrap", "VALIDATION", 1, 0, 105.0, 105.0, None, None),
        ("bootstrap", "COMPLETE", 1, 0, 254.0, 254.0, None, None),
        ("cache_operations", "LOOKUP", 2, 0, 1.5, 2.0, None, None),
        ("cache_operations", "HIT_MISS", 2, 0, 0.0, 0.0, 1, 1),
        ("cache_operations", "FETCH", 1, 0, 15.0, 15.0, None, None),
        ("cache_operations", "UPDATE", 1, 0, 2.0, 2.0, None, None),
        ("cache_operations", "COMPLETE", 0, 0, None, None, None, None),
        ("memory_learning", "DETECT", 1, 0, 5.0, 5.0, None, None),
        ("memory_learning", "MATCH", 1, 0, 3.0, 3.0, None, None),
        ("memory_learning", "LEARN", 1, 0, 10.0, 10.0, None, None),
        ("memory_learning", "PERSIST", 1, 0, 5.0, 5.0, None, None),
        ("memory_learning", "COMPLETE", 0, 0, None, None, None, None),
    ]


def test_seed_sample_window() -> None:
    # As of 10:04:30.002 the 1m window starts at 10:03:31.000: none of the paths' entries is in it (the
    # last checkpoint entry is the UPDATE at 10:03:00.018); every checkpoint is still a row.
    got = rows(run_query([SEED], "critical_paths", window="1m"))
    assert len(got) == 15
    assert all(r[2:6] == (0, 0, None, None) for r in got)
    assert got[6][6:] == (0, 0)  # HIT_MISS: zero hits and misses, not null
    five = {r[1]: r for r in rows(run_query([SEED], "critical_paths", window="5m")) if r[0] == "cache_operations"}
    # 5m as of 10:04:30.002 starts at 10:00:31.000: both lookups are in it.
    assert five["LOOKUP"][2] == 2 and five["HIT_MISS"][6:] == (1, 1)


CUSTOM = """\
CRITICAL_PATHS:
  deploy:
    - component: deployer
      checkpoints:
        - BEGIN: "Deploy started"
        - Validation: "Checks"
        - ship
        - END: "Done"
      timeout: 5 minutes
  o'brien\\path;--:
    - component: CACHE
      checkpoints:
        - HIT_MISS: "hit or miss"
"""


def custom_log(tmp_path: Path) -> Path:
    # 20 BEGIN entries of 1..20 ms (p95 of 20 is rank 19: 19 ms), two of them errors (FAILURE, and TIMEOUT,
    # SPEC 4's errors), one ERROR-level line on a VALIDATE, a WARNING (not an error) on `ship`; a lower-case
    # component (read as DEPLOYER); a DEPLOYER/OTHER entry that matches nothing; no END at all.
    lines = []
    for i in range(1, 21):
        status = {3: "FAILURE", 7: "TIMEOUT"}.get(i, "SUCCESS")
        lines.append(f"2025-09-09T10:00:{i:02d}.000Z|{'deployer' if i % 2 else 'DEPLOYER'}|BEGIN|{i}|{status}|b{i}")
    lines += [
        "2025-09-09T10:01:00.000Z|DEPLOYER|VALIDATE|10|SUCCESS|ok",
        "2025-09-09T10:01:01.000Z|DEPLOYER|validation|30|ERROR|bad",
        "2025-09-09T10:01:02.000Z|DEPLOYER|SHIP|7.5|WARNING|slow",
        "2025-09-09T10:01:03.000Z|DEPLOYER|OTHER|99|FAILURE|not a checkpoint",
        "2025-09-09T10:01:04.000Z|CACHE|HIT|1|SUCCESS|h",
        "2025-09-09T10:01:05.000Z|CACHE|HIT|3|SUCCESS|h",
        "2025-09-09T10:01:06.000Z|CACHE|MISS|2|CRITICAL|m",
        "2025-09-09T10:01:07.000Z|BOOTSTRAP|START|0|INFO|not configured here",
    ]
    log = tmp_path / "execution.log"
    log.write_text("\n".join(lines) + "\n")
    return log


EXPECTED_CUSTOM = [
    ("deploy", "BEGIN", 20, 2, 10.5, 19.0, None, None),
    ("deploy", "Validation", 2, 1, 20.0, 30.0, None, None),
    ("deploy", "ship", 1, 0, 7.5, 7.5, None, None),
    ("deploy", "END", 0, 0, None, None, None, None),
    ("o'brien\\path;--", "HIT_MISS", 3, 1, 2.0, 3.0, 2, 1),
]


def test_a_configured_path_replaces_the_defaults(tmp_path: Path) -> None:
    cfg = tmp_path / "execlog.yaml"
    cfg.write_text(CUSTOM)
    config = load_config(cfg)
    got = rows(run_query([custom_log(tmp_path)], "critical_paths", config=config))
    # The configured names as written (Validation, ship), in the configured order; the bootstrap path is
    # not configured, so the BOOTSTRAP/START entry is in no row; a quote, a backslash and `;--` in a
    # path's name are text, not SQL.
    assert got == EXPECTED_CUSTOM
    # Without the configuration: the defaults, which this log does not touch but for CACHE and BOOTSTRAP.
    default = rows(run_query([custom_log(tmp_path)], "critical_paths"))
    assert [r[0] for r in default] == ["bootstrap"] * 5 + ["cache_operations"] * 5 + ["memory_learning"] * 5
    assert default[0][2] == 1 and default[6][2:] == (3, 1, 2.0, 3.0, 2, 1)


def test_the_cli_reads_the_configuration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "execlog.yaml"
    cfg.write_text(CUSTOM)
    log = custom_log(tmp_path)
    assert main(["--query", "critical_paths", "--format", "json", "--config", str(cfg), str(log)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert [tuple(r[c] for c in COLUMNS) for r in json.loads(out)] == EXPECTED_CUSTOM


def test_a_bad_configuration_is_refused_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("CRITICAL_PATHS:\n  deploy:\n    - component: X\n      checkpoints: []\n")
    assert main(["--query", "critical_paths", "--config", str(cfg), str(SEED)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"execlog-top: {cfg}:4: CRITICAL_PATHS.deploy[0].checkpoints: ") and err.count("\n") == 1


def test_no_paths_is_no_rows_with_the_columns(tmp_path: Path) -> None:
    cfg = tmp_path / "none.yaml"
    cfg.write_text("CRITICAL_PATHS: {}\n")
    config = load_config(cfg)
    assert config.critical_paths == ()
    result = run_query([SEED], "critical_paths", config=config)
    assert result.columns == COLUMNS and result.rows == []


def test_the_report_is_named_and_described() -> None:
    report = REPORTS["critical_paths"]
    assert list(REPORTS)[-1] == "critical_paths"  # the sixth, after the seed's five
    assert report.sql_for(None) == report.sql == critical_paths_sql(Config().critical_paths)
    custom = Config(critical_paths=(CriticalPath.of("p", "x", ("A",)),))
    assert report.sql_for(custom) == critical_paths_sql(custom.critical_paths) != report.sql
    assert "HIT_MISS" in report.description and "VALIDATE" in report.description


def test_p95_is_nearest_rank_over_many_durations(tmp_path: Path) -> None:
    # 1,000 LOOKUPs of 0..999 ms in a shuffled order: p95 is rank 950, 949 ms; mean 499.5.
    order = sorted(range(1000), key=lambda i: (i * 7919) % 1000)
    log = tmp_path / "execution.log"
    log.write_text(
        "".join(
            f"2025-09-09T10:{i // 60 % 60:02d}:{i % 60:02d}.000Z|CACHE|LOOKUP|{d}|INFO|l\n" for i, d in enumerate(order)
        )
    )
    lookup = rows(run_query([log], "critical_paths"))[5]
    assert lookup[:4] == ("cache_operations", "LOOKUP", 1000, 0)
    assert math.isclose(lookup[4], 499.5) and lookup[5] == 949.0


def test_a_lower_case_hit_miss_is_the_hit_miss_row_as_in_the_engine() -> None:
    config = Config(critical_paths=(CriticalPath.of("c", "cache", ("lookup", "hit_miss")),))
    got = rows(run_query([SEED], "critical_paths", config=config))
    assert got == [("c", "lookup", 2, 0, 1.5, 2.0, None, None), ("c", "hit_miss", 2, 0, 0.0, 0.0, 1, 1)]
    engine = MetricsEngine(config)
    read_history(discover([SEED]), engine)
    stage = engine.snapshot().critical_paths["c"].stages["1d"][1]
    assert (stage.checkpoint, stage.entries, stage.hits, stage.misses) == ("hit_miss", 2, 1, 1)
