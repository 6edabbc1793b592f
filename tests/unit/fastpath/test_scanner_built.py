"""The C scanner is built and speaks this module's interface wherever a compiler is present (CI has one):
otherwise every fast-path comparison would be skipped, not failed."""

from __future__ import annotations

import shutil

import pytest

from execlog_tui.core import fastpath


@pytest.mark.skipif(shutil.which("gcc") is None and shutil.which("cc") is None, reason="no C compiler here")
def test_the_scanner_is_built_with_the_expected_interface() -> None:
    from execlog_tui import _scan

    assert _scan.ABI == fastpath.SCAN_ABI, "rebuild the extension: pip install -e ."
    assert fastpath.available()
