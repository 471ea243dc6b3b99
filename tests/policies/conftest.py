"""Makes tests/policies/policy_rule_cases.py importable from the per-rule test folders."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
