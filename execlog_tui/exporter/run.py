"""`execlog-top --exporter [HOST:]PORT PATH...`: headless, history then following, serving the metrics."""

from __future__ import annotations

import sys
import threading
from typing import IO

from execlog_tui.core.sanitize import print_message
from execlog_tui.exporter.metrics import session_health, session_reader
from execlog_tui.exporter.server import ListenAddress, MetricsServer
from execlog_tui.pipeline import unread_message
from execlog_tui.session import MonitorSession

RING_CAPACITY = 1000  # the exporter shows no log lines: the session's ring stays small
POLL_S = 0.5


class ListenError(Exception):
    """The address cannot be listened on (in use, not an address of this host): one line, exit 2."""


def metrics_server(session: MonitorSession, address: ListenAddress) -> MetricsServer:
    """A started server for `session`'s metrics; ListenError when it cannot bind."""
    server = MetricsServer(address, session_reader(session), session_health(session))
    try:
        server.start()
    except OSError as e:
        reason = e.strerror or str(e) or type(e).__name__
        raise ListenError(f"cannot listen on {address}: {reason}") from None
    return server


def run_exporter(
    session: MonitorSession,
    address: ListenAddress,
    *,
    err: IO[str] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Serve `session`'s metrics until `stop` is set (or the process is told to stop: the caller's
    signal handler raises out of the wait and `finally` closes both). The session's notices go to
    `err`, one line each (a daemon's stderr is its log). ListenError before anything is read."""
    err = err if err is not None else sys.stderr
    halt = stop if stop is not None else threading.Event()
    server = metrics_server(session, address)
    try:
        print_message(f"execlog-top: serving {server.url} (and /-/healthy)", err)
        session.start()
        seen = 0
        told_unread = False
        while not halt.wait(POLL_S):
            got = session.events_since(seen)
            seen = got.seq
            for text in got.texts:
                print_message(f"execlog-top: {text}", err)
            if session.history_done and session.unread and not told_unread:
                told_unread = True
                print_message(f"execlog-top: {unread_message(session.unread)}", err)
            if session.error:
                # The worker stopped: the figures would freeze. Exit, so a supervisor restarts it.
                print_message(f"execlog-top: {session.error}", err)
                return 1
        return 0
    finally:
        server.close()
        session.stop()
