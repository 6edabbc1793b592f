"""A service-like writer for the follower's real-process tests and benchmark (run as a script).

Writes numbered lines at a steady rate to a log file opened with O_APPEND and reopens it after rotation
as a service would: on SIGHUP (logrotate's postrotate), or when the name's inode changed (`--inode`).
Each line carries its sequence number and the CLOCK_MONOTONIC time it was written (t=ns), so a reader
can measure delay. Prints the number of lines written when done.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--rate", type=float, default=20_000.0, help="lines per second")
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--inode", action="store_true", help="reopen when the name points to another inode")
    ap.add_argument("--pidfile")
    ap.add_argument("--tick", type=float, default=0.002, help="seconds between writes")
    ap.add_argument("--pad", type=int, default=40)
    args = ap.parse_args()
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write(str(os.getpid()))
    reopen = False

    def on_hup(_sig: int, _frame: object) -> None:
        nonlocal reopen
        reopen = True

    signal.signal(signal.SIGHUP, on_hup)
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    fd = os.open(args.path, flags, 0o644)
    pad = "x" * args.pad
    seq = 0
    start = time.monotonic()
    end = start + args.seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - start) * args.rate)
        if due > seq:
            t = time.monotonic_ns()
            chunk = "".join(
                f"2025-09-09T10:00:00.000Z|API|CALL|1|SUCCESS|seq={i} t={t} {pad}\n" for i in range(seq, due)
            )
            os.write(fd, chunk.encode())
            seq = due
        if args.inode:
            try:
                if os.stat(args.path).st_ino != os.fstat(fd).st_ino:
                    reopen = True
            except FileNotFoundError:
                pass  # between logrotate's rename and create: keep writing the old file
        if reopen and os.path.exists(args.path):
            reopen = False
            os.close(fd)
            fd = os.open(args.path, flags, 0o644)
        time.sleep(args.tick)
    os.close(fd)
    print(seq)
    return 0


if __name__ == "__main__":
    sys.exit(main())
