"""core/, sources/ and batch mode never import Textual (DESIGN.md): checked in a fresh interpreter."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import execlog_tui

ROOT = Path(execlog_tui.__file__).parent


def _modules(sub: str) -> list[str]:
    return [f"execlog_tui.{sub}.{m.name}" for m in pkgutil.iter_modules([str(ROOT / sub)])]


def test_core_sources_and_batch_never_import_textual() -> None:
    modules = _modules("core") + _modules("sources") + ["execlog_tui.pipeline", "execlog_tui.report", "execlog_tui.cli"]
    assert len(modules) > 8
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_dashboard_imports_re2_with_its_first_regular_expression() -> None:
    """RE2 and libstdc++ are 2.5 MB of the dashboard's memory: loaded when a `re:` pattern is typed."""
    code = (
        "import sys\n"
        "import execlog_tui.cli, execlog_tui.session, execlog_tui.ui.app\n"
        "from execlog_tui.ui.filters import compile_regex\n"
        "before = 're2' in sys.modules\n"
        "found = compile_regex('A+B').search('xAAB')\n"
        "print(before, 're2' in sys.modules, found.start())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "1"]
