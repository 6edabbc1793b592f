"""`execlog-top -b -d SECONDS [-n COUNT]`: read the set, follow it, print a report every SECONDS."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

from execlog_tui.core.config import Config
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.report import make_console, print_report
from execlog_tui.session import MonitorSession


def run_follow_batch(args: argparse.Namespace, config: Config) -> int:
    session = MonitorSession(args.paths, config, ring_capacity=1000, line_limit=args.line_limit)
    console = None if args.json else make_console()
    pause = threading.Event()
    session.start()
    try:
        while not session.history_done:
            if session.error:
                print(f"execlog-top: {session.error}", file=sys.stderr)
                return 1
            pause.wait(0.02)
        count = 0
        shown_events = 0
        next_at = time.monotonic()
        while True:
            snap = session.snapshot()
            if args.json:
                doc = snapshot_to_json(snap)
                doc["mode"] = session.mode
                doc["skew_ms"] = session.skew_ms  # newest entry minus the wall clock
                sys.stdout.write(json.dumps(doc) + "\n")
                sys.stdout.flush()
            else:
                assert console is not None
                if count:
                    console.rule()
                if session.mode == "waiting":
                    console.print(f"waiting for {', '.join(session.paths)}")
                skew = session.skew_ms
                if skew is not None and (skew > 1000 or skew < -60_000):
                    where = "ahead of" if skew > 0 else "behind"
                    console.print(f"clock: the newest entry is {abs(skew) / 1000:,.0f} s {where} the wall clock")
                for event in session.events[shown_events:]:
                    console.print(f"event: {event}")
                shown_events = len(session.events)
                print_report(snap, console)
                console.file.flush()
            count += 1
            if args.iterations is not None and count >= args.iterations:
                return 0
            next_at += args.delay
            pause.wait(max(0.0, next_at - time.monotonic()))
    finally:
        session.stop()
