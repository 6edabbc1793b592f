"""The import contracts of pyproject.toml ([tool.importlinter]) hold: layers are checked by the tests too."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _lint_imports() -> str:
    # import-linter is in the test extras: beside the interpreter in a virtual environment, else on PATH.
    beside = Path(sys.executable).with_name("lint-imports")
    found = str(beside) if beside.is_file() else shutil.which("lint-imports")
    assert found, "lint-imports not found: pip install -e '.[test]'"
    return found


def test_import_contracts_are_kept() -> None:
    out = subprocess.run(
        [_lint_imports(), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
