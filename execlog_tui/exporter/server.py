"""Serving SPEC 11's metrics: `/metrics` (Prometheus text or OpenMetrics, by the Accept header) and
`/-/healthy` over HTTP, and the textfile of a one-shot report for node_exporter's textfile collector."""

from __future__ import annotations

import gzip
import os
import re
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client.exposition import gzip_accepted
from prometheus_client.registry import CollectorRegistry

from execlog_tui.exporter.exposition import render_families
from execlog_tui.exporter.metrics import ExeclogCollector, Scrape

DEFAULT_HOST = "127.0.0.1"  # binding elsewhere is the user's explicit choice (README)
_HOST_PORT = re.compile(r"(?:(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\[\]]+)):)?(?P<port>[0-9]{1,5})")

Reader = Callable[[], "Scrape | None"]  # None: not ready (history still being read)
Health = Callable[[], "str | None"]  # a one-line reason when unhealthy


@dataclass(frozen=True, slots=True)
class ListenAddress:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_listen(text: str) -> ListenAddress:
    """`PORT`, `HOST:PORT` or `[IPv6]:PORT`; the host defaults to 127.0.0.1. ValueError says what is wrong."""
    m = _HOST_PORT.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"expected [HOST:]PORT (9464, 127.0.0.1:9464, [::1]:9464), got {text!r}")
    port = int(m.group("port"))
    if port > 65535:
        raise ValueError(f"a port is 0 to 65535, got {port}")
    return ListenAddress(m.group("v6") or m.group("host") or DEFAULT_HOST, port)


def render(scrape: Scrape, accept: str | None = None) -> tuple[bytes, str]:
    """The exposition of one scrape in the format the Accept header asks for, and its content type."""
    collector = ExeclogCollector(lambda: scrape)

    def registry() -> CollectorRegistry:
        reg = CollectorRegistry(auto_describe=False)
        reg.register(collector)
        return reg

    return render_families(collector.collect, accept, registry)


def write_textfile(path: str, scrape: Scrape) -> None:
    """Write the scrape's exposition to `path` atomically (a temporary file beside it, then a rename):
    node_exporter's textfile collector never reads half a file. The temporary name does not end in
    `.prom`, so the collector ignores it; the file is readable by others (umask permitting), as the
    collector usually runs as another user."""
    data = render(scrape)[0]  # the Prometheus text format, as generate_latest writes it
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class _QuietHandler(WSGIRequestHandler):
    """No request log: the dashboard's terminal is Textual's, and a daemon's stderr is the journal."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow client never holds the process open

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away mid-response is not ours to print


Environ = dict[str, Any]
StartResponse = Callable[..., Any]


class MetricsServer:
    """The HTTP endpoint. `start()` binds (OSError when it cannot: port in use, no such address) and
    serves in a daemon thread; `close()` stops serving and releases the port."""

    def __init__(self, address: ListenAddress, read: Reader, health: Health | None = None) -> None:
        self.address = address
        self.read = read
        self.health = health
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port bound (the one chosen by the system for port 0)."""
        assert self._httpd is not None
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{ListenAddress(self.address.host, self.port)}/metrics"

    def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.address.host else socket.AF_INET
        server_class = type("_BoundServer", (_Server,), {"address_family": family})
        self._httpd = make_server(self.address.host, self.address.port, self.app, server_class, _QuietHandler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="execlog-metrics", daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> MetricsServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --------------------------------------------------------------------------------- the app
    def app(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if method != "GET":
            return self._reply(start_response, "405 Method Not Allowed", b"use GET\n", [("Allow", "GET")])
        if path == "/metrics":
            return self._metrics(environ, start_response)
        if path == "/-/healthy":
            reason = self.health() if self.health is not None else None
            if reason is not None:
                return self._reply(start_response, "503 Service Unavailable", f"unhealthy: {reason}\n".encode())
            return self._reply(start_response, "200 OK", b"execlog-top is Healthy.\n")
        if path == "/":
            return self._reply(start_response, "200 OK", b"execlog-top exporter: /metrics, /-/healthy\n")
        return self._reply(start_response, "404 Not Found", b"not found: try /metrics\n")

    def _metrics(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            scrape = self.read()
            if scrape is None:
                # Gauges are as of T with the history included: until it is read they would be wrong.
                return self._reply(start_response, "503 Service Unavailable", b"reading the history\n")
            body, content_type = render(scrape, environ.get("HTTP_ACCEPT"))
        except Exception as e:  # noqa: BLE001 - a scrape must answer, not kill the thread or print a traceback
            return self._reply(
                start_response, "500 Internal Server Error", f"scrape failed: {type(e).__name__}\n".encode()
            )
        headers = [("Content-Type", content_type)]
        if gzip_accepted(environ.get("HTTP_ACCEPT_ENCODING", "")):
            body = gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        return self._reply(start_response, "200 OK", body, headers)

    @staticmethod
    def _reply(
        start_response: StartResponse, status: str, body: bytes, headers: list[tuple[str, str]] | None = None
    ) -> list[bytes]:
        hs = headers if headers is not None else [("Content-Type", "text/plain; charset=utf-8")]
        start_response(status, [*hs, ("Content-Length", str(len(body)))])
        return [body]
