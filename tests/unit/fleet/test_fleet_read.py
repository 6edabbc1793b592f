"""The fleet screen's data, read from a real Prometheus (two exporters, an error burst on one), and every way a
Prometheus can fail (nothing listening, HTTP errors, `status: error`, garbage): one line, never a traceback."""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from execlog_tui.fleet.client import PrometheusClient, PrometheusError, parse_url
from execlog_tui.fleet.model import Fleet, build_fleet, read_fleet
from execlog_tui.fleet.table import fleet_json, row_cells, text_table

from ..exporter.helpers import key, poll, two_instances
from ..exporter.test_cli_exporter import ENV

PROMETHEUS = pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs prometheus (Debian: prometheus)")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "execlog_tui", *args], capture_output=True, text=True, timeout=60, env=ENV
    )


def settled(client: PrometheusClient) -> Callable[[], Fleet | PrometheusError]:
    def read() -> Fleet | PrometheusError:
        try:
            return read_fleet(client)
        except PrometheusError as e:
            return e

    return read


def burst_seen(fleet: Any) -> bool:
    """Both instances, and a's two alerts fired by its engine and by Prometheus's rules alike."""
    if not isinstance(fleet, Fleet) or len(fleet.instances) != 2:
        return False
    alerts = {a.name: a for a in fleet.instances[0].alerts}
    return all(n in alerts and alerts[n].engine and alerts[n].prometheus for n in ("error_rate", "breaker:API"))


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any], PrometheusClient, Fleet]]:
    if shutil.which("prometheus") is None:
        pytest.skip("needs prometheus (Debian: prometheus)")
    with two_instances(tmp_path_factory.mktemp("fleet")) as (prom, exporters, _writers):
        client = PrometheusClient(f"http://127.0.0.1:{prom.port}")
        got = poll(settled(client), burst_seen, timeout=90)
        yield prom, exporters, client, got


@PROMETHEUS
def test_one_row_per_instance_worst_band_first(fleet: tuple[Any, dict[str, Any], PrometheusClient, Fleet]) -> None:
    _prom, exporters, _client, got = fleet
    inst = {name: r.base.removeprefix("http://") for name, r in exporters.items()}
    a, b = got.instances
    assert (a.instance, b.instance) == (inst["a"], inst["b"])  # a, with its error burst, first
    assert a.up is True and b.up is True
    # a: error rate is `error` while its alert fires (SPEC 5); the worst band of its row.
    assert a.band == "error" and a.error_rate_band == "error"
    assert [(br.component, br.state, br.inferred) for br in a.breakers] == [("API", "open", True)]
    assert a.open_breakers == 1 and a.firing == 2
    rules = {x.name: x.prometheus for x in a.alerts}
    assert rules == {"error_rate": "ExeclogErrorRate", "breaker:API": "ExeclogBreakerOpen"}
    # b: the engine's own bands (bootstrap 254 ms is acceptable, SPEC 5), nothing firing, nothing open.
    assert b.bands == {"bootstrap": "acceptable", "response_time": "optimal"} and b.band == "acceptable"
    assert b.firing == 0 and b.open_breakers == 0 and b.degraded is False


@PROMETHEUS
def test_the_figures_are_each_exporters_own(fleet: tuple[Any, dict[str, Any], PrometheusClient, Fleet]) -> None:
    _prom, exporters, client, _got = fleet
    by_name = {i.instance: i for i in read_fleet(client).instances}
    for r in exporters.values():
        mine = r.scrape()  # no entry written since the burst: the gauges hold still
        row = by_name[r.base.removeprefix("http://")]
        for w in ("1m", "5m", "1h", "1d"):
            fig = row.windows[w]
            assert fig.error_ratio == mine[key("execlog_error_ratio", window=w)]
            assert fig.p95_s == mine[key("execlog_response_seconds", window=w, stat="p95")]
            assert fig.avg_s == mine[key("execlog_response_seconds", window=w, stat="avg")]
            assert fig.cache_hit_ratio is None  # no CACHE entry: a null figure has no sample (SPEC 11)
        assert row.bootstrap_s == mine[key("execlog_bootstrap_seconds")] == 0.254
        assert row.last_entry_s == mine[key("execlog_last_entry_timestamp_seconds")]


@PROMETHEUS
def test_headless_twin_prints_the_same_rows(fleet: tuple[Any, dict[str, Any], PrometheusClient, Fleet]) -> None:
    _prom, _exporters, client, _got = fleet
    done = run("--prometheus", client.url, "-b", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    now = read_fleet(client, at=None)
    assert doc["prometheus"] == client.url
    mine = fleet_json(now)
    # The same model: equal but for the evaluation time (and the figures that move with it: none here).
    assert [i["instance"] for i in doc["instances"]] == [i["instance"] for i in mine["instances"]]
    assert doc["instances"] == mine["instances"]
    text = run("--prometheus", client.url, "-b")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith(f"Prometheus {client.url} · 2 instances · as of ")
    assert lines[1].split() == ["band", "instance", "req/s", "err%", "p95", "hit%", "brk", "alrt", "state"]
    assert lines[2:] == text_table(now)[2:]
    first = row_cells(now.instances[0])
    assert lines[2].split()[:3] == ["✗", "error", first["instance"]]


# ------------------------------------------------------------------------------------ failures
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Canned(http.server.BaseHTTPRequestHandler):
    status = 200
    body = b""
    alerts = b""  # /api/v1/alerts's body, when not the same

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = self.alerts if self.alerts and self.path.startswith("/api/v1/alerts") else self.body
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(status: int, body: bytes, alerts: bytes = b"") -> str:
        handler = type("H", (Canned,), {"status": status, "body": body, "alerts": alerts})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def _error(url: str) -> PrometheusError:
    with pytest.raises(PrometheusError) as info:
        read_fleet(PrometheusClient(url, timeout=5))
    return info.value


def test_nothing_listening() -> None:
    e = _error(f"http://127.0.0.1:{_free_port()}")
    assert e.kind == "unreachable" and "cannot reach Prometheus at http://127.0.0.1:" in str(e)
    assert "Connection refused" in str(e)


@pytest.mark.parametrize(
    ("status", "body", "kind", "said"),
    [
        (503, b"Service Unavailable", "http", "answered HTTP 503"),
        (400, b'{"status":"error","errorType":"bad_data","error":"parse error"}', "http", "bad_data: parse error"),
        (200, b'{"status":"error","errorType":"execution","error":"query\\ntimed out"}', "api", "query timed out"),
        (200, b"<html>not prometheus</html>", "malformed", "did not answer with the API's JSON"),
        (200, b'{"status":"success","data":{"resultType":"matrix","result":[]}}', "malformed", "expected a vector"),
        (200, b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}}', "malformed", "vector"),
        (200, b"[1,2]", "malformed", "no status"),
    ],
)
def test_errors_are_one_line(serve: Callable[..., str], status: int, body: bytes, kind: str, said: str) -> None:
    e = _error(serve(status, body))
    assert e.kind == kind and said in str(e) and "\n" not in str(e)


def test_not_http_at_all() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()

        def answer() -> None:
            conn, _ = s.accept()
            conn.recv(4096)
            conn.sendall(b"\x00\x01garbage that is not HTTP\r\n\r\n")
            conn.close()

        threading.Thread(target=answer, daemon=True).start()
        e = _error(f"http://127.0.0.1:{s.getsockname()[1]}")
    assert e.kind in ("malformed", "unreachable") and "\n" not in str(e)


def test_cli_says_it_in_one_line_and_exits_1(serve: Callable[..., str]) -> None:
    done = run("--prometheus", f"http://127.0.0.1:{_free_port()}", "-b")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "cannot reach Prometheus" in done.stderr
    done = run("--prometheus", serve(200, b'{"status":"error","errorType":"bad_data","error":"x"}'), "-b", "--json")
    assert done.returncode == 1 and "bad_data: x" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--prometheus", "ftp://host"], "expected an http:// or https:// URL"),
        (["--prometheus", "localhost:9090"], "expected an http:// or https:// URL"),
        (["--prometheus", "http://h:99x"], "not a valid port"),
        (["--prometheus", "http://h/?q=1"], "without ?query"),
        (["--prometheus", "http://h", "some.log"], "not with PATH"),
        (["--prometheus", "http://h", "--exporter", "9464"], "not with --exporter"),
        (["--prometheus", "http://h", "--replay"], "not with --replay"),
        (["--prometheus", "http://h", "-b", "-d", "1"], "not with -d"),
        (["--prometheus", "http://h", "--config", "x.yaml"], "not with --config"),
        (["--prometheus", "http://h", "--json"], "--json goes with -b"),
    ],
)
def test_usage_errors(args: list[str], said: str) -> None:
    done = run(*args)
    assert done.returncode == 2 and said in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_url_credentials_are_sent_not_shown() -> None:
    base, auth = parse_url("https://me:s%40cret@prom.example:9090/prefix/")
    assert base == "https://prom.example:9090/prefix" and auth == "Basic bWU6c0BjcmV0"


def test_label_values_from_the_server_are_inert(serve: Callable[..., str]) -> None:
    evil = "\x1b]52;c;aGk=\x07host\x1b[2J"
    result = [
        {"metric": {"__name__": "execlog_degraded", "instance": evil, "job": "j[bold]x"}, "value": [0, "0"]},
        {
            "metric": {"__name__": "execlog_alert_firing", "instance": evil, "job": "j[bold]x", "alert": evil},
            "value": [0, "1"],
        },
    ]
    body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}}).encode()
    alert = {"labels": {"alertname": "X[red]", "instance": evil, "job": "j[bold]x", "alert": evil}, "state": "firing"}
    alerts = json.dumps({"status": "success", "data": {"alerts": [alert]}}).encode()
    got = read_fleet(PrometheusClient(serve(200, body, alerts)))
    assert [i.instance for i in got.instances] == [evil]  # the model keeps the text; what is shown escapes it
    assert [(a.name, a.engine, a.prometheus) for a in got.instances[0].alerts] == [(evil, True, "X[red]")]
    shown = "\n".join(text_table(got))
    assert "\x1b" not in shown and "\x07" not in shown and "\\x1b]52;c;aGk=\\x07host" in shown
    assert build_fleet("u", 0.0, {}, []).instances == ()


@PROMETHEUS
def test_an_instance_that_stops_is_down_and_first(fleet: tuple[Any, dict[str, Any], PrometheusClient, Fleet]) -> None:
    """Last in this module: it stops b's exporter."""
    _prom, exporters, client, _got = fleet
    b = exporters["b"].base.removeprefix("http://")
    assert exporters["b"].stop() == 0
    got = poll(settled(client), lambda f: isinstance(f, Fleet) and any(i.up is False for i in f.instances))
    first = got.instances[0]
    assert first.instance == b and first.up is False
    assert first.windows["1m"].requests_per_second is None  # its gauges went stale with the failed scrape
    cells = row_cells(first)
    assert cells["band"] == "✗ down" and cells["state"] == "down" and row_cells(first, narrow=True)["band"] == "✗"
