"""Fixtures of the preview tests: the example plans written to a temporary folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from example_plans import write_example


@pytest.fixture
def example(tmp_path: Path) -> tuple[Path, Path]:
    """(base, head) plan-set folders of the example pull request."""
    return write_example(tmp_path)
