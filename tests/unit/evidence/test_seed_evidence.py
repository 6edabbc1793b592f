"""`-b --evidence` on the seed sample, worked out by hand (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.cli.helpers import ROOT, run

SAMPLE = str(ROOT / "sample_logs" / "seed_sample.log")


def evidence(*args: str) -> dict:
    out = run("-b", "--json", "--evidence", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_error_rate_1m_at_10_04_30_002_is_the_three_cache_failures() -> None:
    # The 1m window as of 10:04:30.002 runs from 10:03:31.000: the three CACHE FAILURE/ERROR lines
    # (17-19) are its only errors.
    doc = evidence("error_rate", "--window", "1m", "--at", "2025-09-09T10:04:30.002Z", SAMPLE)
    assert doc["figure"] == "error_rate"
    assert doc["window"] == "1m"
    assert doc["as_of"] == "2025-09-09T10:04:30.002Z"
    assert doc["total"] == 3
    assert [(e["line"], e["ts"]) for e in doc["entries"]] == [
        (17, "2025-09-09T10:04:00.000Z"),
        (18, "2025-09-09T10:04:00.100Z"),
        (19, "2025-09-09T10:04:00.200Z"),
    ]
    assert all(e["file"] == SAMPLE and "|CACHE|FAILURE|" in e["raw"] for e in doc["entries"])
    figures = json.loads(run("-b", "--json", "--at", "2025-09-09T10:04:30.002Z", SAMPLE).stdout)
    assert figures["windows"]["1m"]["errors"] == doc["total"]


def test_breaker_cache_is_the_three_failures_and_the_circuit_lines() -> None:
    doc = evidence("breaker:cache", SAMPLE)
    assert doc["total"] == 6
    assert [e["line"] for e in doc["entries"]] == [17, 18, 19, 20, 21, 22]
    actions = [e["raw"].split("|")[2] for e in doc["entries"]]
    assert actions == ["FAILURE", "FAILURE", "FAILURE", "CIRCUIT_OPEN", "CIRCUIT_TEST", "CIRCUIT_CLOSE"]


def test_text_output_is_file_line_and_the_raw_line_with_the_transitions_marked() -> None:
    out = run("-b", "--evidence", "breaker:CACHE", SAMPLE)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == f"{SAMPLE}:17: 2025-09-09T10:04:00.000Z|CACHE|FAILURE|5|ERROR|Cache operation failed  <- burst"
    assert lines[2].endswith("<- CLOSED->OPEN")
    assert lines[5].endswith("<- HALF_OPEN->CLOSED")
    assert "6 entries" in out.stderr


def test_bootstrap_is_the_latest_run_and_p95_marks_its_line() -> None:
    boot = run("-b", "--evidence", "bootstrap", SAMPLE)
    assert [line.split(":")[1] for line in boot.stdout.splitlines()] == ["1", "2", "3", "4", "5"]
    assert boot.stdout.splitlines()[-1].endswith("Ready in 254ms  <- bootstrap_ms")
    p95 = run("-b", "--evidence", "p95", SAMPLE)
    # Completed operations in the 1m window: durations 5, 4, 3 (ERROR) and 0 (CIRCUIT_CLOSE SUCCESS);
    # the nearest rank of 95 % of 4 is the 4th smallest: the 5 ms line.
    marked = [line for line in p95.stdout.splitlines() if line.endswith("<- p95")]
    assert marked == [f"{SAMPLE}:17: 2025-09-09T10:04:00.000Z|CACHE|FAILURE|5|ERROR|Cache operation failed  <- p95"]


def test_bad_figures_and_names_are_one_line_and_exit_2(tmp_path: Path) -> None:
    for args in (
        ("-b", "--evidence", "nope", SAMPLE),
        ("-b", "--evidence", "component:NOPE", SAMPLE),
        ("-b", "--evidence", "breaker:", SAMPLE),
        ("-b", "--evidence", "alert:memory_usage", SAMPLE),  # never fires here
        ("-b", "--evidence", "alert:nope", SAMPLE),
        ("-b", "--evidence", "error_rate:X", SAMPLE),
        ("--evidence", "error_rate", SAMPLE),
        ("-b", "--limit", "3", SAMPLE),
        ("-b", "--evidence", "error_rate", "--limit", "0", SAMPLE),
    ):
        out = run(*args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert out.stderr.startswith("execlog-top: ") and out.stderr.count("\n") == 1, out.stderr
        assert "Traceback" not in out.stderr
        assert out.stdout == ""


def test_log_text_is_printed_inert(tmp_path: Path) -> None:
    log = tmp_path / "execution.log"
    log.write_text("2025-09-09T10:00:00.000Z|API|CALL|5|ERROR|boom \x1b[31mred\x1b]0;title\x07 [bold]x[/]\n")
    out = run("-b", "--evidence", "error_rate", str(log))
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout
    assert "[bold]x[/]" in out.stdout  # shown as written, never read as markup
    doc = json.loads(run("-b", "--json", "--evidence", "error_rate", str(log)).stdout)
    assert doc["entries"][0]["raw"].endswith("[bold]x[/]")  # JSON keeps the raw text (escaped by JSON)
