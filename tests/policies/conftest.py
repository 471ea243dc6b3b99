"""Makes tests/policies/policy_rule_cases.py importable from the per-rule test folders, and plans the
shipped stacks once per session for the tests that judge them (shipped stacks, coverage, fuzz)."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

REPO = Path(__file__).resolve().parents[2]
STACKS = ("dev", "staging", "prod", "modes")


@pytest.fixture(scope="session")
def shipped_plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """plan.json of every shipped stack, from the real `slipstack plan --stack <stack>` (mock engine, no cloud)."""
    found = {}
    for stack in STACKS:
        out = tmp_path_factory.mktemp(f"plan-{stack}")
        done = subprocess.run(
            [sys.executable, "-m", "slipstack", "plan", "--stack", stack, "--out", str(out), "--quiet"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        found[stack] = json.loads((out / "plan.json").read_text())
    return found
