"""Bounded configuration loading: aliases that expand past MAX_CONFIG_NODES, MONITORING.max_components."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from execlog_tui.core.config_file import MAX_CONFIG_NODES, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[3]


def alias_bomb(n: int = 2_000) -> str:
    """About 25 KB: n steps, each an alias of one step whose checkpoints are n aliases of one checkpoint,
    in several paths: n * n * paths checkpoints once expanded (10^9 for the issue's file)."""
    checkpoints = ", ".join(["*c"] * n)
    steps = ", ".join(["*s"] * n)
    return (
        "CRITICAL_PATHS:\n"
        "  seed:\n"
        "    - &s {component: API, checkpoints: [&c {START: begin}, " + checkpoints + "]}\n"
        "  many: &p [" + steps + "]\n"
        "  more: *p\n"
        "  again: *p\n"
    )


def test_alias_bomb_is_refused_fast_with_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "bomb.yaml"
    cfg.write_text(alias_bomb())
    assert cfg.stat().st_size < 30_000
    # In a child with a deadline: before the fix the loader walked the expanded tree for minutes.
    code = "import sys; from execlog_tui.core.config_file import load_config; load_config(sys.argv[1])"
    out = subprocess.run([sys.executable, "-c", code, str(cfg)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode != 0
    assert "ConfigError" in out.stderr
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    message = str(err.value)
    assert message.startswith(f"{cfg}:4: CRITICAL_PATHS.many: anchors and aliases expand to more than")
    assert f"{MAX_CONFIG_NODES:,}" in message and "\n" not in message


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "loop.yaml"
    cfg.write_text("CRITICAL_PATHS:\n  p: &p\n  - component: X\n    checkpoints: *p\n")
    with pytest.raises(ConfigError, match=r"loop.yaml:3: CRITICAL_PATHS.p\[0\]: anchors and aliases"):
        load_config(cfg)


def test_a_few_aliases_still_load(tmp_path: Path) -> None:
    cfg = tmp_path / "ok.yaml"
    cfg.write_text(
        "CRITICAL_PATHS:\n"
        "  a: &a\n"
        "    - component: API\n"
        "      checkpoints: [{START: s}, {END: e}]\n"
        "  b: *a\n"
        "MONITORING:\n"
        "  max_components: 2_000\n"
    )
    assert load_config(cfg).monitoring.max_components == 2_000


@pytest.mark.parametrize("value", ["0", "-3", "lots", "1000000", "[1]"])
def test_max_components_out_of_range_is_refused(tmp_path: Path, value: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"MONITORING:\n  max_components: {value}\n")
    with pytest.raises(ConfigError, match=r"c.yaml:2: MONITORING.max_components: expected a count of components"):
        load_config(cfg)
