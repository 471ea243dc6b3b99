"""The GitHub Actions workflows: parseable, least privilege, pinned, protected prod, checked by Checkov."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts import delivery

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
    assert {p.name for p in WORKFLOWS} == {"pull-request.yml", "pr-comment.yml", "deploy.yml", "scan.yml", "image.yml"}
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
        # Only the comment job and the image workflow write to the repository; deploy and preview jobs
        # only mint OIDC tokens. The image workflow pushes the image and opens the pull request pinning it.
        if path.name == "image.yml":
            assert writes <= {"packages", "contents", "pull-requests"}, f"{path.name}:{name} writes {writes}"
            continue
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


def _run_steps(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_prod_deploys_only_through_the_protected_environment_after_staging() -> None:
    jobs = load(GITHUB / "workflows" / "deploy.yml")["jobs"]
    assert jobs["prod"]["environment"]["name"] == "production"
    assert jobs["prod"]["needs"] == ["staging"] and jobs["staging"]["needs"] == ["dev"]
    for stack in ("dev", "staging", "prod"):
        job = jobs[stack]
        assert job["concurrency"] == {"group": f"deploy-{stack}", "cancel-in-progress": False}
        assert job["env"]["STACK"] == stack
        # the runner that reaches the stack's cluster is configurable per stack
        assert delivery.runner_variable(stack) in job["runs-on"]
        credentials = next(s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", ""))
        assert "role-to-assume" in credentials["with"] and "aws-access-key-id" not in credentials["with"]
        # one role variable per GitHub environment (environment-scoped), never a shared repository secret
        assert credentials["with"]["role-to-assume"] == f"${{{{ vars.{delivery.AWS_ROLE_ENV} }}}}"
        assert job["env"][delivery.KUBECONFIG_DATA_ENV] == f"${{{{ secrets.{delivery.KUBECONFIG_DATA_ENV} }}}}"
        assert job["permissions"]["id-token"] == "write"


def test_a_stack_publishing_to_an_onprem_store_gets_its_settings_and_only_such_a_stack() -> None:
    from slipstack.delivery.credentials import check_credentials, stack_access

    jobs = load(GITHUB / "workflows" / "deploy.yml")["jobs"]
    store_settings = {delivery.ARTIFACT_STORE_ACCESS_KEY_ENV: "secrets",
                      delivery.ARTIFACT_STORE_SECRET_KEY_ENV: "secrets",
                      delivery.ARTIFACT_STORE_CA_ENV: "vars", delivery.ARTIFACT_STORE_ENDPOINT_ENV: "vars"}
    publishing = set()
    for stack, job in jobs.items():
        access = stack_access(REPO, stack)
        # What `slipstack credentials` asks this stack for, given everything else: the job must pass exactly those.
        asked = " ".join(check_credentials(access, {}, Path("/nonexistent")).problems)
        needed = {name for name in store_settings if name in asked}
        if access.onprem_store_endpoint:
            publishing.add(stack)
            assert needed, f"{stack}: publishes to {access.onprem_store_endpoint} but is asked for no store setting"
            for name, context in store_settings.items():
                assert job["env"].get(name) == f"${{{{ {context}.{name} }}}}", f"{stack}: env {name}"
        else:
            assert not needed and not set(store_settings) & set(job["env"]), stack
    assert publishing == {"dev", "prod"}


def test_every_pipeline_step_is_a_slipstack_command_or_make_target() -> None:
    jobs = load(GITHUB / "workflows" / "deploy.yml")["jobs"]
    for stack, job in jobs.items():
        runs = _run_steps(job)
        assert runs[0] == 'slipstack credentials --stack "$STACK"', stack  # first: fail naming what is missing
        heads = [run.split()[0] + " " + run.split()[1] for run in runs]
        assert heads == ["slipstack credentials", "pulumi login", "make prepare", "slipstack deploy",
                         "slipstack rollback"], stack
        rollback = next(s for s in job["steps"] if s.get("run", "").startswith("slipstack rollback"))
        assert rollback["if"] == "failure() && steps.deploy.outputs.up_started == 'true'"
    preview = load(GITHUB / "workflows" / "pull-request.yml")["jobs"]["preview"]
    assert [run.split()[0] + " " + run.split()[1] for run in _run_steps(preview)] == [
        "make prepare", "slipstack preview"]
    assert '--base-ref "origin/$BASE_REF"' in _run_steps(preview)[1]


def test_pull_request_preview_has_an_approval_gate_and_no_fork_credentials() -> None:
    data = load(GITHUB / "workflows" / "pull-request.yml")
    assert set(data["on"]) == {"pull_request"}  # never pull_request_target: no secrets near fork code
    jobs = data["jobs"]
    assert {"lint", "typecheck", "test", "preview", "approval", "cloud-preview"} <= set(jobs)
    assert jobs["approval"]["environment"] == "policy-approval"
    assert jobs["approval"]["if"] == "needs.preview.outputs.status == 'needs_approval'"
    assert jobs["preview"]["outputs"]["status"] == "${{ steps.preview.outputs.status }}"
    cloud = jobs["cloud-preview"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in cloud["if"]
    pulumi = next(step for step in cloud["steps"] if step.get("uses", "").startswith("pulumi/actions@"))
    # The base branch's pack (test_the_cloud_preview_uses_the_base_branchs_policy_pack_and_config).
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["policyPacks"] == "${{ steps.policy.outputs.pack }}"
    assert cloud["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]


def test_comment_workflow_finds_the_pull_request_from_the_run_not_from_the_artifact() -> None:
    data = load(GITHUB / "workflows" / "pr-comment.yml")
    assert data["on"]["workflow_run"]["workflows"] == ["pull request"]
    step = data["jobs"]["comment"]["steps"][-1]
    script = step["run"]
    assert step["env"]["HEAD_REPO"] == "${{ github.event.workflow_run.head_repository.full_name }}"
    assert step["env"]["HEAD_BRANCH"] == "${{ github.event.workflow_run.head_branch }}"
    assert step["env"]["HEAD_SHA"] == "${{ github.event.workflow_run.head_sha }}"
    assert '.head.sha == \\"$HEAD_SHA\\"' in script and '.head.repo.full_name == \\"$HEAD_REPO\\"' in script
    assert "pr-number" not in script  # nothing the pull request's own run wrote decides where to comment
    assert "marker='<!-- slipstack-preview -->'" in script
    assert "--method PATCH" in script and "--method POST" in script
    assert "actions/checkout" not in (GITHUB / "workflows" / "pr-comment.yml").read_text()


def test_scan_workflow_audits_the_installed_packages_and_runs_checkov_failing_on_high() -> None:
    jobs = load(GITHUB / "workflows" / "scan.yml")["jobs"]
    audit = _run_steps(jobs["dependencies"])
    assert audit[-1] == "make audit"
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\naudit:")[1].split("\n\n")[0]
    assert "pip freeze" in recipe and "--requirement build/installed-requirements.txt --no-deps" in recipe
    checkov = "\n".join(step.get("run", "") for step in jobs["configuration"]["steps"])
    assert "--directory build/plan --framework kubernetes" in checkov
    assert "--file model_server/Dockerfile --framework dockerfile" in checkov
    assert checkov.count("--hard-fail-on HIGH,CRITICAL") == 2


def test_the_pulumi_cli_is_pinned_to_the_sdk_version() -> None:
    sdk = next(line.split("==")[1].strip() for line in (REPO / "requirements.txt").read_text().splitlines()
               if line.startswith("pulumi=="))
    pins = [step["with"]["pulumi-version"] for _, step in all_steps()
            if step.get("uses", "").startswith("pulumi/actions@")]
    assert pins and all(pin == sdk for pin in pins), pins
    uses = [step.get("uses") for _, step in all_steps()]
    # every job that runs pulumi gets the CLI from the pinned setup action or a pinned pulumi/actions step
    assert "./.github/actions/setup-pulumi" in uses


def test_the_image_workflow_builds_scans_pushes_and_pins_the_digest(tmp_path: Path) -> None:
    jobs = load(GITHUB / "workflows" / "image.yml")["jobs"]
    build = jobs["build"]["steps"]
    names = [step.get("name") for step in build]
    assert names.index("Build") < names.index("Scan") < names.index("Push")
    assert build[names.index("Scan")]["with"]["exit-code"] == "1"
    pin = next(s["run"] for s in jobs["pin"]["steps"] if s.get("name") == "Pin the pushed digest in the specs")
    assert pin.startswith("slipstack image-pin deployments/*.yaml")
    # the command the step runs, on a copy of a shipped spec
    spec = tmp_path / "spec.yaml"
    spec.write_text((REPO / "deployments" / "breast-cancer-screening.yaml").read_text())
    digest = "sha256:" + "ab" * 32
    result = subprocess.run(
        [str(REPO / ".venv" / "bin" / "slipstack"), "image-pin", str(spec), "--repository",
         "ghcr.io/slipstack/model-server", "--tag", "c0ffee", "--digest", digest],
        capture_output=True, text=True, timeout=60, cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    image = yaml.safe_load(spec.read_text())["environments"]["prod"]["serving"]["image"]
    assert image == {"repository": "ghcr.io/slipstack/model-server", "tag": "c0ffee", "digest": digest}
    bad = subprocess.run([str(REPO / ".venv" / "bin" / "slipstack"), "image-pin", str(spec), "--repository",
                          "ghcr.io/slipstack/model-server", "--tag", "x", "--digest", "sha256:1234"],
                         capture_output=True, text=True, timeout=60, cwd=REPO)
    assert bad.returncode == 2 and "64 hex digits" in bad.stderr


def test_codeowners_cover_what_decides_production() -> None:
    owners = (GITHUB / "CODEOWNERS").read_text().splitlines()
    paths = {line.split()[0] for line in owners if line.strip() and not line.startswith("#")}
    assert {"/deployments/", "/policies/", "/stacks/", "/.github/"} <= paths


def test_workflows_and_actions_match_the_github_schemas() -> None:
    checker = REPO / ".venv" / "bin" / "check-jsonschema"
    for schema, files in (("vendor.github-workflows", WORKFLOWS), ("vendor.github-actions", ACTIONS)):
        result = subprocess.run([str(checker), "--builtin-schema", schema, *map(str, files)],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing() -> None:
    result = subprocess.run([str(REPO / ".venv" / "bin" / "zizmor"), "--offline", "--config",
                             str(GITHUB / "zizmor.yml"), str(GITHUB)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


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


def test_the_cloud_preview_uses_the_base_branchs_policy_pack_and_config() -> None:
    job = load(GITHUB / "workflows" / "pull-request.yml")["jobs"]["cloud-preview"]
    steps = job["steps"]
    policy = next(s for s in steps if s.get("id") == "policy")
    assert policy["run"].startswith("slipstack base-policy --base-ref \"origin/$BASE_REF\"")
    assert policy["env"]["BASE_REF"] == "${{ github.base_ref }}"
    preview = next(s for s in steps if "pulumi/actions" in s.get("uses", ""))
    assert steps.index(policy) < steps.index(preview)
    assert preview["with"]["policyPacks"] == "${{ steps.policy.outputs.pack }}"
    assert preview["with"]["policyPackConfigs"] == "${{ steps.policy.outputs.config }}"
    checkout = next(s for s in steps if "actions/checkout" in s.get("uses", ""))
    assert checkout["with"]["fetch-depth"] == 0  # the base commit must be there to export its pack
