"""A copy of the project whose staging stack file a test edits (specs, examples and packages linked, not copied)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml


def project_with(tmp_path: Path, repo_root: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the project (specs and artifacts linked) whose staging stack file `edit` changed."""
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text((repo_root / "Pulumi.yaml").read_text())
    for shared in ("deployments", "examples", "build"):
        (project / shared).symlink_to(repo_root / shared)
    document = yaml.safe_load((repo_root / "stacks" / "Pulumi.staging.yaml").read_text())
    edit(document["config"])
    (project / "stacks" / "Pulumi.staging.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return project
