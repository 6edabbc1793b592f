"""The fleet screen against a real Prometheus (two exporters, an error burst on one): Pilot and a tmux run.
Rows appear worst first and agree with the headless twin; Enter shows the instance; a Prometheus that stops
answering is said on the status line while the last rows stay, marked stale."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from execlog_tui.fleet.client import PrometheusClient
from execlog_tui.fleet.model import Fleet, read_fleet
from execlog_tui.fleet.table import COLUMNS, row_cells
from execlog_tui.ui.fleet import FleetApp, InstanceScreen, make_fleet_app
from tests.app.test_ui_pilot import sync
from tests.unit.exporter.helpers import poll, two_instances
from tests.unit.exporter.test_cli_exporter import ENV
from tests.unit.fleet.test_fleet_read import burst_seen, settled

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs prometheus (Debian: prometheus)"),
]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PrometheusClient, dict[str, str]]]:
    with two_instances(tmp_path_factory.mktemp("fleet-screen")) as (prom, exporters, _writers):
        client = PrometheusClient(f"http://127.0.0.1:{prom.port}")
        poll(settled(client), burst_seen, timeout=90)
        yield client, {name: r.base.removeprefix("http://") for name, r in exporters.items()}


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


async def until(pilot: Any, ok: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok():
            return
        await pilot.pause(0.1)
    assert ok()


def cells(fleet: Fleet, narrow: bool) -> list[list[str]]:
    return [[row_cells(i, narrow)[k] for k, *_ in COLUMNS] for i in fleet.instances]


@sync
async def test_rows_worst_first_enter_shows_the_instance(fleet: tuple[PrometheusClient, dict[str, str]]) -> None:
    client, inst = fleet
    app = make_fleet_app(client.url, lambda: read_fleet(client), refresh_hz=4.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(app.rows) == 2)
        rows = app.table_rows()
        assert [r[1] for r in rows] == [inst["a"], inst["b"]]  # a (error band, breaker open) first
        assert rows == cells(app.fleet, narrow=True)  # type: ignore[arg-type]
        assert rows[0][0] == "✗" and rows[0][6:8] == ["1", "2"] and rows[1][0] == "•"
        status = app.status_text().plain
        assert "2 instances" in status and "every 1 s" in status
        first = app.refreshes
        await until(pilot, lambda: app.refreshes > first)  # it refreshes on its own
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InstanceScreen))
        screen = app.screen
        assert isinstance(screen, InstanceScreen)
        body = screen.body_text
        assert body.startswith(f"{inst['a']}  job execlog  ·  up")
        assert "API  OPEN~ (inferred)" in body
        assert "firing  breaker:API [critical]  (engine, rule ExeclogBreakerOpen)" in body
        assert "firing  error_rate [critical]  (engine, rule ExeclogErrorRate)" in body
        assert "error_rate      ✗ error" in body and "bootstrap       • acceptable" in body
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, InstanceScreen))
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, InstanceScreen))
        assert app.screen.body_text.startswith(inst["b"])  # type: ignore[attr-defined]
        await pilot.press("q")
    assert app.return_code in (0, None)


@sync
async def test_wide_rows_are_the_headless_twins(fleet: tuple[PrometheusClient, dict[str, str]]) -> None:
    client, _inst = fleet
    app = make_fleet_app(client.url, lambda: read_fleet(client))
    async with app.run_test(size=(200, 60)) as pilot:
        await until(pilot, lambda: len(app.rows) == 2)
        rows = app.table_rows()
    twin = subprocess.run(
        [sys.executable, "-m", "execlog_tui", "--prometheus", client.url, "-b"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    assert [" ".join(r).split() for r in rows] == [line.split() for line in twin[2:]]
    assert rows[0][0] == "✗ error" and rows[1][0] == "• acceptable"


@sync
async def test_unreachable_then_stale(fleet: tuple[PrometheusClient, dict[str, str]]) -> None:
    client, inst = fleet
    dead = PrometheusClient(_dead_url())
    app = make_fleet_app(dead.url, lambda: read_fleet(dead))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.error is not None)
        assert f"cannot reach Prometheus at {dead.url}: Connection refused" in app.status_text().plain
        assert app.rows == []
    use = [client]
    app2: FleetApp = make_fleet_app(client.url, lambda: read_fleet(use[0]))
    async with app2.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(app2.rows) == 2)
        use[0] = dead  # Prometheus goes away: the rows stay, marked stale
        await until(pilot, lambda: app2.error is not None)
        status = app2.status_text().plain
        assert "cannot reach Prometheus" in status and "(stale)" in status
        assert [r[1] for r in app2.table_rows()] == [inst["a"], inst["b"]]
        use[0] = client
        await until(pilot, lambda: app2.error is None)
        assert "(stale)" not in app2.status_text().plain


def _tmux(sock: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True, check=False).stdout


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_fleet_screen_in_tmux_at_80x24(fleet: tuple[PrometheusClient, dict[str, str]]) -> None:
    client, inst = fleet
    sock = f"execlog-test-{uuid.uuid4().hex[:8]}"
    cmd = f"{sys.executable} -m execlog_tui --prometheus {client.url}"
    env = {**ENV, "TERM": "xterm-256color"}
    subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-x", "80", "-y", "24", cmd], check=True, env=env)
    try:

        def screen() -> str:
            return _tmux(sock, "capture-pane", "-p")

        shown = poll(screen, lambda s: inst["a"] in s and inst["b"] in s and "2 instances" in s, timeout=30)
        lines = shown.splitlines()
        assert all(len(line) <= 80 for line in lines)
        row_a = next(i for i, line in enumerate(lines) if inst["a"] in line)
        row_b = next(i for i, line in enumerate(lines) if inst["b"] in line)
        assert row_a < row_b  # worst first
        assert lines[row_a].split()[0] == "✗" and lines[row_a].split()[-4:] == ["—", "1", "2", "ok"]
        assert "req/s" in lines[row_a - 1] and "alrt" in lines[row_a - 1]
        _tmux(sock, "send-keys", "Enter")
        shown = poll(screen, lambda s: "breakers not closed: 1" in s, timeout=15)
        assert f"{inst['a']}  job execlog" in shown
        _tmux(sock, "send-keys", "Escape")
        poll(screen, lambda s: "req/s" in s, timeout=15)
        _tmux(sock, "send-keys", "q")
        poll(lambda: _tmux(sock, "list-sessions"), lambda s: s == "", timeout=15)  # it quits
    finally:
        _tmux(sock, "kill-server")
