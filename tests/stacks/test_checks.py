"""`slipstack validate` checks the stacks that deploy the specs it is given (stacks/checks.py), at file:line,
with what `slipstack plan` used to find only after the engine started."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.stacks.stack_projects import project_with

SPEC = "deployments/breast-cancer-screening.yaml"


def validate(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "slipstack", "validate", SPEC, *args], cwd=project,
                          capture_output=True, text=True, timeout=120, check=False)


def line_of(path: Path, text: str, after: int = 0) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if n > after and text in line)


def test_the_shipped_stacks_that_deploy_a_spec_are_checked_with_it(repo_root: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "slipstack", "validate", SPEC], cwd=repo_root,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    # breast-cancer-screening is deployed by dev, staging and prod, not by the serving-modes stack
    assert [line.split()[1] for line in done.stdout.splitlines() if " stack " in line] == [
        "stacks/Pulumi.dev.yaml", "stacks/Pulumi.prod.yaml", "stacks/Pulumi.staging.yaml"]


def _eks_open_to_the_world(config: dict[str, Any]) -> None:
    config["slipstack:kubernetes"]["eks"].update(api_reachable_from="public_cidrs", public_access_cidrs=["0.0.0.0/0"])


def _aws_only(config: dict[str, Any]) -> None:
    config["slipstack:targets"] = ["aws"]


def _image_by_tag(config: dict[str, Any]) -> None:
    config["slipstack:aws"]["monitoring_job"] = {
        "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/monitor:2.0.0"}


@pytest.mark.parametrize(("edit", "where", "expected"), [
    (_eks_open_to_the_world, ("stack", "eks:"),
     "slipstack:kubernetes.eks: public_access_cidrs: '0.0.0.0/0' is not a narrow public range (/16 or smaller, not "
     "private): list the deploying runners' egress CIDRs"),
    (_aws_only, ("spec", "targets: [aws, onprem]"),
     "targets: model 'breast-cancer-screening' deploys to onprem in staging, but stack 'staging' provides only aws "
     "(stacks/Pulumi.staging.yaml:"),
    (_image_by_tag, ("stack", "image:"),
     "slipstack:aws.monitoring_job.image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/monitor:2.0.0' names a "
     "tag; jobs run images by digest"),
], ids=["eks-api-cidrs", "targets", "image-by-tag"])
def test_a_stack_problem_is_refused_by_validate_at_its_line(
    tmp_path: Path, repo_root: Path, edit: Any, where: tuple[str, str], expected: str
) -> None:
    project = project_with(tmp_path, repo_root, edit)
    done = validate(project)
    assert done.returncode == 2, done.stdout
    kind, text = where
    if kind == "stack":
        shown = "stacks/Pulumi.staging.yaml"
        line = line_of(project / "stacks" / "Pulumi.staging.yaml", text)
    else:
        shown = SPEC
        line = line_of(repo_root / SPEC, text, after=line_of(repo_root / SPEC, "  staging:"))
    assert f"{shown}:{line}: {expected}" in done.stderr
    assert "problem(s) in 1 spec file(s) and 1 stack file(s)" in done.stderr
    # `slipstack plan` stops at the same line before the engine starts
    from contracts.errors import SlipstackError
    from slipstack.plan.runner import find_project, plan_stack

    with pytest.raises(SlipstackError) as refused:
        plan_stack("staging", find_project(project), tmp_path / "out")
    assert f":{line}: {expected.split(' (stacks/')[0]}" in str(refused.value)  # paths shown from another cwd
    assert not (tmp_path / "out").exists()
