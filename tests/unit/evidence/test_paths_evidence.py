"""Evidence of a critical path's stage and run (SPEC 10): `stage:PATH:CHECKPOINT` is the entries of the
path's component whose action is one of the checkpoint's, in the window, of any status; `run:PATH` the
entries of the latest run. Figures worked out by hand on small real files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from execlog_tui.core.config import Config, CriticalPath
from execlog_tui.core.snapshot import ReachedView, RunView
from execlog_tui.core.timefmt import parse_timestamp
from execlog_tui.evidence import EvidenceError, collect_batch, collect_evidence, parse_figure
from execlog_tui.sources.logset import discover
from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.provider import StaticSession

LOG = """\
2025-09-09T10:00:00.000Z|BOOTSTRAP|START|0|INFO|Bootstrap sequence initiated
2025-09-09T10:00:00.048Z|BOOTSTRAP|CORE|48|SUCCESS|Core identity loaded
2025-09-09T10:00:00.138Z|BOOTSTRAP|PARALLEL|90|SUCCESS|6 threads completed
2025-09-09T10:00:00.140Z|API|PARALLEL|7|SUCCESS|another component's PARALLEL
2025-09-09T10:00:00.243Z|BOOTSTRAP|VALIDATE|105|SUCCESS|All checks passed
2025-09-09T10:00:00.254Z|BOOTSTRAP|COMPLETE|254|SUCCESS|Ready in 254ms
2025-09-09T10:01:00.000Z|CACHE|LOOKUP|1|INFO|Looking for a
2025-09-09T10:01:00.001Z|CACHE|HIT|0|SUCCESS|L1 cache hit
2025-09-09T10:03:00.000Z|CACHE|LOOKUP|2|INFO|Looking for b
2025-09-09T10:03:00.002Z|CACHE|MISS|0|INFO|Cache miss all tiers
2025-09-09T10:03:30.000Z|BOOTSTRAP|START|0|INFO|Restart
2025-09-09T10:03:30.050Z|BOOTSTRAP|CORE|50|SUCCESS|Core identity loaded
2025-09-09T10:03:30.100Z|BOOTSTRAP|PARALLEL|9000|TIMEOUT|a thread timed out
2025-09-09T10:03:30.200Z|BOOTSTRAP|VALIDATION|20|SUCCESS|the configured name matches too
2025-09-09T10:04:00.000Z|API|CALL|3|SUCCESS|last entry
"""


def write(tmp_path: Path) -> Path:
    path = tmp_path / "execution.log"
    path.write_text(LOG)
    return path


def lines_of(result: object) -> list[int]:
    return [r.line for r in result.rows]  # type: ignore[attr-defined]


def marks_of(result: object) -> list[str | None]:
    return [r.mark for r in result.rows]  # type: ignore[attr-defined]


def test_a_stage_is_its_components_entries_with_the_checkpoints_actions_of_any_status(tmp_path: Path) -> None:
    sets = discover([str(write(tmp_path))])
    par, _ = collect_batch(sets, Config(), "stage:bootstrap:PARALLEL", "1h")
    # both PARALLEL entries of BOOTSTRAP (the TIMEOUT one too, marked as an error), not API's
    assert lines_of(par) == [3, 13] and par.total == 2
    assert marks_of(par)[1] is not None and "error" in (marks_of(par)[1] or "")
    # p95 of (90, 9000) by nearest rank is 9000: that line is marked
    assert "p95" in (marks_of(par)[1] or "") and "p95" not in (marks_of(par)[0] or "")
    val, _ = collect_batch(sets, Config(), "stage:bootstrap:validation", "1h")
    assert val.figure == "stage:bootstrap:VALIDATION"  # reported under its configured name
    assert lines_of(val) == [5, 14]  # VALIDATE, the writers' name, and VALIDATION itself
    hm, _ = collect_batch(sets, Config(), "stage:cache_operations:HIT_MISS", "1h")
    assert lines_of(hm) == [8, 10] and marks_of(hm)[0] == "HIT" and (marks_of(hm)[1] or "").startswith("MISS")


def test_a_stage_keeps_to_its_window_and_as_of(tmp_path: Path) -> None:
    sets = discover([str(write(tmp_path))])
    # 1m as of 10:04:00.000 holds 10:03:01.000 onwards: none of the restart's lines (10:03:30 is in it)
    one, _ = collect_batch(sets, Config(), "stage:bootstrap:START", "1m")
    assert lines_of(one) == [11]
    at = parse_timestamp("2025-09-09T10:02:00.000Z")
    early, _ = collect_batch(sets, Config(), "stage:bootstrap:START", "1h", at)
    assert lines_of(early) == [1]


def test_unknown_paths_and_checkpoints_are_one_line_naming_what_exists(tmp_path: Path) -> None:
    sets = discover([str(write(tmp_path))])
    with pytest.raises(EvidenceError, match="configured paths: bootstrap, cache_operations, memory_learning"):
        collect_batch(sets, Config(), "stage:boot:START")
    with pytest.raises(EvidenceError, match="its checkpoints: START, CORE, PARALLEL, VALIDATION, COMPLETE"):
        collect_batch(sets, Config(), "stage:bootstrap:HIT_MISS")
    with pytest.raises(EvidenceError, match="stage:PATH:CHECKPOINT"):
        parse_figure("stage:bootstrap")
    # a configuration's own paths replace the defaults (SPEC 10)
    mine = Config(critical_paths=(CriticalPath.of("deploy", "API", ("PARALLEL", "CALL")),))
    api, _ = collect_batch(sets, mine, "stage:deploy:CALL", "1h")
    assert lines_of(api) == [15]


def test_run_is_the_latest_runs_entries_with_its_checkpoints_marked(tmp_path: Path) -> None:
    """The latest bootstrap run as a snapshot has it (the restart at 10:03:30, failed at PARALLEL by
    its TIMEOUT): its BOOTSTRAP entries from the start to the end, each checkpoint reached marked."""
    path = write(tmp_path)
    start = parse_timestamp("2025-09-09T10:03:30.000Z") or 0
    run = RunView(
        "failed",
        start,
        start + 100,
        100,
        "CORE",
        (ReachedView("START", start, 0.0), ReachedView("CORE", start + 50, 50.0)),
    )
    view = sc.bootstrap_path("complete")
    snap = sc.base_snapshot()
    paths = {**snap.critical_paths, "bootstrap": replace(view, latest=run)}
    snap = replace(snap, as_of=start + 30_000, critical_paths=paths)
    session = StaticSession(snap, [], paths=[str(path)])
    session.ring.note_dropped(start + 30_000)  # the ring holds none of the log: read from the file
    result = collect_evidence(session, "run:bootstrap")
    assert result.window == "all"
    assert lines_of(result) == [11, 12, 13]
    assert marks_of(result) == ["START", "CORE", "failed"]
    with pytest.raises(EvidenceError, match="no run"):
        collect_evidence(StaticSession(sc.empty_snapshot(start), [], paths=[str(path)]), "run:bootstrap")


def test_a_stuck_alert_shows_the_run_that_hung_from_its_start(tmp_path: Path) -> None:
    """A restart that hangs after PARALLEL: stuck:bootstrap fires at the first whole second past START +
    30 s (10:00:31.000, value 31.0); its evidence is the BOOTSTRAP entries since that START, each
    checkpoint marked."""
    lines = [
        "2025-09-09T09:59:00.000Z|BOOTSTRAP|CORE|40|SUCCESS|an earlier run's",
        "2025-09-09T10:00:00.000Z|BOOTSTRAP|START|0|INFO|Restart",
        "2025-09-09T10:00:00.048Z|BOOTSTRAP|CORE|48|SUCCESS|Core identity loaded",
        "2025-09-09T10:00:00.138Z|BOOTSTRAP|PARALLEL|90|SUCCESS|6 threads completed",
    ]
    lines += [f"2025-09-09T10:00:{s:02}.500Z|API|CALL|3|SUCCESS|tick {s}" for s in range(1, 45)]
    path = tmp_path / "execution.log"
    path.write_text("\n".join(lines) + "\n")
    result, snap = collect_batch(discover([str(path)]), Config(), "alert:stuck:bootstrap")
    (alert,) = [a for a in snap.alerts if a.name == "stuck:bootstrap"]
    assert alert.fired == parse_timestamp("2025-09-09T10:00:31.000Z") and alert.value == 31.0
    assert result.figure == "alert:stuck:bootstrap" and result.as_of == alert.fired
    assert result.window == "run"
    assert lines_of(result) == [2, 3, 4] and marks_of(result) == ["START", "CORE", "PARALLEL"]
