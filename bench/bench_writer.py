"""Lines/s of ExecutionLogger against logging.handlers.RotatingFileHandler, same lines, same run.

    python3 bench/bench_writer.py [--lines N] [--max-bytes B]

Both sides write the same pipe-delimited lines into a temporary directory with the same max_bytes.
RotatingFileHandler is driven the way a service would use it (logger.info with `extra`, a Formatter
producing the same line); ExecutionLogger is measured through `.log()` (with and without the
per-line inter-process lock) and through `ExecutionLogHandler` on `logging`.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from execlog_tui.writer import ExecutionLogger, ExecutionLogHandler  # noqa: E402

DETAILS = "Looking for template_greeting user=u3 rss_mb=47.2"


def run_threads(threads: int, total: int, write) -> float:
    per = total // threads

    def work(tid: int) -> None:
        for i in range(per):
            write(i)

    start = time.perf_counter()
    if threads == 1:
        work(0)
    else:
        ts = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    return per * threads / (time.perf_counter() - start)


def bench_rfh(directory: str, threads: int, total: int, max_bytes: int) -> float:
    handler = logging.handlers.RotatingFileHandler(
        os.path.join(directory, "rfh.log"), maxBytes=max_bytes, backupCount=1000
    )
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s.%(msecs)03dZ|%(component)s|%(action)s|%(duration_ms)s|%(status)s|%(message)s",
            datefmt="%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.formatter.converter = time.gmtime  # type: ignore[union-attr]
    logger = logging.getLogger(f"bench.rfh.{threads}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    extra = {"component": "CACHE", "action": "LOOKUP", "duration_ms": 1, "status": "SUCCESS"}
    rate = run_threads(threads, total, lambda i: logger.info(DETAILS, extra=extra))
    logger.removeHandler(handler)
    handler.close()
    return rate


def bench_ours(directory: str, threads: int, total: int, max_bytes: int, multiprocess: bool) -> float:
    path = os.path.join(directory, f"ours-{threads}-{multiprocess}.log")
    log = ExecutionLogger(path, max_bytes=max_bytes, backups=1000, multiprocess=multiprocess)
    rate = run_threads(threads, total, lambda i: log.log("CACHE", "LOOKUP", 1, "SUCCESS", DETAILS))
    log.close()
    return rate


def bench_handler(directory: str, threads: int, total: int, max_bytes: int) -> float:
    handler = ExecutionLogHandler(path=os.path.join(directory, f"h-{threads}.log"), max_bytes=max_bytes, backups=1000)
    logger = logging.getLogger(f"bench.handler.{threads}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    extra = {"component": "CACHE", "action": "LOOKUP", "duration_ms": 1, "status": "SUCCESS"}
    rate = run_threads(threads, total, lambda i: logger.info(DETAILS, extra=extra))
    logger.removeHandler(handler)
    handler.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--max-bytes", type=int, default=4 * 1024 * 1024)
    args = parser.parse_args()
    print(f"{args.lines} lines per case, max_bytes={args.max_bytes}, python {sys.version.split()[0]}")
    print(f"{'case':44} {'1 thread':>14} {'4 threads':>14}")
    with tempfile.TemporaryDirectory() as directory:
        base = {t: bench_rfh(directory, t, args.lines, args.max_bytes) for t in (1, 4)}
        print(f"{'RotatingFileHandler (baseline)':44} {base[1]:>10,.0f}/s {base[4]:>10,.0f}/s")
        cases = [
            (
                "ExecutionLogger.log, multiprocess=True",
                lambda t: bench_ours(directory, t, args.lines, args.max_bytes, True),
            ),
            (
                "ExecutionLogger.log, multiprocess=False",
                lambda t: bench_ours(directory, t, args.lines, args.max_bytes, False),
            ),
            ("logging + ExecutionLogHandler", lambda t: bench_handler(directory, t, args.lines, args.max_bytes)),
        ]
        for name, fn in cases:
            r = {t: fn(t) for t in (1, 4)}
            print(f"{name:44} {r[1]:>10,.0f}/s {r[4]:>10,.0f}/s   ratio x{r[1] / base[1]:.2f} / x{r[4] / base[4]:.2f}")


if __name__ == "__main__":
    main()
