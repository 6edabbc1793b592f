"""The text report's critical paths (SPEC 10): a section per configured path, its stages in the chosen window
and its latest run as one line; real `-b` runs on the seed's sample and on a hung restart, and hand-made
snapshots for the lines a sample does not reach."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from rich.console import Console

from execlog_tui.core.snapshot import PathView, ReachedView, RunView, StageFigures
from execlog_tui.core.timefmt import parse_timestamp
from execlog_tui.report import path_section, run_line

from .helpers import ROOT, run

SEED = ROOT / "sample_logs" / "seed_sample.log"
PLAIN = {"NO_COLOR": "1", "COLUMNS": "80"}


def section(text: str, name: str) -> list[str]:
    """The lines of one path's section: from its heading to the blank line after it."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"Critical path {name} "))
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    return [line.rstrip() for line in lines[start:end]]


def test_seed_sample_sections_by_hand() -> None:
    out = run("-b", str(SEED), env=PLAIN)
    assert out.returncode == 0, out.stderr
    # Worked out from the sample: one bootstrap, 254 ms from START (10:00:00.000) to COMPLETE (.254); its
    # stages' own durations 48, 90, 105 (VALIDATE, under the configured VALIDATION). The p95 of one entry is
    # its own duration (the histogram's value, within SPEC's 2 %, is bounded by the stage's min and max). The 10:03 lookup reached UPDATE and the CACHE
    # FAILURE at 10:04:00.000 failed it, 60,000 ms after its LOOKUP. Memory learning is running since
    # 10:02:00.000: 150 s as of 10:04:30.002 (in whole seconds).
    assert section(out.stdout, "bootstrap") == [
        "Critical path bootstrap (BOOTSTRAP, timeout 30s): 1d stages, latest run",
        "checkpoint   entries   errors   avg ms   p95 ms",
        "───────────────────────────────────────────────",
        "START              1        0      0.0      0.0",
        "CORE               1        0     48.0     48.0",
        "PARALLEL           1        0     90.0     90.0",
        "VALIDATION         1        0    105.0    105.0",
        "COMPLETE           1        0    254.0    254.0",
        "bootstrap complete 254 ms: CORE 48 · PARALLEL 90 · VALIDATION 105",
    ]
    assert section(out.stdout, "cache_operations") == [
        "Critical path cache_operations (CACHE): 1d stages, latest run",
        "checkpoint   entries   errors   avg ms   p95 ms   hits   misses",
        "───────────────────────────────────────────────────────────────",
        "LOOKUP             2        0      1.5      2.0",
        "HIT_MISS           2        0      0.0      0.0      1        1",
        "FETCH              1        0     15.0     15.0",
        "UPDATE             1        0      2.0      2.0",
        "COMPLETE           0        0        -        -",
        "cache_operations failed at UPDATE after 60,000 ms (ended 10:04:00.000)",
    ]
    assert (
        section(out.stdout, "memory_learning")[-1] == "memory_learning RUNNING 150s at PERSIST (started 10:02:00.000)"
    )
    assert all(len(line) <= 80 for line in out.stdout.splitlines())
    # Between the components and the breakers, in the configured order.
    order = [
        out.stdout.index(h)
        for h in (
            "Components (1d)",
            "Critical path bootstrap",
            "Critical path cache_",
            "Critical path memory_",
            "Circuit breakers",
        )
    ]
    assert order == sorted(order)


def test_the_window_option_picks_the_stages_window() -> None:
    # As of 10:04:30.002 the 1m window (from 10:03:31.000) holds no checkpoint entry; 5m holds them all.
    one = run("-b", "--window", "1m", str(SEED), env=PLAIN)
    assert one.returncode == 0, one.stderr
    boot = section(one.stdout, "bootstrap")
    assert boot[0].endswith(": 1m stages, latest run")
    assert boot[3:8] == [
        f"{cp:<10}         0        0        -        -"
        for cp in ("START", "CORE", "PARALLEL", "VALIDATION", "COMPLETE")
    ]
    assert boot[8] == "bootstrap complete 254 ms: CORE 48 · PARALLEL 90 · VALIDATION 105"  # the run is not windowed
    cache = section(one.stdout, "cache_operations")
    assert cache[4] == "HIT_MISS           0        0        -        -      0        0"
    five = section(run("-b", "--window", "5m", str(SEED), env=PLAIN).stdout, "cache_operations")
    assert five[0].endswith(": 5m stages, latest run") and five[3].startswith("LOOKUP             2")


def test_a_restart_that_hangs_after_parallel_is_running_and_stuck(tmp_path: Path) -> None:
    # START at 10:00:00, CORE and PARALLEL, then only API calls for 45 s: as of 10:00:45.000 the run is
    # running 45 s at PARALLEL, past bootstrap's 30 s timeout (stuck fired at 10:00:31).
    lines = [
        "2025-09-09T10:00:00.000Z|BOOTSTRAP|START|0|INFO|go",
        "2025-09-09T10:00:00.050Z|BOOTSTRAP|CORE|50|SUCCESS|core",
        "2025-09-09T10:00:00.150Z|BOOTSTRAP|PARALLEL|100|SUCCESS|threads",
    ] + [f"2025-09-09T10:00:{s:02d}.000Z|API|CALL|5|SUCCESS|ok" for s in range(1, 46)]
    log = tmp_path / "execution.log"
    log.write_text("\n".join(lines) + "\n")
    out = run("-b", str(log), env=PLAIN)
    assert out.returncode == 0, out.stderr
    boot = section(out.stdout, "bootstrap")
    assert boot[-1] == "bootstrap RUNNING 45s at PARALLEL, STUCK over 30s (started 10:00:00.000)"
    assert boot[6] == "VALIDATION         0        0        -        -"
    assert any(line.startswith("stuck:bootstrap") and "FIRING" in line for line in out.stdout.splitlines())
    # With colour, the stuck run is in the error style (bold red).
    coloured = run("-b", str(log), env={"COLUMNS": "80", "TERM": "xterm-256color", "FORCE_COLOR": "1"})
    assert "\x1b[1;31mbootstrap RUNNING 45s" in coloured.stdout


def test_configured_paths_replace_the_defaults_and_names_stay_text(tmp_path: Path) -> None:
    cfg = tmp_path / "execlog.yaml"
    cfg.write_text(
        "CRITICAL_PATHS:\n"
        "  '[bold]deploy[/]':\n"
        "    - component: deployer\n"
        "      checkpoints:\n"
        "        - BEGIN: started\n"
        "        - Validation: checks\n"
        "        - END: done\n"
        "      timeout: 5 minutes\n"
    )
    log = tmp_path / "execution.log"
    log.write_text(
        "2025-09-09T10:00:00.000Z|DEPLOYER|BEGIN|0|INFO|go\n"
        "2025-09-09T10:00:01.000Z|DEPLOYER|VALIDATE|13.5|SUCCESS|ok\n"
        "2025-09-09T10:00:02.000Z|DEPLOYER|END|2000|SUCCESS|done\n"
        "2025-09-09T10:00:03.000Z|BOOTSTRAP|START|0|INFO|not a configured path now\n"
    )
    out = run("-b", "--config", str(cfg), str(log), env={"COLUMNS": "80", "TERM": "xterm-256color", "FORCE_COLOR": "1"})
    assert out.returncode == 0, out.stderr
    assert "Critical path bootstrap" not in out.stdout
    plain = run("-b", "--config", str(cfg), str(log), env=PLAIN).stdout
    deploy = section(plain, "[bold]deploy[/]")  # the name as written: not markup
    assert deploy[0] == "Critical path [bold]deploy[/] (DEPLOYER, timeout 5m): 1d stages, latest run"
    # (p95 is the engine's histogram figure, within SPEC's 1 ms: not asserted here.)
    assert deploy[4].startswith("Validation         1        0     13.5     ")
    # Complete in 2,000 ms (END at 10:00:02 − BEGIN at 10:00:00); the middle checkpoint's own 13.5 ms.
    assert deploy[-1] == "[bold]deploy[/] complete 2,000 ms: Validation 13.5"
    assert "[bold]deploy[/]" in out.stdout  # with colour on too, the brackets are printed, not interpreted


# ---- hand-made snapshots: lines the samples do not reach ------------------------------------------------

T0 = parse_timestamp("2025-09-09T10:00:00.000Z") or 0


def text(*renderables: object, width: int = 80) -> str:
    buf = io.StringIO()
    Console(file=buf, width=width, no_color=True, highlight=False, markup=False, emoji=False).print(*renderables)
    return buf.getvalue()


def path_view(latest: RunView | None, **kw: object) -> PathView:
    rows = tuple(StageFigures(c, 0, 0, None, None) for c in ("LOOKUP", "FETCH", "COMPLETE"))
    base = PathView("lookups", "CACHE", ("LOOKUP", "FETCH", "COMPLETE"), None, {"1d": rows, "1m": rows}, latest)
    return dataclasses.replace(base, **kw)


def test_run_lines_for_every_state() -> None:
    assert text(run_line(path_view(None), T0)) == "lookups: no run yet\n"
    running = RunView("running", T0, None, 850, "LOOKUP", (ReachedView("LOOKUP", T0, 1.0),))
    assert text(run_line(path_view(running), T0 + 850)) == "lookups RUNNING 850 ms at LOOKUP (started 10:00:00.000)\n"
    # A long failure reads in coarse units; a run of another day than the report's gives its date.
    failed = RunView("failed", T0, T0 + 11_100_000, 11_100_000, "FETCH", ())
    assert text(run_line(path_view(failed), T0 + 86_400_000 * 2)) == (
        "lookups failed at FETCH after 3h 05m (ended 2025-09-09 13:05:00)\n"
    )
    # A complete run that skipped to the last checkpoint: nothing between first and last to list.
    done = RunView(
        "complete", T0, T0 + 7, 7, "COMPLETE", (ReachedView("LOOKUP", T0, 1.0), ReachedView("COMPLETE", T0 + 7, 7.0))
    )
    assert text(run_line(path_view(done), T0 + 7)) == "lookups complete 7 ms\n"


def test_section_has_no_hits_columns_without_hit_miss_and_sanitizes_names() -> None:
    rows = (StageFigures("A\x1b[31m", 3, 1, 2.25, 4.0), StageFigures("B", 0, 0, None, None))
    view = PathView("p\x07", "X", ("A\x1b[31m", "B"), 30_000, {"5m": rows}, None, stuck=False)
    out = text(*path_section(view, "5m", T0))
    assert "\x1b" not in out and "\x07" not in out
    lines = [line.rstrip() for line in out.splitlines()]
    assert lines[0].startswith("Critical path p") and lines[0].endswith("(X, timeout 30s): 5m stages, latest run")
    assert lines[1] == "checkpoint   entries   errors   avg ms   p95 ms"
    assert lines[3].endswith("      3        1      2.2      4.0") and lines[4].startswith("B ")
    # A timeout reads exactly (90 s is not `1m`), in the heading and in a stuck run's line.
    stuck = RunView("running", T0, None, 95_000, "LOOKUP", ())
    odd = dataclasses.replace(view, timeout_ms=90_000, latest=stuck, stuck=True)
    out = text(*path_section(odd, "5m", T0 + 95_000))
    assert "(X, timeout 90s)" in out and "RUNNING 95s at LOOKUP, STUCK over 90s (started 10:00:00.000)" in out
    assert "timeout 1,500 ms" in text(*path_section(dataclasses.replace(view, timeout_ms=1_500), "5m", T0))
    # A window the snapshot does not have: the heading and the run line, an empty table.
    assert "latest run" in text(*path_section(view, "1h", T0))


def test_follow_reports_take_the_window_too(tmp_path: Path) -> None:
    # `-b -d` reports as of the wall clock (SPEC 3): the seed's entries are of another day, so the 5m stages
    # are empty and the running memory run started on a date the line gives in full.
    log = tmp_path / "execution.log"
    log.write_bytes(SEED.read_bytes())
    out = run("-b", "-d", "0.1", "-n", "1", "--window", "5m", str(log), env=PLAIN)
    assert out.returncode == 0, out.stderr
    boot = section(out.stdout, "bootstrap")
    assert boot[0].endswith(": 5m stages, latest run") and boot[3].startswith("START              0")
    last = section(out.stdout, "memory_learning")[-1]
    assert last.startswith("memory_learning RUNNING ") and last.endswith(" at PERSIST (started 2025-09-09 10:02:00)")
    failed = section(out.stdout, "cache_operations")[-1]
    assert failed == "cache_operations failed at UPDATE after 60,000 ms (ended 2025-09-09 10:04:00)"  # one line
