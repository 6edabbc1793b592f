"""`execlog-top -b -d SECONDS [-n COUNT]`: read the set, follow it, print a report every SECONDS."""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO

from execlog_tui.core.sanitize import one_line, print_message
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.pipeline import unread_message
from execlog_tui.report import make_console, print_report
from execlog_tui.session import MonitorSession

RING_CAPACITY = 1000  # -b -d shows no log lines: the session's ring stays small


@dataclass(frozen=True, slots=True)
class FollowBatchOptions:
    """What cli.py reads from `-b -d`: the report every `delay` seconds, `iterations` of them (None:
    until interrupted), as SPEC section 9 JSON lines or text reports (`window`: see report.print_report)."""

    delay: float
    iterations: int | None = None
    json: bool = False
    window: str | None = None  # the text report's critical paths' window (None: 1d)


def _unread_status(session: MonitorSession, err: IO[str]) -> int:
    """1, with one line, when part of the history could not be read: the reports were incomplete."""
    if not session.unread:
        return 0
    print(f"execlog-top: {unread_message(session.unread)}", file=err)
    return 1


def run_follow_batch(
    session: MonitorSession,
    options: FollowBatchOptions,
    *,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Start `session`, print its reports, stop it; returns the exit status. `stop` ends the loop
    early (tests, and callers that run it in a thread)."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    console = None if options.json else make_console(out)
    pause = stop if stop is not None else threading.Event()
    session.start()
    try:
        while not session.history_done:
            if session.error:
                print_message(f"execlog-top: {session.error}", err)
                return 1
            if pause.wait(0.02):
                return 0
        count = 0
        seen_event = 0  # the sequence number of the newest session notice printed
        seen_shrinks = 0
        next_at = time.monotonic()
        while True:
            snap = session.snapshot()
            if options.json:
                doc = snapshot_to_json(snap)
                doc["mode"] = session.mode
                doc["skew_ms"] = session.skew_ms  # newest entry minus the wall clock
                out.write(json.dumps(doc) + "\n")
                out.flush()
            else:
                assert console is not None
                if count:
                    console.rule()
                if session.mode == "waiting":
                    console.print(one_line(f"waiting for {', '.join(session.paths)}"))
                skew = session.skew_ms
                if skew is not None and (skew > 1000 or skew < -60_000):
                    where = "ahead of" if skew > 0 else "behind"
                    console.print(f"clock: the newest entry is {abs(skew) / 1000:,.0f} s {where} the wall clock")
                # By sequence number: the session keeps only its newest notices, and a place in them
                # is never an index (which the trimming would invalidate).
                got = session.events_since(seen_event)
                seen_event = got.seq
                if got.dropped:
                    console.print(f"event: ({got.dropped:,} earlier events dropped: more than the session keeps)")
                for event in got.texts:
                    console.print(one_line(f"event: {event}"))
                if session.memory.shrinks != seen_shrinks:
                    seen_shrinks = session.memory.shrinks
                    console.print(one_line(f"safeguard: {session.memory.message}"))
                print_report(snap, console, options.window)
                console.file.flush()
            count += 1
            if options.iterations is not None and count >= options.iterations:
                return _unread_status(session, err)
            next_at += options.delay
            if pause.wait(max(0.0, next_at - time.monotonic())):
                return _unread_status(session, err)
    finally:
        session.stop()
