"""Entry point for the Pulumi CLI (`pulumi preview/up` in this folder): runs the Slipstack program."""

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
# The CLI runs this file as a script; the repo root must be importable for stacks/, infra/, ...
sys.path.insert(0, str(PROJECT_ROOT))

from stacks.program import main  # noqa: E402

main(PROJECT_ROOT)
