"""Tests for core/config_file.py: the seed's YAML shape and notation, and one-line refusals (SPEC 8)."""

from __future__ import annotations

import dataclasses
import gzip
import os
import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execlog_tui.core.config import Config
from execlog_tui.core.config_file import MAX_CONFIG_BYTES, ConfigError, example_config_text, load_config

HERE = Path(__file__).parent
# The example lives once, inside the package (shipped in the wheel; `example_config_text` reads it there).
EXAMPLE = HERE.parents[2] / "execlog_tui" / "execlog.example.yaml"


def write(tmp_path: Path, text: str, name: str = "execlog.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def load(tmp_path: Path, text: str) -> Config:
    return load_config(write(tmp_path, text))


def refuse(tmp_path: Path, text: str) -> ConfigError:
    """Load text from execlog.yaml in the working directory and return the refusal."""
    os.chdir(tmp_path)
    write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config("execlog.yaml")
    return info.value


@pytest.fixture(autouse=True)
def _restore_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(os.getcwd())  # undone after each test, whatever refuse() did


def defaults(source: Path | str) -> Config:
    return dataclasses.replace(Config(), source=str(source))


# -- whole files ------------------------------------------------------------------------------------


def test_example_file_loads_to_the_defaults() -> None:
    path = EXAMPLE
    assert load_config(path) == defaults(path)


def test_packaged_example_is_the_repo_example() -> None:
    assert example_config_text() == (EXAMPLE).read_text(encoding="utf-8")


def test_example_file_sets_every_section_and_changing_a_value_changes_the_config(tmp_path: Path) -> None:
    # Guards against an example that loads to the defaults only because it says nothing.
    text = (EXAMPLE).read_text(encoding="utf-8")
    for section in ("LOG_CONFIGURATION:", "THRESHOLDS:", "MONITORING:", "CIRCUIT_BREAKER:", "SAFEGUARDS:"):
        assert f"\n{section}" in text
    changed = text.replace('"3 failures in 10 seconds"', '"4 failures in 10 seconds"')
    assert changed != text
    assert load_config(write(tmp_path, changed)).breaker.failures == 4


def test_seed_blocks_verbatim_load_to_the_defaults() -> None:
    path = HERE / "seed_blocks.yaml"
    assert load_config(path) == defaults(path)


def test_each_seed_block_loads_on_its_own(tmp_path: Path) -> None:
    text = (HERE / "seed_blocks.yaml").read_text(encoding="utf-8")
    header, *blocks = re.split(r"\n(?=[A-Z_]+:\n)", text)
    assert header.startswith("# ") and "\n" not in header
    names = [b.split(":", 1)[0] for b in blocks]
    assert names == [
        "LOG_CONFIGURATION",
        "CRITICAL_PATHS",
        "THRESHOLDS",
        "MONITORING",
        "CIRCUIT_BREAKER",
        "ANALYSIS_QUERIES",
        "SAFEGUARDS",
    ]
    for i, block in enumerate(blocks):
        p = write(tmp_path, block, f"block{i}.yaml")
        assert load_config(p) == defaults(p)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file_gives_the_defaults(tmp_path: Path, text: str) -> None:
    p = write(tmp_path, text)
    assert load_config(p) == defaults(p)


def test_empty_sections_and_keys_keep_the_defaults(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        """
        LOG_CONFIGURATION:
        THRESHOLDS:
          bootstrap:
            warning:
        MONITORING:
          alerts:
            conditions:
        CIRCUIT_BREAKER: {}
        SAFEGUARDS:
    """,
    )
    assert dataclasses.replace(cfg, source=None) == Config()


def test_source_names_the_file(tmp_path: Path) -> None:
    p = write(tmp_path, "THRESHOLDS: {}\n")
    assert load_config(p).source == str(p)


# -- bands ------------------------------------------------------------------------------------------


def test_band_override_changes_only_that_band(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        """
        THRESHOLDS:
          bootstrap:
            warning: "300-500ms"
            error: "> 500ms"
    """,
    )
    bands = cfg.thresholds["bootstrap"]
    assert bands.warning.text == "300-500ms"
    assert bands.classify(450) == "warning"
    assert bands.classify(501) == "error"
    assert bands.optimal == Config().thresholds["bootstrap"].optimal
    assert cfg.thresholds["cache_hit_rate"] == Config().thresholds["cache_hit_rate"]


def test_band_operators_and_unitless_numbers(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        """
        THRESHOLDS:
          cache_hit_rate:
            optimal: ">= 90%"
            acceptable: 75-90
            warning: "<= 74.5"
          memory_usage:
            optimal: < 64MB
    """,
    )
    hit = cfg.thresholds["cache_hit_rate"]
    assert (hit.optimal.op, hit.optimal.low, hit.optimal.unit) == (">=", 90.0, "%")
    assert (hit.acceptable.op, hit.acceptable.low, hit.acceptable.high, hit.acceptable.unit) == ("-", 75, 90, None)
    assert hit.classify(90) == "optimal"
    assert hit.classify(74.5) == "warning"
    assert cfg.thresholds["memory_usage"].classify(63) == "optimal"


def test_bad_band_message_is_exactly_one_line(tmp_path: Path) -> None:
    e = refuse(
        tmp_path,
        """\
        THRESHOLDS:
          bootstrap:
            optimal: "< 250ms"
            warning: fast
    """,
    )
    assert str(e) == (
        "execlog.yaml:4: THRESHOLDS.bootstrap.warning: expected a band like '< 250ms', "
        "'250-300ms' or '> 85%', got 'fast'"
    )
    assert (e.file, e.line, e.key) == ("execlog.yaml", 4, "THRESHOLDS.bootstrap.warning")


@pytest.mark.parametrize(
    ("threshold", "band", "expected"),
    [
        ("memory_usage", "< 50ms", "expected a band in MB, got '< 50ms'"),
        ("bootstrap", "> 85%", "expected a band in ms, got '> 85%'"),
        ("cache_hit_rate", "> 85MB", "expected a band in %, got '> 85MB'"),
        ("response_time", "50-100MB", "expected a band in ms, got '50-100MB'"),
        ("cache_hit_rate", "> 150%", "expected a percentage from 0 to 100, got '> 150%'"),
        ("bootstrap", "300-250ms", "expected a range with its low end first, got '300-250ms'"),
        ("bootstrap", "250", "expected a band like '< 250ms', '250-300ms' or '> 85%', got '250'"),
        ("bootstrap", "< -5ms", "expected a band like"),
    ],
)
def test_band_refusals(tmp_path: Path, threshold: str, band: str, expected: str) -> None:
    e = refuse(tmp_path, f'THRESHOLDS:\n  {threshold}:\n    optimal: "{band}"\n')
    assert e.line == 3
    assert e.key == f"THRESHOLDS.{threshold}.optimal"
    assert expected in str(e)


def test_unquoted_greater_than_band_gets_a_hint(tmp_path: Path) -> None:
    e = refuse(tmp_path, "THRESHOLDS:\n  bootstrap:\n    error: > 400ms\n")
    assert e.line == 3
    assert "invalid YAML" in str(e) and "must be quoted" in str(e)


# -- conditions -------------------------------------------------------------------------------------


def test_conditions_replace_the_defaults(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        """
        MONITORING:
          alerts:
            conditions:
              - error_rate >= 2%
              - p95_response_time > 500ms
              - requests_per_second < 1
              - "memory_usage   >   80MB"
    """,
    )
    conds = cfg.monitoring.conditions
    assert [(c.name, c.op, c.value, c.unit) for c in conds] == [
        ("error_rate", ">=", 2.0, "%"),
        ("p95_response_time", ">", 500.0, "ms"),
        ("requests_per_second", "<", 1.0, None),
        ("memory_usage", ">", 80.0, "MB"),
    ]
    assert conds[3].text == "memory_usage > 80MB"
    assert conds[0].holds(2.0) and not conds[0].holds(1.9)
    assert cfg.monitoring.channels == Config().monitoring.channels


def test_empty_condition_list_means_no_alerts(tmp_path: Path) -> None:
    assert load(tmp_path, "MONITORING:\n  alerts:\n    conditions: []\n").monitoring.conditions == ()


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ("error_rate is high", "expected a condition like 'error_rate > 5%', got 'error_rate is high'"),
        ("disk_usage > 5%", "expected a condition on one of bootstrap, cache_hit_rate"),
        ("error_rate > 5ms", "expected error_rate in %, got 'error_rate > 5ms'"),
        ("response_time > 200MB", "expected response_time in ms"),
        ("requests_per_second > 5%", "expected requests_per_second without a unit"),
        ("error_rate > 500%", "expected a percentage from 0 to 100"),
        ("error_rate == 5%", "expected a condition like"),
    ],
)
def test_condition_refusals(tmp_path: Path, cond: str, expected: str) -> None:
    e = refuse(tmp_path, f"MONITORING:\n  alerts:\n    conditions:\n      - error_rate > 5%\n      - {cond}\n")
    assert (e.line, e.key) == (5, "MONITORING.alerts.conditions[1]")
    assert expected in str(e)


def test_duplicate_condition_is_refused(tmp_path: Path) -> None:
    e = refuse(
        tmp_path, "MONITORING:\n  alerts:\n    conditions:\n      - error_rate > 5%\n      - error_rate  >  5%\n"
    )
    assert (e.line, e.key) == (5, "MONITORING.alerts.conditions[1]")
    assert "listed twice, first at line 4" in str(e)


# -- channels, intervals, metrics, alert log --------------------------------------------------------


def test_channels_and_documentation_lists(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        """
        MONITORING:
          real_time:
            metrics: [error_rate, p95_response_time]
          aggregation:
            intervals: [1_minute, 1_day]
          alerts:
            channels: [console]
    """,
    )
    assert cfg.monitoring.channels == ("console",)


@pytest.mark.parametrize(
    ("text", "line", "key", "expected"),
    [
        (
            "MONITORING:\n  alerts:\n    channels:\n      - email\n",
            4,
            "MONITORING.alerts.channels[0]",
            "expected 'console' or 'log_file' or 'monitoring_dashboard', got 'email'",
        ),
        (
            "MONITORING:\n  alerts:\n    channels: [console, console]\n",
            3,
            "MONITORING.alerts.channels[1]",
            "'console' is listed twice",
        ),
        (
            "MONITORING:\n  aggregation:\n    intervals:\n      - 1_minute\n      - 2_minutes\n",
            5,
            "MONITORING.aggregation.intervals[1]",
            "expected '1_minute' or '5_minutes' or '1_hour' or '1_day'",
        ),
        ("MONITORING:\n  real_time:\n    metrics:\n      - cpu\n", 4, "MONITORING.real_time.metrics[0]", "got 'cpu'"),
        (
            "MONITORING:\n  alerts:\n    conditions:\n      -\n",
            4,
            "MONITORING.alerts.conditions[0]",
            "expected a condition like 'error_rate > 5%', got nothing",
        ),
        (
            "MONITORING:\n  alerts:\n    channels: console\n",
            3,
            "MONITORING.alerts.channels",
            "expected a list of channels, got 'console'",
        ),
    ],
)
def test_list_refusals(tmp_path: Path, text: str, line: int, key: str, expected: str) -> None:
    e = refuse(tmp_path, text)
    assert (e.line, e.key) == (line, key)
    assert expected in str(e)


def test_alert_log_relative_to_the_config_file(tmp_path: Path) -> None:
    conf_dir = tmp_path / "etc"
    conf_dir.mkdir()
    p = write(conf_dir, "MONITORING:\n  alerts:\n    log_file_path: alerts/alerts.log\n")
    os.chdir(tmp_path)  # the working directory must not matter
    assert load_config("etc/execlog.yaml").monitoring.alert_log == str(conf_dir.resolve() / "alerts/alerts.log")
    assert load_config(p).monitoring.alert_log == str(conf_dir.resolve() / "alerts/alerts.log")


def test_alert_log_absolute_and_home(tmp_path: Path) -> None:
    absolute = tmp_path / "x" / "alerts.log"
    cfg = load(tmp_path, f"MONITORING:\n  alerts:\n    log_file_path: '{absolute}'\n")
    assert cfg.monitoring.alert_log == str(absolute)
    cfg = load(tmp_path, "MONITORING:\n  alerts:\n    log_file_path: ~/alerts.log\n")
    assert cfg.monitoring.alert_log == str(Path.home() / "alerts.log")
    assert load(tmp_path, "MONITORING: {}\n").monitoring.alert_log is None


@pytest.mark.parametrize("value", ["''", "[a, b]", "{a: 1}"])
def test_alert_log_refusals(tmp_path: Path, value: str) -> None:
    e = refuse(tmp_path, f"MONITORING:\n  alerts:\n    log_file_path: {value}\n")
    assert (e.line, e.key) == (3, "MONITORING.alerts.log_file_path")
    assert "expected a file path" in str(e)


# -- circuit breaker --------------------------------------------------------------------------------


def test_breaker_rules_from_transitions(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        """
        CIRCUIT_BREAKER:
          transitions:
            - from: OPEN
              to: HALF_OPEN
              condition: "after 45 seconds"
            - from: CLOSED
              to: OPEN
              condition: "1 failure in 2.5 seconds"
    """,
    )
    assert (cfg.breaker.failures, cfg.breaker.window_s, cfg.breaker.half_open_after_s) == (1, 2.5, 45.0)


def test_breaker_transition_missing_keeps_its_default(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        "CIRCUIT_BREAKER:\n  transitions:\n    - {from: CLOSED, to: OPEN, condition: 5 failures in 20 seconds}\n",
    )
    assert (cfg.breaker.failures, cfg.breaker.window_s, cfg.breaker.half_open_after_s) == (5, 20.0, 30.0)


BREAKER_HEAD = "CIRCUIT_BREAKER:\n  transitions:\n"


@pytest.mark.parametrize(
    ("items", "line", "key", "expected"),
    [
        (
            "    - {from: CLOSED, to: OPEN, condition: 3 failures}\n",
            3,
            "CIRCUIT_BREAKER.transitions[0].condition",
            "expected 'N failures in S seconds'",
        ),
        (
            "    - from: CLOSED\n      to: OPEN\n      condition: 0 failures in 10 seconds\n",
            5,
            "CIRCUIT_BREAKER.transitions[0].condition",
            "expected at least 1 failure",
        ),
        (
            "    - from: OPEN\n      to: HALF_OPEN\n      condition: soon\n",
            5,
            "CIRCUIT_BREAKER.transitions[0].condition",
            "expected 'After S seconds', like 'After 30 seconds', got 'soon'",
        ),
        (
            "    - from: CLOSED\n      to: HALF_OPEN\n      condition: x\n",
            3,
            "CIRCUIT_BREAKER.transitions[0]",
            "expected one of the transitions CLOSED -> OPEN, OPEN -> HALF_OPEN, HALF_OPEN -> CLOSED, HALF_OPEN -> OPEN",
        ),
        (
            "    - from: CLOSED\n      to: BROKEN\n      condition: x\n",
            4,
            "CIRCUIT_BREAKER.transitions[0].to",
            "expected 'CLOSED' or 'OPEN' or 'HALF_OPEN', got 'BROKEN'",
        ),
        ("    - from: CLOSED\n      to: OPEN\n", 3, "CIRCUIT_BREAKER.transitions[0]", "missing key 'condition'"),
        (
            "    - {from: OPEN, to: HALF_OPEN, condition: After 1 second}\n"
            "    - {from: OPEN, to: HALF_OPEN, condition: After 2 seconds}\n",
            4,
            "CIRCUIT_BREAKER.transitions[1]",
            "duplicate transition OPEN -> HALF_OPEN, first at line 3",
        ),
        (
            "    - {from: OPEN, to: HALF_OPEN, condition: After 1 second, when: now}\n",
            3,
            "CIRCUIT_BREAKER.transitions[0].when",
            "unknown key 'when'; allowed here: from, to, condition, log",
        ),
        ("    from: OPEN\n", 3, "CIRCUIT_BREAKER.transitions", "expected a list of transitions"),
    ],
)
def test_breaker_refusals(tmp_path: Path, items: str, line: int, key: str, expected: str) -> None:
    e = refuse(tmp_path, BREAKER_HEAD + items)
    assert (e.line, e.key) == (line, key)
    assert expected in str(e)


def test_breaker_states_are_the_three(tmp_path: Path) -> None:
    e = refuse(tmp_path, "CIRCUIT_BREAKER:\n  states:\n    CLOSED: ok\n    BROKEN: no\n")
    assert (e.line, e.key) == (4, "CIRCUIT_BREAKER.states.BROKEN")
    assert "allowed here: CLOSED, OPEN, HALF_OPEN" in str(e)


# -- LOG_CONFIGURATION: sizes, counts, fixed values, components -------------------------------------


@pytest.mark.parametrize(
    ("size", "bytes_"),
    [
        ("100MB", 100 * 2**20),
        ("1GB", 2**30),
        ("512KB", 512 * 1024),
        ("1.5GB", int(1.5 * 2**30)),
        ("64 mb", 64 * 2**20),
    ],
)
def test_sizes(tmp_path: Path, size: str, bytes_: int) -> None:
    assert load(tmp_path, f"LOG_CONFIGURATION:\n  max_size: {size}\n").log.max_size_bytes == bytes_


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("100", "expected a size like '100MB' (KB, MB or GB), got '100'"),
        ("100TB", "got '100TB'"),
        ("0MB", "expected a size above zero"),
        ("big", "got 'big'"),
    ],
)
def test_size_refusals(tmp_path: Path, size: str, expected: str) -> None:
    e = refuse(tmp_path, f"LOG_CONFIGURATION:\n  format: pipe_delimited\n  max_size: {size}\n")
    assert (e.line, e.key) == (3, "LOG_CONFIGURATION.max_size")
    assert expected in str(e)


@pytest.mark.parametrize(
    ("text", "ms"),
    [("5 minutes", 300_000), ("30 seconds", 30_000), ("1 hour", 3_600_000), ("0 seconds", 0), ("1.5 minute", 90_000)],
)
def test_max_future_is_a_duration(tmp_path: Path, text: str, ms: int) -> None:
    """SPEC 3's LOG_CONFIGURATION.max_future (it used to be refused as an unknown key)."""
    assert load(tmp_path, f"LOG_CONFIGURATION:\n  max_future: {text}\n").log.max_future_ms == ms


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("soon", "expected a duration like '30 seconds', '5 minutes' or '1 hour', got 'soon'"),
        ("5", "got '5'"),
        ("9" * 400 + " hours", "expected at most a year"),
    ],
)
def test_max_future_refusals(tmp_path: Path, value: str, expected: str) -> None:
    e = refuse(tmp_path, f"LOG_CONFIGURATION:\n  max_future: {value}\n")
    assert (e.line, e.key) == (2, "LOG_CONFIGURATION.max_future")
    assert expected in str(e)


def test_counts(tmp_path: Path) -> None:
    cfg = load(tmp_path, "LOG_CONFIGURATION:\n  rotation: 12_files\n  retention: 1_day\n  compression: none\n")
    assert (cfg.log.rotation_files, cfg.log.retention_days, cfg.log.compression) == (12, 1, "none")
    assert load(tmp_path, "LOG_CONFIGURATION:\n  rotation: 0_files\n").log.rotation_files == 0


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("rotation", "7_days", "expected a count like '7_files', got '7_days'"),
        ("rotation", "7", "expected a count like '7_files', got '7'"),
        ("retention", "7_weeks", "expected a count like '7_days', got '7_weeks'"),
        ("retention", "0_days", "expected at least 1 day, got '0_days'"),
        ("retention", "seven_days", "got 'seven_days'"),
        ("format", "csv", "expected 'pipe_delimited' (the only format execlog reads), got 'csv'"),
        ("timestamp", "epoch", "expected 'ISO8601_with_ms' (the only timestamp format execlog reads), got 'epoch'"),
        ("compression", "zstd", "expected 'gzip_rotated' or 'none', got 'zstd'"),
    ],
)
def test_log_configuration_refusals(tmp_path: Path, key: str, value: str, expected: str) -> None:
    e = refuse(tmp_path, f"# a comment\nLOG_CONFIGURATION:\n  {key}: {value}\n")
    assert (e.line, e.key) == (3, f"LOG_CONFIGURATION.{key}")
    assert expected in str(e)


def test_components_mapping_or_list(tmp_path: Path) -> None:
    cfg = load(tmp_path, "LOG_CONFIGURATION:\n  components:\n    api: External calls\n    Billing: Payments\n")
    assert cfg.log.components == ("API", "BILLING")
    cfg = load(tmp_path, "LOG_CONFIGURATION:\n  components: [SYSTEM, cache, CACHE]\n")
    assert cfg.log.components == ("SYSTEM", "CACHE")


def test_descriptive_entries_accept_any_name(tmp_path: Path) -> None:
    cfg = load(
        tmp_path, "LOG_CONFIGURATION:\n  status_codes:\n    PARTIAL: Half done\n  log_levels:\n    TRACE: Very chatty\n"
    )
    assert dataclasses.replace(cfg, source=None) == Config()


def test_descriptive_entry_must_be_text(tmp_path: Path) -> None:
    e = refuse(tmp_path, "LOG_CONFIGURATION:\n  status_codes:\n    SUCCESS:\n      - a\n")
    assert (e.line, e.key) == (4, "LOG_CONFIGURATION.status_codes.SUCCESS")
    assert "expected a description (text), got a list" in str(e)


def test_component_name_with_a_space_is_refused(tmp_path: Path) -> None:
    e = refuse(tmp_path, "LOG_CONFIGURATION:\n  components:\n    - SYSTEM\n    - MY API\n")
    assert (e.line, e.key) == (4, "LOG_CONFIGURATION.components[1]")


# -- SAFEGUARDS -------------------------------------------------------------------------------------


def test_safeguards(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        """
        SAFEGUARDS:
          memory_protection:
            limit: "200MB per session"
          log_overflow:
            limit: "50MB per file"
          cache_overflow:
            limit: "1GB per tier"
          graceful_degradation:
            trigger: "Cache < 50% hit rate"
    """,
    )
    assert cfg.safeguards.memory_limit_mb == 200.0
    assert cfg.safeguards.log_file_limit_bytes == 50 * 2**20
    assert cfg.safeguards.degraded_below_hit_rate == 50.0


@pytest.mark.parametrize(("limit", "mb"), [("1GB", 1024.0), ("512KB per session", 0.5), ("64MB", 64.0)])
def test_memory_limit_notation(tmp_path: Path, limit: str, mb: float) -> None:
    cfg = load(tmp_path, f"SAFEGUARDS:\n  memory_protection:\n    limit: {limit}\n")
    assert cfg.safeguards.memory_limit_mb == mb


@pytest.mark.parametrize("trigger", ["cache_hit_rate < 55%", "Cache hit rate < 55%", "cache<55%"])
def test_degradation_trigger_notation(tmp_path: Path, trigger: str) -> None:
    cfg = load(tmp_path, f"SAFEGUARDS:\n  graceful_degradation:\n    trigger: {trigger}\n")
    assert cfg.safeguards.degraded_below_hit_rate == 55.0


@pytest.mark.parametrize(
    ("text", "line", "key", "expected"),
    [
        (
            "SAFEGUARDS:\n  memory_protection:\n    limit: 100MB per tier\n",
            3,
            "SAFEGUARDS.memory_protection.limit",
            "expected a limit like '100MB per session', got '100MB per tier'",
        ),
        (
            "SAFEGUARDS:\n  log_overflow:\n    limit: lots\n",
            3,
            "SAFEGUARDS.log_overflow.limit",
            "expected a limit like '100MB per file'",
        ),
        (
            "SAFEGUARDS:\n  graceful_degradation:\n    trigger: Cache > 60% hit rate\n",
            3,
            "SAFEGUARDS.graceful_degradation.trigger",
            "expected a trigger like 'Cache < 60% hit rate'",
        ),
        (
            "SAFEGUARDS:\n  graceful_degradation:\n    trigger: Cache < 160% hit rate\n",
            3,
            "SAFEGUARDS.graceful_degradation.trigger",
            "expected a percentage from 0 to 100",
        ),
        (
            "SAFEGUARDS:\n  memory_protection:\n    action: [a]\n",
            3,
            "SAFEGUARDS.memory_protection.action",
            "expected text, got a list",
        ),
    ],
)
def test_safeguard_refusals(tmp_path: Path, text: str, line: int, key: str, expected: str) -> None:
    e = refuse(tmp_path, text)
    assert (e.line, e.key) == (line, key)
    assert expected in str(e)


# -- error kinds ------------------------------------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    e = refuse(tmp_path, "THRESHOLDS: {}\n\nMONITOR:\n  alerts: {}\n")
    assert str(e) == (
        "execlog.yaml:3: MONITOR: unknown key 'MONITOR' (did you mean MONITORING?); allowed here: "
        "LOG_CONFIGURATION, THRESHOLDS, MONITORING, CIRCUIT_BREAKER, SAFEGUARDS, "
        "CRITICAL_PATHS, ANALYSIS_QUERIES"
    )


def test_unknown_nested_key_lists_the_allowed_ones(tmp_path: Path) -> None:
    e = refuse(tmp_path, "THRESHOLDS:\n  bootstrap:\n    optimal: '< 250ms'\n    good: '< 100ms'\n")
    assert (e.line, e.key) == (4, "THRESHOLDS.bootstrap.good")
    assert str(e).endswith("unknown key 'good'; allowed here: optimal, acceptable, warning, error")


def test_unknown_threshold_name(tmp_path: Path) -> None:
    e = refuse(tmp_path, "THRESHOLDS:\n  error_rate:\n    optimal: '< 1%'\n")
    assert (e.line, e.key) == (2, "THRESHOLDS.error_rate")
    assert "allowed here: bootstrap, cache_hit_rate, memory_usage, response_time" in str(e)


def test_duplicate_key(tmp_path: Path) -> None:
    e = refuse(tmp_path, "THRESHOLDS:\n  bootstrap:\n    optimal: '< 1ms'\n    optimal: '< 2ms'\n")
    assert (e.line, e.key) == (4, "THRESHOLDS.bootstrap.optimal")
    assert "duplicate key 'optimal', first at line 3" in str(e)


@pytest.mark.parametrize(
    ("text", "line", "key", "expected"),
    [
        ("- LOG_CONFIGURATION\n", 1, "top level", "expected a mapping of sections with keys LOG_CONFIGURATION"),
        ("just words\n", 1, "top level", "got 'just words'"),
        ("THRESHOLDS:\n  - bootstrap\n", 2, "THRESHOLDS", "expected a mapping with keys bootstrap, cache_hit_rate"),
        ("THRESHOLDS:\n  bootstrap: '< 250ms'\n", 2, "THRESHOLDS.bootstrap", "got '< 250ms'"),
        (
            "THRESHOLDS:\n  bootstrap:\n    optimal: {lt: 250}\n",
            3,
            "THRESHOLDS.bootstrap.optimal",
            "expected a band like '< 250ms', '250-300ms' or '> 85%', got a mapping",
        ),
        (
            "MONITORING:\n  alerts:\n    conditions: {error_rate: 5}\n",
            3,
            "MONITORING.alerts.conditions",
            "expected a list of conditions like 'error_rate > 5%', got a mapping",
        ),
        ("LOG_CONFIGURATION:\n  max_size: [100MB]\n", 2, "LOG_CONFIGURATION.max_size", "got a list"),
        ("SAFEGUARDS: 12\n", 1, "SAFEGUARDS", "got '12'"),
        ("THRESHOLDS:\n  ? [a, b]\n  : x\n", 2, "THRESHOLDS", "expected a name as key, got a list"),
    ],
)
def test_wrong_types(tmp_path: Path, text: str, line: int, key: str, expected: str) -> None:
    e = refuse(tmp_path, text)
    assert (e.line, e.key) == (line, key)
    assert expected in str(e)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("THRESHOLDS:\n  bootstrap:\n    optimal: '< 250ms\n", 4),  # unterminated quote: found at the end
        ("THRESHOLDS:\n  bootstrap: {\n", 3),
        ("THRESHOLDS:\n  bootstrap:\n  optimal: x\n   warning: y\n", 4),
        ("a: 1\n---\nb: 2\n", 2),  # two documents
        ("THRESHOLDS: *nowhere\n", 1),
    ],
)
def test_invalid_yaml_names_the_line(tmp_path: Path, text: str, line: int) -> None:
    e = refuse(tmp_path, text)
    assert e.line == line and e.key is None
    assert str(e).startswith(f"execlog.yaml:{line}: invalid YAML: ")
    assert "\n" not in str(e)


def test_control_character(tmp_path: Path) -> None:
    e = refuse(tmp_path, "THRESHOLDS: {}\nMONITORING: \x07\n")
    assert e.line == 2
    assert "unacceptable character #x0007" in str(e)


def test_missing_file_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path / 'nope.yaml'}: cannot read: No such file or directory"


def test_directory_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read: Is a directory"):
        load_config(tmp_path)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "execlog.yaml.gz"
    p.write_bytes(gzip.compress(b"THRESHOLDS: {}\n"))
    with pytest.raises(ConfigError, match=r"not UTF-8 text|invalid YAML"):
        load_config(p)


def test_non_utf8_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "execlog.yaml"
    p.write_bytes(b"THRESHOLDS: {}\n# caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        load_config(p)
    assert info.value.line == 2 and "not UTF-8 text" in str(info.value)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "execlog.yaml"
    p.write_bytes(b"#" * (MAX_CONFIG_BYTES + 1))
    with pytest.raises(ConfigError, match="cannot read: larger than 1024 KiB"):
        load_config(p)


def test_long_values_are_shortened_and_messages_stay_one_line(tmp_path: Path) -> None:
    e = refuse(tmp_path, 'THRESHOLDS:\n  bootstrap:\n    optimal: "' + "x" * 5000 + '\\nline two"\n')
    assert len(str(e)) < 300 and "\n" not in str(e)
    assert e.line == 3


# -- never a traceback ------------------------------------------------------------------------------

EXAMPLE_TEXT = (EXAMPLE).read_text(encoding="utf-8")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, len(EXAMPLE_TEXT)),
            st.integers(0, 40),
            st.text(alphabet=":-[]{}>|'\"\n #&*!%?,_0123456789abcOPEN\t~\x00\x85", max_size=8),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_mangled_example_gives_a_config_or_a_one_line_error(tmp_path: Path, edits: list[tuple[int, int, str]]) -> None:
    text = EXAMPLE_TEXT
    for at, cut, insert in edits:
        text = text[:at] + insert + text[at + cut :]
    p = tmp_path / "fuzz.yaml"
    p.write_text(text, encoding="utf-8")
    try:
        cfg = load_config(p)
    except ConfigError as e:
        assert "\n" not in str(e) and str(e).startswith(str(p))
    else:
        assert isinstance(cfg, Config)
