from __future__ import annotations

from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[4] / "shared" / "seed" / "000_5e52e74836c2b498.txt"
SAMPLE = Path(__file__).resolve().parents[3] / "sample_logs" / "seed_sample.log"


def seed_lines() -> list[str]:
    """The seed's 22 sample entries: from sample_logs/ (committed), else from the seed itself."""
    if SAMPLE.exists():
        text = SAMPLE.read_text()
    else:
        text = SEED.read_text()
    return [line for line in text.splitlines() if line.startswith("2025-")]


@pytest.fixture
def seed() -> list[str]:
    lines = seed_lines()
    assert len(lines) == 22
    return lines
