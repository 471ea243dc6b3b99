"""Roll a stack back to its last good deployment: the commit and artifacts recorded by `slipstack deploy`.

The recorded commit is checked out in a worktree and deployed by its own code, through the same
`slipstack deploy` (plan, policy pack, publish, up, smoke), with the recorded artifact fingerprint
required: if packaging at that commit does not reproduce the artifacts that ran, nothing is deployed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from slipstack.delivery.deploy import recorded_deployment
from slipstack.delivery.errors import DeliveryInputError, DeployFailedError


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    completed = subprocess.run(command, cwd=cwd, env=env)
    if completed.returncode != 0:
        raise DeployFailedError(f"rollback step `{' '.join(command)}` failed with exit code {completed.returncode}")


def rollback_stack(project_root: Path, stack: str, log: Callable[[str], None] = print) -> str:
    project_root = project_root.resolve()
    recorded = recorded_deployment(project_root, stack)
    log(f"{stack}: rolling back to {recorded.commit} (artifacts {recorded.fingerprint[:12]})")
    worktree = project_root / "build" / "rollback" / stack
    if worktree.exists():
        _run(["git", "worktree", "remove", "--force", str(worktree)], project_root, dict(os.environ))
    found = subprocess.run(["git", "cat-file", "-e", f"{recorded.commit}^{{commit}}"], cwd=project_root,
                           capture_output=True)
    if found.returncode != 0:
        raise DeliveryInputError(
            f"stack {stack}: the recorded commit {recorded.commit} is not in this clone; check out with "
            "`fetch-depth: 0` (actions/checkout) so the history is there"
        )
    _run(["git", "worktree", "add", "--detach", str(worktree), recorded.commit], project_root, dict(os.environ))
    venv = project_root / ".venv"
    if venv.exists() and not (worktree / ".venv").exists():
        # Pulumi.yaml names the virtualenv `.venv` relative to the project: share the installed one.
        (worktree / ".venv").symlink_to(venv.resolve())
    env = {**os.environ, "PYTHONPATH": str(worktree)}  # the recorded commit's own code plans and deploys it
    _run(["make", "prepare"], worktree, env)
    _run([sys.executable, "-m", "slipstack", "deploy", "--stack", stack, "--commit", recorded.commit,
          "--expect-artifacts", recorded.fingerprint], worktree, env)
    return recorded.commit
