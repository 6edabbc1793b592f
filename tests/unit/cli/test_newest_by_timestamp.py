"""SPEC 4 (revised): bootstrap is the BOOTSTRAP/COMPLETE entry with the latest timestamp, memory_mb the
newest memory figure by timestamp: a late line with an older timestamp replaces neither. Through
`-b --json` on real files, with the C fast path (runs of plain lines around them) and without."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.cli.helpers import PATHS, batch_json, plain


@pytest.mark.parametrize("env", PATHS)
def test_a_late_bootstrap_with_an_older_timestamp_does_not_replace_the_newest(tmp_path: Path, env) -> None:
    log = tmp_path / "execution.log"
    lines = [
        *plain(0, 200),
        "2025-09-09T10:00:05.000Z|BOOTSTRAP|COMPLETE|280|SUCCESS|Ready in 280ms",
        *plain(6, 200),
        "2025-09-09T10:00:02.000Z|BOOTSTRAP|COMPLETE|450|SUCCESS|late: an older restart",
        *plain(7, 200),
    ]
    log.write_text("\n".join(lines) + "\n")
    _, j = batch_json(str(log), env=env)
    assert j["source"]["entries"] == 602
    assert j["bootstrap"] == {"ms": 280, "band": "acceptable"}

    # A newer one replaces it, even when it comes in late after an older one.
    lines = [
        "2025-09-09T10:00:01.000Z|BOOTSTRAP|COMPLETE|450|SUCCESS|first start",
        *plain(2, 200),
        "2025-09-09T10:00:09.000Z|BOOTSTRAP|COMPLETE|254|SUCCESS|restart",
        *plain(10, 200),
        "2025-09-09T10:00:08.000Z|BOOTSTRAP|COMPLETE|999|SUCCESS|late",
        "2025-09-09T10:00:10.900Z|BOOTSTRAP|COMPLETE|302|SUCCESS|newest",
        *plain(11, 200),
    ]
    log.write_text("\n".join(lines) + "\n")
    _, j = batch_json(str(log), env=env)
    assert j["bootstrap"] == {"ms": 302, "band": "warning"}


@pytest.mark.parametrize("env", PATHS)
def test_a_late_bootstrap_in_an_archive_order_does_not_replace_the_newest(tmp_path: Path, env) -> None:
    """The live file holds the restart; an older bootstrap line appended to it later (late) loses."""
    (tmp_path / "execution.log.1").write_text(
        "\n".join([*plain(0, 100), "2025-09-09T10:00:01.500Z|BOOTSTRAP|COMPLETE|240|SUCCESS|first"]) + "\n"
    )
    (tmp_path / "execution.log").write_text(
        "\n".join(
            [
                *plain(3, 100),
                "2025-09-09T10:00:03.500Z|BOOTSTRAP|COMPLETE|320|SUCCESS|restart",
                *plain(4, 100),
                "2025-09-09T10:00:01.600Z|BOOTSTRAP|COMPLETE|200|SUCCESS|late",
            ]
        )
        + "\n"
    )
    _, j = batch_json(str(tmp_path), env=env)
    assert j["source"]["entries"] == 303
    assert j["bootstrap"] == {"ms": 320, "band": "warning"}


@pytest.mark.parametrize("env", PATHS)
def test_memory_is_the_newest_figure_by_timestamp_whatever_the_arrival_order(tmp_path: Path, env) -> None:
    log = tmp_path / "execution.log"
    lines = [
        *plain(0, 100, hour="10:00"),
        "2025-09-09T10:00:30.000Z|API|CALL|5|SUCCESS|rss_mb=40",
        *plain(0, 100, hour="10:10"),
        "2025-09-09T10:10:20.000Z|API|CALL|5|SUCCESS|rss_mb=80",
        *plain(30, 100, hour="10:10"),
        # Late lines with older timestamps and larger figures: in the current minute (its second
        # already merged), in the 5m window, and only in the minute windows.
        "2025-09-09T10:10:05.000Z|API|CALL|5|SUCCESS|memory_mb=95",
        "2025-09-09T10:07:00.000Z|API|CALL|5|SUCCESS|mem_mb=97",
        "2025-09-09T10:02:00.000Z|API|CALL|5|SUCCESS|rss_mb=99",
        *plain(31, 100, hour="10:10"),
    ]
    log.write_text("\n".join(lines) + "\n")
    _, j = batch_json(str(log), env=env)
    w = j["windows"]
    assert [w[n]["memory_mb"] for n in ("1m", "5m", "1h", "1d")] == [80, 80, 80, 80]
    assert [w[n]["memory_max_mb"] for n in ("1m", "5m", "1h", "1d")] == [95, 97, 99, 99]
    # As of 10:10:10 (the read stops at the 10:10:20 line): the 10:00:30 figure, outside the 1m window.
    _, j = batch_json("--at", "10:10:10", str(log), env=env)
    assert j["windows"]["1d"]["memory_mb"] == 40 and j["windows"]["1m"]["memory_mb"] is None
