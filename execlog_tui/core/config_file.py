"""SPEC section 8: load a YAML configuration in the seed's shape into `Config`, or refuse it in one line."""

from __future__ import annotations

import dataclasses
import difflib
import re
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from execlog_tui.core.config import (
    CONDITION_UNITS,
    BandRule,
    Bands,
    BreakerRules,
    Checkpoint,
    Condition,
    Config,
    CriticalPath,
    LogConfig,
    MonitoringConfig,
    NotationError,
    Safeguards,
)

__all__ = ["ConfigError", "load_config", "example_config_text", "MAX_CONFIG_BYTES", "MAX_CONFIG_NODES"]

# A configuration is a few kilobytes; refusing anything larger keeps a wrong path (a log, a core dump)
# from being read whole into memory before YAML rejects it.
MAX_CONFIG_BYTES = 1024 * 1024
# Anchors and aliases let a small file describe a huge tree (each alias repeats its anchor's whole
# subtree): the tree the loader would walk, counted with every alias expanded, is refused past this.
MAX_CONFIG_NODES = 100_000
# MONITORING.max_components: more than this would let the per-component figures grow without bound again.
MAX_COMPONENTS_LIMIT = 100_000

SECTIONS = ("LOG_CONFIGURATION", "THRESHOLDS", "MONITORING", "CIRCUIT_BREAKER", "SAFEGUARDS", "CRITICAL_PATHS")
# The seed's other YAML block: accepted so that a file copied from the seed loads, read as documentation.
DOC_SECTIONS = ("ANALYSIS_QUERIES",)

THRESHOLD_UNITS = {"bootstrap": "ms", "cache_hit_rate": "%", "memory_usage": "MB", "response_time": "ms"}
CHANNELS = ("console", "log_file", "monitoring_dashboard")
INTERVALS = ("1_minute", "5_minutes", "1_hour", "1_day")
METRICS = (
    "requests_per_second",
    "average_response_time",
    "response_time",
    "p95_response_time",
    "cache_hit_rate",
    "memory_usage",
    "error_rate",
)
BREAKER_STATES = ("CLOSED", "OPEN", "HALF_OPEN")
TRANSITIONS = (("CLOSED", "OPEN"), ("OPEN", "HALF_OPEN"), ("HALF_OPEN", "CLOSED"), ("HALF_OPEN", "OPEN"))
COMPRESSIONS = ("gzip_rotated", "none")

_NUM = r"([0-9]+(?:\.[0-9]+)?)"
_SIZE_RE = re.compile(r"\s*" + _NUM + r"\s*([KMG]B)\s*", re.IGNORECASE)
_SIZE_UNITS = {"KB": 1024, "MB": 1024**2, "GB": 1024**3}
_LIMIT_RE = re.compile(r"\s*" + _NUM + r"\s*([KMG]B)(?:\s+per\s+(\w+))?\s*", re.IGNORECASE)
_COUNT_RE = re.compile(r"\s*([0-9]+)[_ ](\w+)\s*")
_FAILURES_RE = re.compile(r"\s*([0-9]+)\s+failures?\s+in\s+" + _NUM + r"\s+seconds?\s*", re.IGNORECASE)
_AFTER_RE = re.compile(r"\s*after\s+" + _NUM + r"\s+seconds?\s*", re.IGNORECASE)
_DURATION_RE = re.compile(r"\s*" + _NUM + r"\s*(seconds?|minutes?|hours?)\s*", re.IGNORECASE)
_DURATION_MS = {"second": 1000, "minute": 60_000, "hour": 3_600_000}
_DEGRADE_RE = re.compile(
    r"\s*cache(?:_hit_rate|\s+hit\s+rate)?\s*<\s*" + _NUM + r"\s*%(?:\s*hit\s+rate)?\s*", re.IGNORECASE
)
_NAME_RE = re.compile(r"[^\s|]+")
_NULL_TAG = "tag:yaml.org,2002:null"

BAND_EXPECTED = "a band like '< 250ms', '250-300ms' or '> 85%'"


class ConfigError(Exception):
    """A configuration that cannot be used; str() is one line: `FILE:LINE: KEY.PATH: what was expected`."""

    def __init__(self, file: str, message: str, line: int | None = None, key: str | None = None) -> None:
        self.file = file
        self.line = line
        self.key = key
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"
        # One line whatever the inputs were: a stray newline would split the message on stderr.
        return " ".join(text.splitlines())


def example_config_text() -> str:
    """The commented example configuration shipped in the package (every default, in the seed's shape)."""
    return resources.files("execlog_tui").joinpath("execlog.example.yaml").read_text(encoding="utf-8")


def load_config(path: str | Path) -> Config:
    """Read a YAML configuration; anything missing takes the seed's default. Raises ConfigError."""
    name = str(path)
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as e:
        raise ConfigError(name, f"cannot read: {e.strerror or e}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(name, f"cannot read: larger than {MAX_CONFIG_BYTES // 1024} KiB, not a configuration")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ConfigError(name, f"not UTF-8 text (byte {e.start})", line) from None
    return _Loader(name, p.expanduser().resolve().parent).load(text)


def _short(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL_TAG


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "nothing" if _is_null(node) else _short(node.value)


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _yaml_message(e: yaml.YAMLError) -> tuple[str, int | None]:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None)
    context = getattr(e, "context", None)
    text = " ".join(p for p in (context, problem) if p) or str(e)
    if context == "while scanning a block scalar":
        # `error: > 400ms` unquoted starts a folded block scalar; the YAML message does not say so.
        text += " (a value that starts with '>' or '|' must be quoted: error: \"> 400ms\")"
    return text, (mark.line + 1 if mark is not None else None)


class _Loader:
    """Walks the composed node tree section by section; every refusal names the key path and the line."""

    def __init__(self, file: str, base_dir: Path) -> None:
        self.file = file
        self.base_dir = base_dir

    # -- reporting and node shapes ------------------------------------------------------------------

    def fail(self, node: Node | None, path: str, message: str) -> NoReturn:
        raise ConfigError(self.file, message, _line(node) if node is not None else None, path or "top level")

    def expect(self, node: Node, path: str, expected: str) -> NoReturn:
        self.fail(node, path, f"expected {expected}, got {_kind(node)}")

    def mapping(
        self, node: Node, path: str, allowed: tuple[str, ...] | None, what: str = "a mapping"
    ) -> dict[str, Node]:
        """The entries of a mapping node (null counts as empty). `allowed` None: any name (descriptive)."""
        if _is_null(node):
            return {}
        if not isinstance(node, MappingNode):
            if allowed:
                what = f"{what} with keys {', '.join(allowed)}"
            self.expect(node, path, what)
        out: dict[str, Node] = {}
        first_line: dict[str, int] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, ScalarNode) or _is_null(knode):
                self.fail(knode, path, f"expected a name as key, got {_kind(knode)}")
            key = knode.value
            kpath = _join(path, key)
            if allowed is not None and key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                did = f" (did you mean {hint[0]}?)" if hint else ""
                self.fail(knode, kpath, f"unknown key {_short(key)}{did}; allowed here: {', '.join(allowed)}")
            if key in out:
                self.fail(knode, kpath, f"duplicate key {_short(key)}, first at line {first_line[key]}")
            out[key] = vnode
            first_line[key] = _line(knode)
        return out

    def sequence(self, node: Node, path: str, what: str) -> list[Node] | None:
        """The items of a list node; None when the value is null (not written: keep the default)."""
        if _is_null(node):
            return None
        if not isinstance(node, SequenceNode):
            self.expect(node, path, f"a list of {what}")
        return list(node.value)

    def scalar(self, node: Node, path: str, expected: str) -> str | None:
        """The text of a scalar as written (None for null); anything else is refused."""
        if _is_null(node):
            return None
        if not isinstance(node, ScalarNode):
            self.expect(node, path, expected)
        text: str = node.value  # a ScalarNode's value is its text (typed Any in the stubs)
        return text

    def notation(self, node: Node, path: str, expected: str, regex: re.Pattern[str]) -> re.Match[str] | None:
        text = self.scalar(node, path, expected)
        if text is None:
            return None
        m = regex.fullmatch(text)
        if m is None:
            self.expect(node, path, expected)
        return m

    def exact(self, node: Node, path: str, choices: tuple[str, ...], why: str = "") -> str | None:
        text = self.scalar(node, path, " or ".join(repr(c) for c in choices))
        if text is not None and text not in choices:
            self.expect(node, path, " or ".join(repr(c) for c in choices) + why)
        return text

    def documentation(self, node: Node, path: str, names: tuple[str, ...] | None = None) -> None:
        """A mapping NAME: "description" (the seed's components, status codes, levels, states)."""
        for key, vnode in self.mapping(node, path, names, "a mapping of NAME: description").items():
            if _NAME_RE.fullmatch(key) is None:
                self.fail(vnode, _join(path, key), "expected a name without spaces or '|'")
            self.scalar(vnode, _join(path, key), "a description (text)")

    def text_fields(self, entries: dict[str, Node], path: str, keys: tuple[str, ...]) -> None:
        for key in keys:
            if key in entries:
                self.scalar(entries[key], _join(path, key), "text")

    # -- the whole file -----------------------------------------------------------------------------

    def load(self, text: str) -> Config:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.reader.ReaderError as e:  # a control character: no mark, only a position
            at = text[: e.position].count("\n") + 1
            raise ConfigError(self.file, f"invalid YAML: unacceptable character #x{e.character:04x}", at) from None
        except yaml.YAMLError as e:
            message, line = _yaml_message(e)
            raise ConfigError(self.file, f"invalid YAML: {message}", line) from None
        except (ValueError, RecursionError) as e:  # pathological nesting; never a traceback
            raise ConfigError(self.file, f"invalid YAML: {e}") from None
        config = Config(source=self.file)
        if root is None:
            return config
        self.check_expansion(root)
        sections = self.mapping(root, "", SECTIONS + DOC_SECTIONS, "a mapping of sections")
        if "LOG_CONFIGURATION" in sections:
            config = dataclasses.replace(config, log=self.log_configuration(sections["LOG_CONFIGURATION"]))
        if "THRESHOLDS" in sections:
            config = dataclasses.replace(config, thresholds=self.thresholds(sections["THRESHOLDS"]))
        if "MONITORING" in sections:
            config = dataclasses.replace(config, monitoring=self.monitoring(sections["MONITORING"]))
        if "CIRCUIT_BREAKER" in sections:
            config = dataclasses.replace(config, breaker=self.circuit_breaker(sections["CIRCUIT_BREAKER"]))
        if "SAFEGUARDS" in sections:
            config = dataclasses.replace(config, safeguards=self.safeguards(sections["SAFEGUARDS"]))
        if "CRITICAL_PATHS" in sections and not _is_null(sections["CRITICAL_PATHS"]):
            # A configuration's paths replace the defaults (SPEC 10); an empty mapping means none.
            config = dataclasses.replace(config, critical_paths=self.critical_paths(sections["CRITICAL_PATHS"]))
        if "ANALYSIS_QUERIES" in sections:
            self.analysis_queries(sections["ANALYSIS_QUERIES"])
        return config

    def check_expansion(self, root: Node) -> None:
        """Refuse a tree that, with its aliases expanded, has more than MAX_CONFIG_NODES nodes (or a
        recursive alias), before any walk over it: the count is memoised per node object, so it costs
        the nodes as written, not as expanded."""
        sizes: dict[int, int] = {}
        busy: set[int] = set()

        def size(node: Node) -> int:
            key = id(node)
            got = sizes.get(key)
            if got is not None:
                return got
            if key in busy:
                return MAX_CONFIG_NODES + 1  # an alias inside its own anchor: endless when walked
            busy.add(key)
            n = 1
            if isinstance(node, MappingNode):
                for k, v in node.value:
                    n += size(k) + size(v)
                    if n > MAX_CONFIG_NODES:
                        break
            elif isinstance(node, SequenceNode):
                for item in node.value:
                    n += size(item)
                    if n > MAX_CONFIG_NODES:
                        break
            busy.discard(key)
            n = min(n, MAX_CONFIG_NODES + 1)
            sizes[key] = n
            return n

        try:
            if size(root) <= MAX_CONFIG_NODES:
                return
        except RecursionError:
            raise ConfigError(self.file, "invalid YAML: nested too deeply") from None
        # Name the deepest value that alone passes the limit: that is where the aliases pile up.
        node, path = root, ""
        seen = {id(root)}
        while True:
            children: list[tuple[str, Node]] = []
            if isinstance(node, MappingNode):
                children = [
                    (_join(path, str(k.value)) if isinstance(k, ScalarNode) else path, v) for k, v in node.value
                ]
            elif isinstance(node, SequenceNode):
                children = [(f"{path}[{i}]", v) for i, v in enumerate(node.value)]
            big = next(((p, c) for p, c in children if sizes.get(id(c), 0) > MAX_CONFIG_NODES), None)
            if big is None or id(big[1]) in seen:
                break
            path, node = big
            seen.add(id(node))
        self.fail(
            node,
            path,
            f"anchors and aliases expand to more than {MAX_CONFIG_NODES:,} values (or refer to themselves);"
            " write the values out instead",
        )

    # -- LOG_CONFIGURATION --------------------------------------------------------------------------

    def size(self, node: Node, path: str, example: str = "100MB") -> int | None:
        m = self.notation(node, path, f"a size like {example!r} (KB, MB or GB)", _SIZE_RE)
        if m is None:
            return None
        size = int(float(m.group(1)) * _SIZE_UNITS[m.group(2).upper()])
        if size <= 0:
            self.fail(node, path, f"expected a size above zero, got {_short(node.value)}")
        return size

    def count(self, node: Node, path: str, unit: str, minimum: int) -> int | None:
        expected = f"a count like '7_{unit}'"
        m = self.notation(node, path, expected, _COUNT_RE)
        if m is None:
            return None
        if m.group(2) not in (unit, unit[:-1]):
            self.expect(node, path, expected)
        n = int(m.group(1))
        if n < minimum:
            what = unit if minimum != 1 else unit[:-1]
            self.fail(node, path, f"expected at least {minimum} {what}, got {_short(node.value)}")
        return n

    def duration(self, node: Node, path: str) -> int | None:
        """`30 seconds`, `5 minutes`, `1 hour` (SPEC 8) in milliseconds."""
        m = self.notation(node, path, "a duration like '30 seconds', '5 minutes' or '1 hour'", _DURATION_RE)
        if m is None:
            return None
        ms = float(m.group(1)) * _DURATION_MS[m.group(2).lower().rstrip("s")]
        if ms > 366 * 86_400_000:
            self.fail(node, path, f"expected at most a year, got {_short(node.value)}")
        return int(ms)

    def log_configuration(self, node: Node) -> LogConfig:
        path = "LOG_CONFIGURATION"
        allowed = (
            "format",
            "timestamp",
            "max_size",
            "rotation",
            "compression",
            "retention",
            "components",
            "status_codes",
            "log_levels",
            "max_future",
        )
        e = self.mapping(node, path, allowed)
        log = LogConfig()
        if "format" in e:
            self.exact(e["format"], _join(path, "format"), ("pipe_delimited",), " (the only format execlog reads)")
        if "timestamp" in e:
            self.exact(
                e["timestamp"],
                _join(path, "timestamp"),
                ("ISO8601_with_ms",),
                " (the only timestamp format execlog reads)",
            )
        changes: dict[str, Any] = {}  # field overrides, each checked where it is parsed
        if "max_size" in e and (v := self.size(e["max_size"], _join(path, "max_size"))) is not None:
            changes["max_size_bytes"] = v
        if "rotation" in e and (v := self.count(e["rotation"], _join(path, "rotation"), "files", 0)) is not None:
            changes["rotation_files"] = v
        if "retention" in e and (v := self.count(e["retention"], _join(path, "retention"), "days", 1)) is not None:
            changes["retention_days"] = v
        if "compression" in e and (c := self.exact(e["compression"], _join(path, "compression"), COMPRESSIONS)):
            changes["compression"] = c
        if "max_future" in e and (v := self.duration(e["max_future"], _join(path, "max_future"))) is not None:
            changes["max_future_ms"] = v
        if "components" in e:
            comps = self.components(e["components"], _join(path, "components"))
            if comps is not None:
                changes["components"] = comps
        for key in ("status_codes", "log_levels"):
            if key in e:
                self.documentation(e[key], _join(path, key))
        return dataclasses.replace(log, **changes)

    def components(self, node: Node, path: str) -> tuple[str, ...] | None:
        """The seed writes NAME: description; a plain list of names is accepted too."""
        if _is_null(node):
            return None
        if isinstance(node, SequenceNode):
            names = []
            for i, item in enumerate(node.value):
                name = self.scalar(item, f"{path}[{i}]", "a component name")
                if name is None or _NAME_RE.fullmatch(name) is None:
                    self.fail(item, f"{path}[{i}]", "expected a component name without spaces or '|'")
                names.append(name)
        else:
            self.documentation(node, path)
            names = list(self.mapping(node, path, None))
        out: list[str] = []
        for name in names:
            # SPEC 1: components compare without regard to case and show in upper case.
            if name.upper() not in out:
                out.append(name.upper())
        return tuple(out)

    # -- THRESHOLDS ---------------------------------------------------------------------------------

    def thresholds(self, node: Node) -> dict[str, Bands]:
        path = "THRESHOLDS"
        defaults = Config().thresholds
        out = dict(defaults)
        for name, bnode in self.mapping(node, path, tuple(THRESHOLD_UNITS)).items():
            bpath = _join(path, name)
            default = defaults[name]
            rules: dict[str, BandRule] = {}
            for band, vnode in self.mapping(bnode, bpath, ("optimal", "acceptable", "warning", "error")).items():
                rule = self.band(vnode, _join(bpath, band), THRESHOLD_UNITS[name])
                if rule is not None:
                    rules[band] = rule
            out[name] = dataclasses.replace(default, **rules)
        return out

    def band(self, node: Node, path: str, unit: str) -> BandRule | None:
        text = self.scalar(node, path, BAND_EXPECTED)
        if text is None:
            return None
        try:
            rule = BandRule.parse(text)
        except NotationError as e:
            expected = str(e).rpartition(", got ")[0] or BAND_EXPECTED
            self.fail(node, path, f"expected {expected}, got {_short(text)}")
        if rule.unit not in (None, unit):
            self.fail(node, path, f"expected a band in {unit}, got {_short(text)}")
        if unit == "%" and rule.high > 100:
            self.fail(node, path, f"expected a percentage from 0 to 100, got {_short(text)}")
        return rule

    # -- MONITORING ---------------------------------------------------------------------------------

    def monitoring(self, node: Node) -> MonitoringConfig:
        path = "MONITORING"
        e = self.mapping(node, path, ("real_time", "aggregation", "alerts", "max_components"))
        changes: dict[str, Any] = {}  # field overrides, each checked where it is parsed
        if "max_components" in e:
            cpath = _join(path, "max_components")
            text = self.scalar(e["max_components"], cpath, "a count of components like 1000")
            if text is not None:
                digits = text.replace("_", "").replace(",", "")
                if not digits.isdigit() or not 1 <= int(digits) <= MAX_COMPONENTS_LIMIT:
                    self.fail(
                        e["max_components"],
                        cpath,
                        f"expected a count of components from 1 to {MAX_COMPONENTS_LIMIT:,}, got {_short(text)}",
                    )
                changes["max_components"] = int(digits)
        if "real_time" in e:
            rpath = _join(path, "real_time")
            rt = self.mapping(e["real_time"], rpath, ("metrics",))
            if "metrics" in rt:
                self.names(rt["metrics"], _join(rpath, "metrics"), METRICS, "metric names")
        if "aggregation" in e:
            apath = _join(path, "aggregation")
            ag = self.mapping(e["aggregation"], apath, ("intervals",))
            if "intervals" in ag:
                self.names(ag["intervals"], _join(apath, "intervals"), INTERVALS, "intervals")
        if "alerts" in e:
            apath = _join(path, "alerts")
            al = self.mapping(e["alerts"], apath, ("channels", "conditions", "log_file_path"))
            if "channels" in al:
                channels = self.names(al["channels"], _join(apath, "channels"), CHANNELS, "channels")
                if channels is not None:
                    changes["channels"] = channels
            if "conditions" in al:
                conditions = self.conditions(al["conditions"], _join(apath, "conditions"))
                if conditions is not None:
                    changes["conditions"] = conditions
            if "log_file_path" in al:
                alert_log = self.file_path(al["log_file_path"], _join(apath, "log_file_path"))
                if alert_log is not None:
                    changes["alert_log"] = alert_log
        return dataclasses.replace(MonitoringConfig(), **changes)

    def names(self, node: Node, path: str, choices: tuple[str, ...], what: str) -> tuple[str, ...] | None:
        items = self.sequence(node, path, what)
        if items is None:
            return None
        out: list[str] = []
        first: dict[str, int] = {}
        for i, item in enumerate(items):
            ipath = f"{path}[{i}]"
            value = self.exact(item, ipath, choices)
            if value is None:
                self.expect(item, ipath, "one of " + ", ".join(choices))
            if value in first:
                self.fail(item, ipath, f"{_short(value)} is listed twice, first at line {first[value]}")
            first[value] = _line(item)
            out.append(value)
        return tuple(out)

    def conditions(self, node: Node, path: str) -> tuple[Condition, ...] | None:
        items = self.sequence(node, path, "conditions like 'error_rate > 5%'")
        if items is None:
            return None
        out: list[Condition] = []
        first: dict[str, int] = {}
        for i, item in enumerate(items):
            ipath = f"{path}[{i}]"
            text = self.scalar(item, ipath, "a condition like 'error_rate > 5%'")
            if text is None:
                self.expect(item, ipath, "a condition like 'error_rate > 5%'")
            try:
                cond = Condition.parse(text)
            except NotationError as e:
                expected, _, _ = str(e).rpartition(", got ")
                got = _short(text)
                if expected.startswith("a condition on one of"):
                    got = _short(text.split()[0]) if text.split() else got
                self.fail(item, ipath, f"expected {expected or 'a condition'}, got {got}")
            unit = CONDITION_UNITS.get(cond.name)
            if cond.unit is not None and cond.unit != unit:
                want = f"in {unit}" if unit else "without a unit"
                self.fail(item, ipath, f"expected {cond.name} {want}, got {_short(text)}")
            if unit == "%" and cond.value > 100:
                self.fail(item, ipath, f"expected a percentage from 0 to 100, got {_short(text)}")
            if cond.text in first:
                self.fail(item, ipath, f"{_short(cond.text)} is listed twice, first at line {first[cond.text]}")
            first[cond.text] = _line(item)
            out.append(cond)
        return tuple(out)

    def file_path(self, node: Node, path: str) -> str | None:
        text = self.scalar(node, path, "a file path")
        if text is None:
            return None
        if not text.strip() or "\0" in text:
            self.expect(node, path, "a file path")
        p = Path(text).expanduser()
        # A relative path in a configuration file means beside that file, not wherever the monitor
        # happens to be started from.
        return str(p if p.is_absolute() else self.base_dir / p)

    # -- CIRCUIT_BREAKER ----------------------------------------------------------------------------

    def circuit_breaker(self, node: Node) -> BreakerRules:
        path = "CIRCUIT_BREAKER"
        e = self.mapping(node, path, ("states", "transitions"))
        if "states" in e:
            self.documentation(e["states"], _join(path, "states"), BREAKER_STATES)
        rules = BreakerRules()
        if "transitions" not in e:
            return rules
        tpath = _join(path, "transitions")
        items = self.sequence(e["transitions"], tpath, "transitions (from, to, condition, log)")
        seen: dict[tuple[str, str], int] = {}
        changes: dict[str, Any] = {}  # field overrides, each checked where it is parsed
        for i, item in enumerate(items or ()):
            ipath = f"{tpath}[{i}]"
            t = self.mapping(item, ipath, ("from", "to", "condition", "log"))
            for key in ("from", "to", "condition"):
                if key not in t:
                    self.fail(item, ipath, f"missing key {key!r}; a transition has from, to, condition and log")
            src = self.exact(t["from"], _join(ipath, "from"), BREAKER_STATES)
            dst = self.exact(t["to"], _join(ipath, "to"), BREAKER_STATES)
            if src is None or dst is None:
                self.expect(
                    t["from"] if src is None else t["to"],
                    _join(ipath, "from" if src is None else "to"),
                    " or ".join(BREAKER_STATES),
                )
            pair = (src, dst)
            if pair not in TRANSITIONS:
                self.fail(
                    item,
                    ipath,
                    "expected one of the transitions "
                    + ", ".join(f"{a} -> {b}" for a, b in TRANSITIONS)
                    + f", got {src} -> {dst}",
                )
            if pair in seen:
                self.fail(item, ipath, f"duplicate transition {src} -> {dst}, first at line {seen[pair]}")
            seen[pair] = _line(item)
            cpath = _join(ipath, "condition")
            if pair == ("CLOSED", "OPEN"):
                m = self.notation(
                    t["condition"], cpath, "'N failures in S seconds', like '3 failures in 10 seconds'", _FAILURES_RE
                )
                if m is not None:
                    failures, window = int(m.group(1)), float(m.group(2))
                    if failures < 1 or window <= 0:
                        self.fail(
                            t["condition"],
                            cpath,
                            f"expected at least 1 failure in more than 0 seconds, got {_short(t['condition'].value)}",
                        )
                    changes["failures"], changes["window_s"] = failures, window
            elif pair == ("OPEN", "HALF_OPEN"):
                m = self.notation(t["condition"], cpath, "'After S seconds', like 'After 30 seconds'", _AFTER_RE)
                if m is not None:
                    changes["half_open_after_s"] = float(m.group(1))
            else:
                # SPEC 6 fixes what happens in HALF_OPEN (the next completed operation decides): text only.
                self.scalar(t["condition"], cpath, "a description (text)")
            self.text_fields(t, ipath, ("log",))
        return dataclasses.replace(rules, **changes)

    # -- SAFEGUARDS ---------------------------------------------------------------------------------

    def limit(self, node: Node, path: str, per: str, example: str) -> int | None:
        expected = f"a limit like {example!r}"
        m = self.notation(node, path, expected, _LIMIT_RE)
        if m is None:
            return None
        if m.group(3) is not None and m.group(3).lower() != per:
            self.expect(node, path, expected)
        size = int(float(m.group(1)) * _SIZE_UNITS[m.group(2).upper()])
        if size <= 0:
            self.fail(node, path, f"expected a limit above zero, got {_short(node.value)}")
        return size

    def safeguards(self, node: Node) -> Safeguards:
        path = "SAFEGUARDS"
        e = self.mapping(node, path, ("memory_protection", "cache_overflow", "log_overflow", "graceful_degradation"))
        changes: dict[str, Any] = {}  # field overrides, each checked where it is parsed
        limits = {
            "memory_protection": ("session", "100MB per session"),
            "cache_overflow": ("tier", "10MB per tier"),
            "log_overflow": ("file", "100MB per file"),
        }
        for section, (per, example) in limits.items():
            if section not in e:
                continue
            spath = _join(path, section)
            s = self.mapping(e[section], spath, ("limit", "action", "log"))
            self.text_fields(s, spath, ("action", "log"))
            if "limit" not in s:
                continue
            size = self.limit(s["limit"], _join(spath, "limit"), per, example)
            if size is None:
                continue
            if section == "memory_protection":
                changes["memory_limit_mb"] = size / 1024**2
            elif section == "log_overflow":
                changes["log_file_limit_bytes"] = size
            # cache_overflow: the monitor keeps no cache tiers; the seed's limit is read as documentation.
        if "graceful_degradation" in e:
            gpath = _join(path, "graceful_degradation")
            g = self.mapping(e["graceful_degradation"], gpath, ("trigger", "action", "log"))
            self.text_fields(g, gpath, ("action", "log"))
            if "trigger" in g:
                tpath = _join(gpath, "trigger")
                m = self.notation(g["trigger"], tpath, "a trigger like 'Cache < 60% hit rate'", _DEGRADE_RE)
                if m is not None:
                    rate = float(m.group(1))
                    if rate > 100:
                        self.fail(
                            g["trigger"],
                            tpath,
                            f"expected a percentage from 0 to 100, got {_short(g['trigger'].value)}",
                        )
                    changes["degraded_below_hit_rate"] = rate
        return dataclasses.replace(Safeguards(), **changes)

    # -- the seed's descriptive blocks --------------------------------------------------------------

    def critical_paths(self, node: Node) -> tuple[CriticalPath, ...]:
        """SPEC 10: `NAME:` then a list holding one mapping (component, checkpoints, optional timeout)."""
        path = "CRITICAL_PATHS"
        out: list[CriticalPath] = []
        for name, pnode in self.mapping(node, path, None, "a mapping of path name: list of one step").items():
            ppath = _join(path, name)
            if _NAME_RE.fullmatch(name) is None:
                self.fail(pnode, ppath, "expected a path name without spaces or '|'")
            steps = self.sequence(pnode, ppath, "one step (component, checkpoints, timeout)")
            if not steps or len(steps) != 1:
                self.fail(pnode, ppath, "expected a list holding one step (component, checkpoints, timeout)")
            spath = f"{ppath}[0]"
            s = self.mapping(steps[0], spath, ("component", "checkpoints", "timeout"))
            if "component" not in s or "checkpoints" not in s:
                missing = "component" if "component" not in s else "checkpoints"
                self.fail(steps[0], _join(spath, missing), f"missing: every path names its {missing}")
            cnode = s["component"]
            component = self.scalar(cnode, _join(spath, "component"), "a component name")
            if component is None or _NAME_RE.fullmatch(component) is None:
                self.fail(cnode, _join(spath, "component"), "expected a component name without spaces or '|'")
            cpath = _join(spath, "checkpoints")
            checkpoints: list[Checkpoint] = []
            seen: dict[str, int] = {}
            for j, cp in enumerate(self.sequence(s["checkpoints"], cpath, "checkpoints (NAME: description)") or ()):
                jpath = f"{cpath}[{j}]"
                if isinstance(cp, MappingNode):
                    items = self.mapping(cp, jpath, None, "a checkpoint (NAME: description)")
                    if len(items) != 1:
                        self.fail(cp, jpath, "expected one checkpoint (NAME: description)")
                    ((cname, dnode),) = items.items()
                    description = self.scalar(dnode, _join(jpath, cname), "a description (text)") or ""
                else:
                    cname = self.scalar(cp, jpath, "a checkpoint (NAME: description)") or ""
                    description = ""
                if _NAME_RE.fullmatch(cname) is None:
                    self.fail(cp, jpath, "expected a checkpoint name without spaces or '|'")
                for action in Checkpoint(cname).actions:
                    if action in seen:
                        self.fail(
                            cp,
                            jpath,
                            f"checkpoint {_short(cname)} matches the same entries as checkpoint {seen[action] + 1}",
                        )
                    seen[action] = j
                checkpoints.append(Checkpoint(cname, description))
            if not checkpoints:
                self.fail(s["checkpoints"], cpath, "expected at least one checkpoint")
            timeout = self.duration(s["timeout"], _join(spath, "timeout")) if "timeout" in s else None
            if timeout is not None and timeout <= 0:
                self.fail(s["timeout"], _join(spath, "timeout"), "expected a timeout above zero")
            out.append(
                CriticalPath.of(
                    name,
                    component,
                    tuple(c.name for c in checkpoints),
                    timeout,
                    tuple(c.description for c in checkpoints),
                )
            )
        return tuple(out)

    def analysis_queries(self, node: Node) -> None:
        path = "ANALYSIS_QUERIES"
        for name, qnode in self.mapping(node, path, None, "a mapping of query name: {query: ...}").items():
            qpath = _join(path, name)
            self.text_fields(self.mapping(qnode, qpath, ("query",)), qpath, ("query",))
