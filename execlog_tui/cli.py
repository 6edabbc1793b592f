"""The `execlog-top` command: argument parsing and dispatch to batch mode, the dashboard or the demo."""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from execlog_tui import __version__
from execlog_tui.core.sanitize import print_message, sanitize

if TYPE_CHECKING:
    from execlog_tui.cache.options import CacheOptions
    from execlog_tui.core.config import Config
    from execlog_tui.session import Session

EXIT_OK, EXIT_NO_INPUT, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or configuration: exit status 2 with this one-line message."""


class NoInputError(Exception):
    """No input could be read: exit status 1 with this one-line message."""


class Terminated(SystemExit):
    """SIGTERM or SIGHUP (a closed SSH session): unwind so every `with` cleans up (the demo's directory)."""


EXIT_SIGNAL = 128  # plus the signal's number, as a shell reports it
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
DEFAULT_THEME = "dark"  # the dashboard's theme unless --theme says otherwise


def _on_stop_signal(signum: int, _frame: object) -> None:
    raise Terminated(EXIT_SIGNAL + signum)


def _install_stop_signals() -> None:
    for signum in _STOP_SIGNALS:
        try:
            if signal.getsignal(signum) is signal.SIG_DFL:
                signal.signal(signum, _on_stop_signal)
        except (ValueError, OSError):  # not the main thread (a test calling main), or no such signal
            pass


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


MAX_DELAY_S = 86_400.0  # -d: at most a report a day (a longer wait overflows the platform's timers)


def _delay(text: str) -> float:
    value = _positive_float(text)
    if value > MAX_DELAY_S:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_DELAY_S:,.0f} seconds (a day), got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see execlog-top --help)")


def build_parser() -> argparse.ArgumentParser:
    from execlog_tui.core.windows import WINDOW_NAMES

    p = _Parser(
        prog="execlog-top",
        description="Monitor an execution log (timestamp|component|action|duration_ms|status|details) "
        "and its rotated archives.",
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a log file (its rotated set is found beside it) or a directory; default ./execution.log",
    )
    p.add_argument("-b", "--batch", action="store_true", help="print a report instead of the dashboard")
    p.add_argument("--json", action="store_true", help="with -b: print SPEC section 9 JSON")
    p.add_argument("--at", metavar="TIME", help="with -b: the report as of TIME (ISO timestamp or time of day, UTC)")
    p.add_argument(
        "-d",
        "--delay",
        type=_delay,
        metavar="SECONDS",
        help="with -b: follow the live file and print a report every SECONDS",
    )
    p.add_argument(
        "-n", "--iterations", type=_positive_int, metavar="COUNT", help="with -b -d: stop after COUNT reports"
    )
    p.add_argument("--config", metavar="FILE", help="a YAML configuration (see execlog.example.yaml)")
    p.add_argument(
        "--query",
        metavar="NAME|SQL",
        help="run a report (performance, error_rate, cache_efficiency, user_patterns, bottlenecks, critical_paths) "
        "or SQL over the table `entries` and print the result",
    )
    p.add_argument(
        "--format", choices=("table", "csv", "json", "jsontable"), default="table", help="with --query: output format"
    )
    p.add_argument(
        "--window",
        choices=WINDOW_NAMES,
        help="with --query: only the last window as of the newest entry; with --evidence: the figure's window; "
        "with -b: the critical paths' stages' window (default 1d)",
    )
    p.add_argument(
        "--evidence",
        metavar="FIGURE",
        help="with -b: print the entries behind FIGURE (error_rate, response_time, p95, cache_hit_rate, memory, "
        "bootstrap, requests, component:NAME, breaker:NAME, alert:NAME, stage:PATH:CHECKPOINT, run:PATH) "
        "with file:line",
    )
    p.add_argument(
        "--limit", type=_positive_int, metavar="N", help="with --evidence: print at most N entries (default 1000)"
    )
    p.add_argument(
        "--replay", action="store_true", help="play the set back on a virtual clock (keys: space [ ] , . < > t)"
    )
    p.add_argument("--speed", default="1", metavar="X", help="with --replay: 1, 10, 60, 600 or max (default 1)")
    p.add_argument(
        "--from", dest="from_", metavar="TIME", help="with --replay: start at TIME (ISO timestamp or time of day, UTC)"
    )
    p.add_argument("--to", metavar="TIME", help="with --replay: stop at TIME")
    p.add_argument("--demo", action="store_true", help="run a simulated service writing a rotating log, and monitor it")
    p.add_argument(
        "--theme",
        metavar="NAME|FILE",
        default="dark",
        help="dashboard theme (dark, light, high-contrast, monochrome or a YAML file)",
    )
    p.add_argument(
        "--refresh", type=_positive_float, default=4.0, metavar="HZ", help="dashboard redraws per second (default 4)"
    )
    p.add_argument(
        "--buffer",
        type=_positive_int,
        default=100_000,
        metavar="N",
        help="entries kept for the log view (default 100000)",
    )
    p.add_argument(
        "--line-limit", type=_positive_int, default=64 * 1024, metavar="BYTES", help="cut longer lines (default 65536)"
    )
    # SPEC 12: data derived from the archives, kept between runs.
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="where derived data is kept (default $XDG_CACHE_HOME/execlog-top, else ~/.cache/execlog-top)",
    )
    p.add_argument("--no-cache", action="store_true", help="neither read nor keep derived data")
    p.add_argument(
        "--cache-max",
        type=_positive_int,
        metavar="MB",
        help="size limit of the kept data (default a quarter of the archives' uncompressed size, at least 64 MB)",
    )
    p.add_argument(
        "--jobs",
        type=_positive_int,
        metavar="N",
        help="processes reading archives on a cold start (default: the cores, at most 4; 1 reads in this one)",
    )
    p.add_argument(
        "--export",
        nargs=2,
        metavar=("FORMAT", "DIR"),
        help="write the entries of PATH... to DIR as Hive-partitioned files (FORMAT parquet: DIR/date=YYYY-MM-DD/, "
        "parse errors in DIR/parse_errors/) and exit",
    )
    p.add_argument("--cache-info", action="store_true", help="print what the cache holds and exit")
    p.add_argument("--cache-clear", action="store_true", help="remove what the cache holds and exit")
    # SPEC 11: the figures for Prometheus.
    p.add_argument(
        "--exporter",
        metavar="[HOST:]PORT",
        help="headless: read the history, follow, and serve /metrics (Prometheus text or OpenMetrics) and "
        "/-/healthy on HOST:PORT (default host 127.0.0.1)",
    )
    p.add_argument(
        "--metrics-listen",
        metavar="[HOST:]PORT",
        help="with the dashboard or -b -d: serve /metrics and /-/healthy while it runs (default host 127.0.0.1)",
    )
    p.add_argument(
        "--textfile",
        metavar="FILE",
        help="with -b: write the gauges to FILE atomically (node_exporter's textfile collector: FILE.prom) "
        "instead of the report",
    )
    p.add_argument(
        "--prometheus-rules",
        action="store_true",
        help="print a Prometheus rules file: the configuration's alerts over the gauges, and fleet recording rules",
    )
    p.add_argument(
        "--grafana-dashboard",
        action="store_true",
        help="print a Grafana dashboard (JSON) over the metrics: a row per figure, the instance as a variable",
    )
    p.add_argument(
        "--prometheus",
        metavar="URL",
        help="the fleet screen: one row per instance as the Prometheus at URL holds SPEC 11's metrics, worst "
        "band first (with -b: a text table, -b --json: JSON)",
    )
    p.add_argument("--version", action="version", version=f"execlog-top {__version__}")
    return p


def _listen_address(option: str, text: str):  # noqa: ANN202 - ListenAddress, imported lazily
    from execlog_tui.exporter.server import parse_listen

    try:
        return parse_listen(text)
    except ValueError as e:
        raise UsageError(f"{option}: {e}") from None


def _check_metrics_options(args: argparse.Namespace) -> None:
    """Which modes the Prometheus options go with (SPEC 11); UsageError otherwise."""
    if args.exporter is not None:
        others = [
            name
            for name, given in (
                ("-b", args.batch),
                ("--replay", args.replay),
                ("--query", args.query is not None),
                ("--evidence", args.evidence is not None),
                ("--demo", args.demo),
                ("--metrics-listen", args.metrics_listen is not None),
                ("--textfile", args.textfile is not None),
                ("--prometheus-rules", args.prometheus_rules),
                ("--grafana-dashboard", args.grafana_dashboard),
            )
            if given
        ]
        if others:
            raise UsageError(f"--exporter runs on its own: not with {', '.join(others)}")
    if args.metrics_listen is not None and (
        args.replay or args.query is not None or args.evidence is not None or (args.batch and args.delay is None)
    ):
        raise UsageError("--metrics-listen goes with the live dashboard or -b -d (use --textfile for one -b report)")
    if args.textfile is not None:
        if not args.batch or args.delay is not None or args.query is not None or args.evidence is not None:
            raise UsageError("--textfile FILE goes with a single -b report (use --metrics-listen with -b -d)")
        if args.json:
            raise UsageError("--textfile and --json are two different outputs: give one")
    for given, option, what in (
        (args.prometheus_rules, "--prometheus-rules", "the rules"),
        (args.grafana_dashboard, "--grafana-dashboard", "the dashboard"),
    ):
        if given and (args.paths or args.batch or args.replay or args.query is not None or args.demo):
            raise UsageError(f"{option} prints {what} of a configuration (--config FILE): no PATH or mode")
    if args.prometheus_rules and args.grafana_dashboard:
        raise UsageError("--prometheus-rules and --grafana-dashboard are two different outputs: give one")


def _check_prometheus_options(args: argparse.Namespace) -> None:
    """`--prometheus URL` reads Prometheus, not a log: no PATH, no other mode; UsageError otherwise."""
    from execlog_tui.fleet.client import parse_url

    try:
        parse_url(args.prometheus)
    except ValueError as e:
        raise UsageError(f"--prometheus: {e}") from None
    others = [
        name
        for name, given in (
            ("PATH", bool(args.paths)),
            ("--replay", args.replay),
            ("--query", args.query is not None),
            ("--evidence", args.evidence is not None),
            ("--demo", args.demo),
            ("--exporter", args.exporter is not None),
            ("--metrics-listen", args.metrics_listen is not None),
            ("--textfile", args.textfile is not None),
            ("--prometheus-rules", args.prometheus_rules),
            ("--grafana-dashboard", args.grafana_dashboard),
            ("-d", args.delay is not None),
            ("--at", args.at is not None),
            ("--config", args.config is not None),
        )
        if given
    ]
    if others:
        raise UsageError(
            f"--prometheus URL reads the instances' figures and bands from Prometheus: not with {', '.join(others)}"
        )


def run_fleet(args: argparse.Namespace) -> int:
    """`--prometheus URL`: the fleet screen; with -b its twin, a text table (or --json), once."""
    from execlog_tui.fleet.client import PrometheusClient, PrometheusError
    from execlog_tui.fleet.model import read_fleet

    client = PrometheusClient(args.prometheus)
    if args.batch:
        from execlog_tui.fleet.table import fleet_json, text_table

        try:
            fleet = read_fleet(client)
        except PrometheusError as e:
            raise NoInputError(str(e)) from None
        if args.json:
            sys.stdout.write(json.dumps(fleet_json(fleet)) + "\n")
        else:
            sys.stdout.write("".join(line + "\n" for line in text_table(fleet)))
        return EXIT_OK
    if not (0.1 <= args.refresh <= 60):
        raise UsageError(f"--refresh must be between 0.1 and 60 per second, got {args.refresh}")
    from execlog_tui.ui.fleet import make_fleet_app

    theme = _dashboard_theme(args.theme or DEFAULT_THEME)
    app = make_fleet_app(client.url, lambda: read_fleet(client), theme=theme, refresh_hz=args.refresh)
    try:
        return int(app.run() or 0)
    finally:
        _install_stop_signals()


def run_exporter_cli(args: argparse.Namespace) -> int:
    """`--exporter [HOST:]PORT PATH...`: headless, serving SPEC 11's metrics until SIGTERM (exit 0)."""
    from execlog_tui.exporter.run import RING_CAPACITY, ListenError, run_exporter
    from execlog_tui.session import MonitorSession

    address = _listen_address("--exporter", args.exporter)
    config = _load_config(args.config)
    _check_waitable(args.paths)
    check_alert_log(config, args.paths or [])
    session = MonitorSession(
        args.paths,
        config,
        ring_capacity=RING_CAPACITY,
        line_limit=args.line_limit,
        counting=True,
        cache=cache_options(args),
    )
    try:
        return run_exporter(session, address)
    except ListenError as e:
        raise UsageError(str(e)) from None
    except (Terminated, KeyboardInterrupt):
        return EXIT_OK  # the way a service is stopped: a clean exit, the port released


def _serving(session: object, listen: str | None, announce: bool = False):  # noqa: ANN202 - MetricsServer | None
    """`--metrics-listen`: a started server for a live session (UsageError when it cannot bind); with
    `announce`, its address on stderr (not under the dashboard, whose terminal is Textual's)."""
    if listen is None:
        return None
    from execlog_tui.exporter.run import ListenError, metrics_server
    from execlog_tui.session import MonitorSession

    address = _listen_address("--metrics-listen", listen)
    assert isinstance(session, MonitorSession)
    try:
        server = metrics_server(session, address)
    except ListenError as e:
        raise UsageError(str(e)) from None
    if announce:
        print_message(f"execlog-top: serving {server.url} (and /-/healthy)")
    return server


def run_grafana_dashboard(args: argparse.Namespace) -> int:
    from execlog_tui.exporter.grafana import dashboard_json

    sys.stdout.write(dashboard_json(_load_config(args.config)))
    return EXIT_OK


def run_prometheus_rules(args: argparse.Namespace) -> int:
    from execlog_tui.exporter.rules import rules_yaml

    sys.stdout.write(rules_yaml(_load_config(args.config)))
    return EXIT_OK


def _load_config(path: str | None):  # noqa: ANN202 - Config, imported lazily
    from execlog_tui.core.config import Config

    if path is None:
        return Config()  # no YAML parser to import
    from execlog_tui.core.config_file import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as e:
        raise UsageError(str(e)) from None


def _discover(paths: list[str]):  # noqa: ANN202
    from execlog_tui.sources.logset import SourceError, discover

    try:
        return discover(paths or ["execution.log"])
    except SourceError as e:
        raise NoInputError(str(e)) from None


def _check_waitable(paths: list[str]) -> None:
    """A live monitor waits for a missing file to appear, but only where it can appear: a path whose
    directory does not exist is a typo, said at once instead of a screen that waits forever."""
    from pathlib import Path

    from execlog_tui.core.sanitize import sanitize

    for text in paths or ["execution.log"]:
        path = Path(text)
        if not path.exists() and not path.parent.exists():
            raise NoInputError(
                f"{sanitize(text)}: no such file, and no directory {sanitize(str(path.parent))} for it to appear in"
            )


def check_alert_log(config: Config, paths: Sequence[str]) -> None:
    """SPEC 7: the alert log is written in the log format; inside a watched log set the monitor would
    read its own alerts back as entries. UsageError when it would be (a member of a set, or a file of a
    directory watched for every set in it)."""
    from execlog_tui.core.sanitize import sanitize
    from execlog_tui.sources.logset import DEFAULT_NAME, SourceError, discover, rotated_member

    mon = config.monitoring
    if mon.alert_log is None or "log_file" not in mon.channels:
        return
    alert = Path(os.path.realpath(os.path.expanduser(mon.alert_log)))
    try:
        sets = discover(list(paths) or [DEFAULT_NAME])
    except SourceError:
        return  # no input: reported by the caller
    dirs = {os.path.realpath(p) for p in paths if os.path.isdir(p)}
    for s in sets:
        directory = Path(os.path.realpath(s.directory))
        if directory != alert.parent:
            continue
        every_set = str(directory) in dirs and s.name != DEFAULT_NAME
        if alert.name == s.name or rotated_member(alert.name, s.name) is not None or every_set:
            raise UsageError(
                f"the alert log {sanitize(str(alert))} is inside the watched log set {sanitize(str(s.live))}: "
                "its alerts would be read back as entries (set MONITORING.alerts.log_file_path elsewhere)"
            )


def max_buffer_lines(config: Config) -> int:
    """The largest --buffer the memory limit allows up front: a buffered line costs about 130 bytes
    (README), and the buffer may take at most half of SAFEGUARDS.memory_protection.limit."""
    return max(1_000, int(config.safeguards.memory_limit_mb * 1024 * 1024) // 2 // 128)


def cache_options(args: argparse.Namespace) -> CacheOptions:
    from execlog_tui.cache.options import CacheOptions

    return CacheOptions(
        directory=getattr(args, "cache_dir", None),
        enabled=not getattr(args, "no_cache", False),
        max_mb=getattr(args, "cache_max", None),
        jobs=getattr(args, "jobs", None),
    )


# The query screen runs `--query` in a child process of the dashboard: the dashboard's own cache options
# (--no-cache, --cache-dir, --cache-max) reach that child through this variable, unless it is given its own.
QUERY_CACHE_ENV = "EXECLOG_TUI_QUERY_CACHE"


def pass_cache_options(args: argparse.Namespace) -> None:
    """Hand the cache options to the child processes that run queries (the query screen's)."""
    if args.no_cache:
        os.environ[QUERY_CACHE_ENV] = json.dumps({"off": True})
    elif args.cache_dir or args.cache_max is not None:
        directory = str(Path(args.cache_dir).expanduser().resolve()) if args.cache_dir else None
        os.environ[QUERY_CACHE_ENV] = json.dumps({"dir": directory, "max": args.cache_max})


def _query_store(args: argparse.Namespace) -> Any:
    """The store of --query's columnar copies (SPEC 12), or None (--no-cache, or no set to size it by)."""
    from execlog_tui.sources.logset import SourceError, discover, member_bytes

    inherited = os.environ.get(QUERY_CACHE_ENV)
    if inherited and not (args.no_cache or args.cache_dir or args.cache_max is not None):
        try:
            given = json.loads(inherited)
            args = argparse.Namespace(
                **{
                    **vars(args),
                    "no_cache": bool(given.get("off")),
                    "cache_dir": given.get("dir"),
                    "cache_max": given.get("max"),
                }
            )
        except (ValueError, AttributeError, TypeError):
            pass  # not ours: the defaults
    try:
        sets = discover(args.paths or ["execution.log"])
    except SourceError:
        return None  # run_query says why
    return cache_options(args).store(sum(member_bytes(m) for s in sets for m in s.archives))


def run_cache_command(args: argparse.Namespace) -> int:
    """--cache-info and --cache-clear."""
    store = cache_options(args).store()
    if store is None:
        raise UsageError("--cache-info and --cache-clear need the cache (not --no-cache)")
    if args.cache_clear:
        removed = store.clear()
        print(f"removed {removed / 1e6:,.1f} MB from {sanitize(str(store.dir))}")
        return 0
    infos = store.info()
    total = sum(i.bytes for i in infos)
    print(f"cache: {sanitize(str(store.dir))}")
    for i in infos:
        print(f"  {i.kind:8} {i.items:6,} items {i.bytes / 1e6:10,.1f} MB")
    print(f"  {'total':8} {sum(i.items for i in infos):6,} items {total / 1e6:10,.1f} MB")
    return 0


def run_batch(args: argparse.Namespace) -> int:
    from execlog_tui.core.engine import MetricsEngine
    from execlog_tui.core.snapshot import snapshot_to_json
    from execlog_tui.core.timefmt import parse_user_time
    from execlog_tui.pipeline import newest_entry_ts, read_history

    config = _load_config(args.config)
    if args.delay is not None:
        from execlog_tui.follow_batch import RING_CAPACITY, FollowBatchOptions, run_follow_batch
        from execlog_tui.session import MonitorSession

        _check_waitable(args.paths)
        check_alert_log(config, args.paths or [])
        session = MonitorSession(
            args.paths,
            config,
            ring_capacity=RING_CAPACITY,
            line_limit=args.line_limit,
            counting=args.metrics_listen is not None,
            cache=cache_options(args),
        )
        server = _serving(session, args.metrics_listen, announce=True)
        try:
            return run_follow_batch(
                session,
                FollowBatchOptions(delay=args.delay, iterations=args.iterations, json=args.json, window=args.window),
            )
        finally:
            if server is not None:
                server.close()
    sets = _discover(args.paths)
    if not any(s.members for s in sets):
        raise NoInputError(f"no log found at {', '.join(args.paths or ['execution.log'])}")
    engine = MetricsEngine(config)
    until = None
    if args.at:
        try:
            until = parse_user_time(args.at, newest_entry_ts(sets, engine.is_future))
        except ValueError as e:
            raise UsageError(f"--at: {e}") from None
    from execlog_tui.cache.plans import plans_for

    plans = plans_for(cache_options(args), engine.config, args.line_limit, sets) if until is None else None
    result = read_history(sets, engine, until=until, line_limit=args.line_limit, plans=plans)
    if not result.readable:
        raise NoInputError(f"could not read any log file in {', '.join(args.paths or ['execution.log'])}")
    snap = engine.snapshot(as_of=until)
    if args.textfile is not None:
        from execlog_tui.core.counters import first_components
        from execlog_tui.exporter.metrics import Scrape
        from execlog_tui.exporter.server import write_textfile

        try:
            # A one-shot report writes the gauges only (SPEC 11): no counters.
            write_textfile(args.textfile, Scrape(snap, first_components(engine.components), None))
        except OSError as e:
            raise NoInputError(f"cannot write {args.textfile}: {e.strerror or e}") from None
    elif args.json:
        sys.stdout.write(json.dumps(snapshot_to_json(snap)) + "\n")
    else:
        from execlog_tui.report import make_console, print_report  # rich only for the text report

        print_report(snap, make_console(), args.window)
    if result.unread:
        # The report above is of what could be read; saying so is not enough: the status fails too.
        from execlog_tui.pipeline import unread_message

        print(f"execlog-top: {unread_message(result.unread)}", file=sys.stderr)
        return EXIT_NO_INPUT
    if snap.source.entries == 0 and snap.source.parse_errors:
        # Every line was a parse error: most likely not an execution log at all. The report says what
        # was read; the status and this line say that none of it could be used.
        print(f"execlog-top: {_nothing_parsed(snap.source.parse_errors, args.paths)}", file=sys.stderr)
        return EXIT_NO_INPUT
    return EXIT_OK


def _nothing_parsed(lines: int, paths: list[str]) -> str:
    from execlog_tui.core.sanitize import sanitize

    where = sanitize(", ".join(paths or ["execution.log"]))
    return (
        f"nothing in {where} looks like an execution log: {lines:,} line{'s' if lines != 1 else ''}, none of the"
        " form timestamp|component|action|duration_ms|status|details"
    )


def run_evidence(args: argparse.Namespace) -> int:
    """`-b --evidence FIGURE`: the entries a figure of the `-b` report counted, in log order."""
    from execlog_tui.core.timefmt import parse_user_time
    from execlog_tui.evidence import DEFAULT_LIMIT, EvidenceError, collect_batch, format_rows, parse_figure, summary
    from execlog_tui.pipeline import newest_entry_ts

    try:
        parse_figure(args.evidence)  # a bad figure is told before anything is read
    except EvidenceError as e:
        raise UsageError(f"--evidence: {e}") from None
    config = _load_config(args.config)
    sets = _discover(args.paths)
    if not any(s.members for s in sets):
        raise NoInputError(f"no log found at {', '.join(args.paths or ['execution.log'])}")
    until = None
    if args.at:
        try:
            until = parse_user_time(args.at, newest_entry_ts(sets))
        except ValueError as e:
            raise UsageError(f"--at: {e}") from None
    try:
        result, _snap = collect_batch(
            sets, config, args.evidence, args.window, until, args.limit or DEFAULT_LIMIT, args.line_limit
        )
    except EvidenceError as e:
        raise UsageError(f"--evidence: {e}") from None
    if args.json:
        sys.stdout.write(json.dumps(result.to_json()) + "\n")
    else:
        out = sys.stdout
        for line in format_rows(result):
            out.write(line + "\n")
        print(summary(result), file=sys.stderr)
    return EXIT_OK


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    speed: str = "1"  # 1, 10, 60, 600 or max
    start: str | None = None  # --from
    end: str | None = None  # --to


@dataclass(frozen=True, slots=True)
class DashboardOptions:
    """The dashboard's options, typed: what `build_session` and `make_app` are called with."""

    paths: tuple[str, ...]
    theme: str = DEFAULT_THEME
    refresh_hz: float = 4.0
    ring_capacity: int = 100_000
    line_limit: int = 64 * 1024
    replay: ReplayOptions | None = None
    counting: bool = False  # SPEC 11's counters while following (--metrics-listen)
    cache: CacheOptions | None = None  # SPEC 12: the history's archives (None: read them all)

    @classmethod
    def from_args(cls, args: argparse.Namespace, paths: list[str] | None = None) -> DashboardOptions:
        replay = ReplayOptions(speed=str(args.speed or "1"), start=args.from_, end=args.to) if args.replay else None
        return cls(
            paths=tuple(paths if paths is not None else (args.paths or ["execution.log"])),
            theme=args.theme or DEFAULT_THEME,
            refresh_hz=float(args.refresh or 4.0),
            ring_capacity=int(args.buffer or 100_000),
            line_limit=int(args.line_limit),
            replay=replay,
            counting=getattr(args, "metrics_listen", None) is not None,
            cache=cache_options(args),
        )


def build_session(options: DashboardOptions, config: Config) -> Session:
    """The dashboard's session: a replay's, or the live one (history, then following).
    UsageError for a bad --speed/--from/--to, NoInputError when a replay finds no log."""
    if options.replay is None:
        from execlog_tui.session import MonitorSession

        return MonitorSession(
            list(options.paths),
            config,
            ring_capacity=options.ring_capacity,
            line_limit=options.line_limit,
            counting=options.counting,
            cache=options.cache,
            history_process=True,
            fork_history=True,
        )
    from execlog_tui.replay.clock import parse_speed
    from execlog_tui.replay.session import ReplaySession
    from execlog_tui.sources.logset import SourceError

    try:
        speed = parse_speed(options.replay.speed)
        return ReplaySession(
            list(options.paths),
            config,
            speed=speed,
            start=options.replay.start,
            end=options.replay.end,
            ring_capacity=options.ring_capacity,
            line_limit=options.line_limit,
            cache=options.cache,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except SourceError as exc:
        raise NoInputError(str(exc)) from None


def run_dashboard(args: argparse.Namespace, paths: list[str] | None = None) -> int:
    """The composition root of the dashboard: typed options, the session, `make_app`, run."""
    # No garbage collection until the first frame: the start makes ~300,000 objects (modules, the
    # interface, the history's state), nearly all for good, and the collector's 160 passes over them
    # took ~35 ms of it. What the start made is then frozen: never scanned again (`_first_frame`).
    gc.disable()
    try:
        return _run_dashboard(args, paths)
    finally:
        gc.enable()  # whatever ended the dashboard, even before its first frame


def _run_dashboard(args: argparse.Namespace, paths: list[str] | None) -> int:
    config = _load_config(args.config)
    options = DashboardOptions.from_args(args, paths)
    if not (0.1 <= options.refresh_hz <= 60):
        raise UsageError(f"--refresh must be between 0.1 and 60 per second, got {options.refresh_hz}")
    most = max_buffer_lines(config)
    if options.ring_capacity > most:
        # Bounded up front: the memory safeguard acts only once RSS is past the limit, after the
        # history has filled the buffer (5,000,000 lines peaked at 745 MB).
        raise UsageError(
            f"--buffer {options.ring_capacity}: at most {most:,} lines with a memory limit of "
            f"{config.safeguards.memory_limit_mb:g} MB (SAFEGUARDS.memory_protection.limit; raise it to keep more)"
        )
    if options.replay is None:
        check_alert_log(config, options.paths)
        _check_waitable(list(options.paths))
    if "-" in options.paths:
        _stdin_off_the_terminal()
    session = build_session(options, config)
    if options.replay is None:
        from execlog_tui.cache.plans import prepare_workers

        prepare_workers()  # the history's child process (and the cache's workers) start under Textual
    # A theme asked for is checked before anything is read (a bad one is refused at once); the
    # default's import overlaps the history's start.
    theme = _dashboard_theme(options.theme) if options.theme != DEFAULT_THEME else None
    # The history is read while the interface is imported and laid out (a third of a second): with a
    # warm cache the first frame already has the archives' figures. Started before the exporter's
    # server thread, so that the history's child is forked from a process with one thread.
    session.start()
    server = None
    try:
        server = _serving(session, getattr(args, "metrics_listen", None))
        try:
            from execlog_tui.ui.app import make_app
        except ImportError as e:  # pragma: no cover - textual is a dependency
            raise UsageError(f"the dashboard is not available: {e}") from None
        if theme is None:
            theme = _dashboard_theme(DEFAULT_THEME)
        app = make_app(
            session,
            config=config,
            theme=theme,
            refresh_hz=options.refresh_hz,
            start_session=False,
            on_first_frame=_first_frame,
        )
        return int(app.run() or 0)
    finally:
        if server is not None:
            server.close()
        session.stop()
        _install_stop_signals()  # the app's loop handled them while it ran and restored the default


def _first_frame() -> None:
    """The dashboard's first frame is drawn: collect garbage from here on, but never scan again what
    the start made (see run_dashboard)."""
    gc.freeze()
    gc.enable()


def _dashboard_theme(name: str) -> Any:
    """The Theme for --theme NAME|FILE (the dashboard's and the fleet screen's); UsageError for a bad one."""
    try:
        from execlog_tui.ui.themes import ThemeError, resolve_theme
    except ImportError as e:  # pragma: no cover - textual is a dependency
        raise UsageError(f"the dashboard is not available: {e}") from None
    try:
        return resolve_theme(name)
    except ThemeError as exc:
        raise UsageError(str(exc)) from None


def run_demo(args: argparse.Namespace) -> int:
    from execlog_tui.demo import DemoService

    with DemoService() as demo:
        if args.batch:
            args.paths = [str(demo.log_path)]
            if args.delay is None:
                demo.wait_for_entries(200, timeout=10.0)
            return run_batch(args)
        return run_dashboard(args, [str(demo.log_path)])


# Set by a mode that leaves nothing for the interpreter's shutdown to do (see `run`).
_exit_at_once = False


def run() -> NoReturn:
    """The program's entry (the `execlog-top` script, `python -m execlog_tui`): main's code as the exit
    status. After a query (its output written and flushed, its connection closed, its temporary files
    removed) the process ends at once: the interpreter's shutdown, which would tear down every module and
    DuckDB's with them, was ~0.035 s of a warm query's ~0.5 s."""
    code = main()
    if _exit_at_once:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a reader gone (| head), a closed stream: nothing to write to
                pass
        os._exit(code)
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    _install_stop_signals()
    try:
        args = build_parser().parse_args(argv)
        if args.json and not args.batch:
            raise UsageError("--json goes with -b (batch mode)")
        if args.iterations is not None and args.delay is None:
            raise UsageError("-n goes with -d SECONDS")
        if args.at is not None and (not args.batch or args.delay is not None or not args.at.strip()):
            raise UsageError("--at TIME goes with a single -b report (for a replay, use --replay --from TIME)")
        _check_stdin(args)
        if args.prometheus is not None:
            _check_prometheus_options(args)
            return run_fleet(args)
        _check_metrics_options(args)
        if args.cache_info or args.cache_clear:
            return run_cache_command(args)
        if args.prometheus_rules:
            return run_prometheus_rules(args)
        if args.grafana_dashboard:
            return run_grafana_dashboard(args)
        if args.exporter is not None:
            return run_exporter_cli(args)
        if args.evidence is not None and (not args.batch or args.delay is not None):
            raise UsageError("--evidence FIGURE goes with a single -b report")
        if args.limit is not None and args.evidence is None:
            raise UsageError("--limit N goes with --evidence")
        if args.evidence is not None and args.query is not None:
            raise UsageError("--evidence and --query are two different outputs: give one")
        if args.evidence is not None and not args.demo:
            return run_evidence(args)
        if args.demo:
            return run_demo(args)
        if args.export is not None:
            if args.query is not None or args.batch or args.replay or args.demo:
                raise UsageError("--export runs on its own: not with --query, -b, --replay or --demo")
            from execlog_tui.query.export import run_export_cli

            return run_export_cli(args, store=_query_store(args))
        if args.query is not None:
            from execlog_tui.query import run_query_cli

            global _exit_at_once
            _exit_at_once = True  # whatever the query's outcome: it leaves nothing behind to clean up
            return run_query_cli(args, store=_query_store(args))
        if args.batch:
            return run_batch(args)
        pass_cache_options(args)  # to the query screen's child
        return run_dashboard(args)
    except UsageError as e:
        print_message(f"execlog-top: {e}")  # inert: paths, YAML keys and values the user gave are in it
        return EXIT_USAGE
    except NoInputError as e:
        print_message(f"execlog-top: {e}")
        return EXIT_NO_INPUT
    except KeyboardInterrupt:
        return 130
    except Terminated as e:
        return int(e.code or 1)
    except BrokenPipeError:
        # `execlog-top -b | head`: the reader went away; that is not an error of ours.
        _silence_stdout()
        return EXIT_OK
    except OSError as e:
        # The report could not be written (a full disk, a closed stdout): say so, no traceback.
        _silence_stdout()
        print_message(f"execlog-top: cannot write the output: {e.strerror or e}")
        return EXIT_NO_INPUT


def _check_stdin(args: argparse.Namespace) -> None:
    """`-` names standard input (a stream, read once): it must be a pipe or a file, not the terminal. The
    modes that read their input more than once (--replay, --query, --evidence) take no stream (`-`, a FIFO)."""
    paths = args.paths or []
    if args.replay or args.query is not None or args.evidence is not None or args.export is not None:
        from execlog_tui.core.sanitize import sanitize
        from execlog_tui.sources.reader import is_stream_path

        for p in paths:
            if is_stream_path(p):
                name = "- (standard input)" if p == "-" else sanitize(p)
                raise UsageError(
                    f"{name} is a stream, read once as it comes: --replay, --query and --evidence need files"
                )
    if "-" not in paths:
        return
    if paths.count("-") > 1:
        raise UsageError("- (standard input) may be given once")
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("- reads standard input, which is a terminal here: pipe a log into it (cmd | execlog-top -)")


def _stdin_off_the_terminal() -> None:
    """The dashboard reads the log from standard input and its keys from the terminal: the log stream is
    moved to a new descriptor, and fd 0 becomes /dev/tty for Textual."""
    from execlog_tui.sources.reader import set_stdin_fd

    try:
        tty = os.open("/dev/tty", os.O_RDWR)
    except OSError as e:
        raise UsageError(
            f"the dashboard needs a terminal for its keys and none is available ({e.strerror}): use -b with -"
        ) from None
    set_stdin_fd(os.dup(0))
    os.dup2(tty, 0)
    os.close(tty)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
