"""The GitHub Actions workflows: parseable, least privilege, pinned, protected prod, checked by Checkov."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
GITHUB = REPO / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
CHECKOV = REPO / ".venv-scan" / "bin" / "checkov"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def all_steps() -> list[tuple[str, dict[str, Any]]]:
    steps = []
    for path in WORKFLOWS:
        for job_name, job in load(path)["jobs"].items():
            steps += [(f"{path.name}:{job_name}", step) for step in job.get("steps", [])]
    for path in ACTIONS:
        steps += [(f"{path.parent.name}/action.yml", step) for step in load(path)["runs"]["steps"]]
    return steps


def test_the_expected_workflows_exist_and_parse() -> None:
    assert {p.name for p in WORKFLOWS} == {"pull-request.yml", "pr-comment.yml", "deploy.yml", "scan.yml"}
    for path in WORKFLOWS:
        data = load(path)
        assert data["on"] and data["jobs"], path.name


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_has_explicit_least_privilege_permissions(path: Path) -> None:
    data = load(path)
    assert data.get("permissions") == {}, f"{path.name}: top-level permissions must be {{}}"
    for name, job in data["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict) and permissions, f"{path.name}:{name} has no explicit permissions"
        assert "write-all" not in permissions.values()
        writes = {scope for scope, level in permissions.items() if level == "write"}
        # Only the comment job writes to the repository; deploy and preview jobs only mint OIDC tokens.
        assert writes <= {"id-token", "pull-requests"}, f"{path.name}:{name} writes {writes}"
        if "pull-requests" in writes:
            assert path.name == "pr-comment.yml"


def test_every_action_is_pinned_to_a_full_commit_sha() -> None:
    uses = [(where, step["uses"]) for where, step in all_steps() if "uses" in step]
    assert uses
    for where, action in uses:
        if action.startswith("./"):
            assert (REPO / action / "action.yml").is_file(), f"{where}: {action} does not exist"
            continue
        assert PINNED.match(action), f"{where}: {action} is not pinned to a commit SHA"


def test_prod_deploys_only_through_the_protected_environment_after_staging() -> None:
    jobs = load(GITHUB / "workflows" / "deploy.yml")["jobs"]
    assert jobs["prod"]["environment"]["name"] == "production"
    assert jobs["prod"]["needs"] == ["staging"] and jobs["staging"]["needs"] == ["dev"]
    for stack in ("dev", "staging", "prod"):
        job = jobs[stack]
        assert job["concurrency"] == {"group": f"deploy-{stack}", "cancel-in-progress": False}
        deploy = next(step for step in job["steps"] if step.get("uses") == "./.github/actions/deploy-stack")
        assert deploy["with"]["stack"] == stack
        assert deploy["with"]["previous-sha"] == "${{ github.event.before }}"
        credentials = next(s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", ""))
        assert "role-to-assume" in credentials["with"] and "aws-access-key-id" not in credentials["with"]
        assert job["permissions"]["id-token"] == "write"


def test_deploy_action_smoke_tests_and_rolls_back_to_the_previous_version() -> None:
    steps = load(GITHUB / "actions" / "deploy-stack" / "action.yml")["runs"]["steps"]
    names = [step.get("name") for step in steps]
    rollback_name = "Roll back (redeploy the previous version)"
    assert names.index("pulumi up") < names.index("Smoke test") < names.index(rollback_name)
    smoke = steps[names.index("Smoke test")]
    assert 'slipstack smoke --stack "$STACK"' in smoke["run"]
    rollback = steps[names.index("Roll back (redeploy the previous version)")]
    assert rollback["if"] == "failure() && steps.smoke.outcome == 'failure'"
    assert rollback["with"]["command"] == "up" and rollback["with"]["work-dir"] == "build/rollback"
    checkout = steps[names.index("Check out the previous version")]
    assert 'git worktree add --detach build/rollback "$PREVIOUS_SHA"' in checkout["run"]


def test_pull_request_preview_plans_base_and_head_and_fails_on_mandatory() -> None:
    data = load(GITHUB / "workflows" / "pull-request.yml")
    assert set(data["on"]) == {"pull_request"}  # never pull_request_target: no secrets near fork code
    jobs = data["jobs"]
    assert {"lint", "typecheck", "test", "preview", "cloud-preview"} <= set(jobs)
    script = "\n".join(step.get("run", "") for step in jobs["preview"]["steps"])
    assert "slipstack plan --stack" in script and "slipstack policy --plan" in script
    assert 'git worktree add --detach build/base "origin/$BASE_REF"' in script
    assert "slipstack diff --base build/preview/base --head build/preview/head" in script
    assert "--fail-on-mandatory" in script
    cloud = jobs["cloud-preview"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in cloud["if"]
    pulumi = next(step for step in cloud["steps"] if step.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["policyPacks"] == "policies"
    assert cloud["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]


def test_comment_workflow_updates_one_comment_by_its_marker() -> None:
    data = load(GITHUB / "workflows" / "pr-comment.yml")
    assert data["on"]["workflow_run"]["workflows"] == ["pull request"]
    script = data["jobs"]["comment"]["steps"][-1]["run"]
    assert "marker='<!-- slipstack-preview -->'" in script
    assert "--method PATCH" in script and "--method POST" in script
    assert "actions/checkout" not in (GITHUB / "workflows" / "pr-comment.yml").read_text()


def test_scan_workflow_runs_pip_audit_and_checkov_failing_on_high() -> None:
    jobs = load(GITHUB / "workflows" / "scan.yml")["jobs"]
    audit = "\n".join(step.get("run", "") for step in jobs["dependencies"]["steps"])
    assert "pip-audit --requirement requirements.txt" in audit
    checkov = "\n".join(step.get("run", "") for step in jobs["configuration"]["steps"])
    assert "--directory build/plan --framework kubernetes" in checkov
    assert "--file model_server/Dockerfile --framework dockerfile" in checkov
    assert checkov.count("--hard-fail-on HIGH,CRITICAL") == 2


def test_checkov_github_actions_checks_pass() -> None:
    assert CHECKOV.exists(), ".venv-scan/bin/checkov is not installed: run `make setup` (the independent scan)"
    result = subprocess.run(
        [str(CHECKOV), "-d", str(GITHUB), "--framework", "github_actions", "-o", "json"],
        capture_output=True, text=True, timeout=120,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    (report,) = [r for r in reports if r["check_type"] == "github_actions"]
    failed = [(f["check_id"], f["file_path"], f["resource"]) for f in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 0
    assert result.returncode == 0
