"""Rehearse the pipeline: the workflows' `run:` steps, read from the YAML, in order, on a fresh clone.

Only the `pulumi` executable is a stand-in (tests/github/pulumi_standin.py records every call and answers
as the CLI would); everything else is real: `make prepare` trains and packages in the clone, `slipstack
preview` plans head and base with their own code, `slipstack deploy` publishes to S3 in moto's server mode,
and the smoke test calls SageMaker runtime (moto) and a real MLServer (`slipstack serve`) for on-prem.
`uses:` steps are what the clone already is (checkout) or has (the .venv of this checkout).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts import delivery

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
STANDIN = Path(__file__).with_name("pulumi_standin.py")
SPEC = "deployments/breast-cancer-screening.yaml"
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


# ------------------------------------------------------------------------------------------- the runner


def load_workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in data:  # YAML 1.1 reads the key `on` as True
        data["on"] = data.pop(True)
    return data


@dataclass
class StepResult:
    name: str
    command: str
    returncode: int | None  # None: skipped by its `if:`
    output: str


@dataclass
class JobRun:
    steps: list[StepResult] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(s.returncode not in (None, 0) for s in self.steps)

    def step(self, needle: str) -> StepResult:
        return next(s for s in self.steps if needle in s.command)


def _lookup(path: str, context: dict[str, Any]) -> Any:
    value: Any = context
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _value(expression: str, context: dict[str, Any]) -> Any:
    """The subset of GitHub expressions the workflows use: lookups, quoted literals, ||, ==, &&, !=, calls."""
    expression = expression.strip()
    if " && " in expression:
        return all(_value(part, context) for part in expression.split(" && "))
    if " || " in expression:
        for part in expression.split(" || "):
            if value := _value(part, context):
                return value
        return ""
    for operator in ("==", "!="):
        if f" {operator} " in expression:
            left, right = expression.split(f" {operator} ")
            same = _value(left, context) == _value(right, context)
            return same if operator == "==" else not same
    if expression in ("failure()", "always()", "success()"):
        return {"failure()": context["_failed"], "always()": True, "success()": not context["_failed"]}[expression]
    if expression[:1] == "'" and expression[-1:] == "'":
        return expression[1:-1]
    value = _lookup(expression, context)
    return "" if value is None else value


def _substitute(text: str, context: dict[str, Any]) -> str:
    return EXPRESSION.sub(lambda m: str(_value(m.group(1), context)), text)


def _default_env(context: dict[str, Any], clone: Path) -> dict[str, str]:
    """The variables every Actions runner sets that the workflows read."""
    github = context.get("github") or {}
    return {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(clone), "GITHUB_SHA": str(github.get("sha", ""))}


def run_job(workflow: str, job_name: str, clone: Path, context: dict[str, Any], env: dict[str, str]) -> JobRun:
    job = load_workflow(workflow)["jobs"][job_name]
    context = {**context, "steps": {}, "_failed": False}
    job_env = {key: _substitute(str(value), context) for key, value in (job.get("env") or {}).items()}
    run = JobRun()
    for index, step in enumerate(job["steps"]):
        if "run" not in step:
            continue
        condition = step.get("if")
        if condition is None:
            runs = not context["_failed"]  # success() is the default condition
        else:
            runs = bool(_value(EXPRESSION.sub(lambda m: m.group(1), str(condition)), context))
        if not runs:
            run.steps.append(StepResult(step.get("name", ""), step["run"], None, ""))
            continue
        outputs_file = clone / "build" / f".github-output-{job_name}-{index}"
        outputs_file.parent.mkdir(parents=True, exist_ok=True)
        outputs_file.write_text("")
        step_env = {key: _substitute(str(value), context) for key, value in (step.get("env") or {}).items()}
        script = _substitute(step["run"], context)
        completed = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script], cwd=clone, capture_output=True, text=True,
            env={**env, **_default_env(context, clone), **job_env, **step_env, "GITHUB_OUTPUT": str(outputs_file)},
            timeout=1800,
        )
        outputs = dict(line.split("=", 1) for line in outputs_file.read_text().splitlines() if "=" in line)
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": outputs,
                                            "outcome": "success" if completed.returncode == 0 else "failure"}
        run.steps.append(StepResult(step.get("name", ""), step["run"], completed.returncode,
                                    completed.stdout + completed.stderr))
        if completed.returncode != 0:
            context["_failed"] = True
    return run


# ------------------------------------------------------------------------------------------- fixtures


def _git(clone: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=clone, check=True, capture_output=True, text=True).stdout.strip()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Rehearsal:
    clone: Path
    env: dict[str, str]
    log: Path
    state: Path
    moto_url: str

    def commit(self, message: str, edit: dict[str, tuple[str, str]] | None = None, branch: str | None = None) -> str:
        if branch:
            _git(self.clone, "checkout", "-q", "-B", branch, "main")
        for path, (old, new) in (edit or {}).items():
            file = self.clone / path
            text = file.read_text()
            assert old in text, f"{path}: {old!r} not found"
            file.write_text(text.replace(old, new, 1))
        _git(self.clone, "commit", "-q", "--allow-empty", "-am", message)
        return _git(self.clone, "rev-parse", "HEAD")

    def pulumi_calls(self) -> list[dict[str, Any]]:
        if not self.log.is_file():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    from moto.server import ThreadedMotoServer

    root = tmp_path_factory.mktemp("rehearsal")
    clone = root / "repo"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO), str(clone)], check=True)
    _git(clone, "checkout", "-q", "-B", "main")
    _git(clone, "config", "user.email", "rehearsal@example.com")
    _git(clone, "config", "user.name", "rehearsal")
    _git(clone, "update-ref", "refs/remotes/origin/main", "HEAD")  # the base branch a pull request targets
    (clone / ".venv").symlink_to((REPO / ".venv").resolve())  # what ./.github/actions/setup-slipstack installs
    bin_dir = root / "bin"
    bin_dir.mkdir()
    (bin_dir / "pulumi").write_text(f"#!/bin/sh\nexec {sys.executable} {STANDIN} \"$@\"\n")
    (bin_dir / "pulumi").chmod(0o755)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("AWS_", "PULUMI_", "GITHUB_", "KUBECONFIG")) and key != "PYTHONPATH"
    }
    env.update({
        "PATH": f"{bin_dir}:{clone / '.venv' / 'bin'}:{env['PATH']}",
        "PYTHONPATH": str(clone),  # the shared virtualenv must import the clone's code
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-1",
        "PULUMI_STANDIN_LOG": str(root / "pulumi-calls.jsonl"), "PULUMI_STANDIN_STATE": str(root / "state"),
        "HOME": str(root),
    })
    try:
        yield Rehearsal(clone, env, root / "pulumi-calls.jsonl", root / "state", f"http://127.0.0.1:{port}")
    finally:
        server.stop()


def _pull_request(rehearsal: Rehearsal, head_sha: str) -> JobRun:
    context = {"github": {"base_ref": "main", "event": {"pull_request": {"head": {"sha": head_sha}}}}}
    return run_job("pull-request.yml", "preview", rehearsal.clone, context, rehearsal.env)


def _verdict(rehearsal: Rehearsal) -> dict[str, Any]:
    return json.loads((rehearsal.clone / delivery.COMMENT_DIR / delivery.VERDICT_FILE).read_text())


def _comment(rehearsal: Rehearsal) -> str:
    return (rehearsal.clone / delivery.COMMENT_DIR / delivery.COMMENT_FILE).read_text()


# ------------------------------------------------------------------------------------------- pull requests


def test_a_no_op_pull_request_passes(rehearsal: Rehearsal) -> None:
    sha = rehearsal.commit("no-op", branch="pr-noop")
    run = _pull_request(rehearsal, sha)
    assert not run.failed, [s.output[-2000:] for s in run.steps if s.returncode]
    assert [s.command.split()[0] for s in run.steps if s.returncode is not None] == ["make", "slipstack"]
    assert _verdict(rehearsal)["status"] == "passed"
    comment = _comment(rehearsal)
    assert "no changes" in comment and "**Policy:** no mandatory violations in any stack." in comment
    assert rehearsal.pulumi_calls() == []  # a preview never needs the Pulumi CLI


def test_a_pull_request_weakening_security_fails_naming_the_violation(rehearsal: Rehearsal) -> None:
    sha = rehearsal.commit("turn off network isolation", branch="pr-weaken",
                           edit={SPEC: ("  network_isolation: true", "  network_isolation: false")})
    run = _pull_request(rehearsal, sha)
    assert run.step("make prepare").returncode == 0  # a spec that does not validate is judged by the preview
    preview = run.step("slipstack preview")
    assert preview.returncode == 1
    assert "SM-MODEL-NETISO" in preview.output and "not safe to merge" in preview.output
    assert _verdict(rehearsal)["status"] == "failed"
    first_screen = "\n".join(_comment(rehearsal).splitlines()[:25])
    assert "Not safe to merge" in first_screen
    assert "breast-cancer-screening.yaml:" in first_screen and "SM-MODEL-NETISO" in first_screen


def test_a_pull_request_adding_an_exemption_needs_approval(rehearsal: Rehearsal) -> None:
    exemption = ("  network_isolation: true", "  network_isolation: false\n  exemptions:\n"
                 "    - {rule: SM-MODEL-NETISO, resource: breast-cancer-screening, "
                 "reason: the model container downloads its tokenizer at start}")
    sha = rehearsal.commit("exempt network isolation", branch="pr-exempt", edit={SPEC: exemption})
    run = _pull_request(rehearsal, sha)
    assert not run.failed, [s.output[-2000:] for s in run.steps if s.returncode]
    verdict = _verdict(rehearsal)
    assert verdict["status"] == "needs_approval"
    assert any("SM-MODEL-NETISO" in item for item in verdict["needs_approval"])
    first_screen = "\n".join(_comment(rehearsal).splitlines()[:25])
    assert "Needs approval" in first_screen and "new exemption of SM-MODEL-NETISO" in first_screen


def test_a_pull_request_changing_a_policy_config_needs_approval_and_is_judged_by_the_base(
    rehearsal: Rehearsal,
) -> None:
    rehearsal.commit("start", branch="pr-config")
    config = json.loads((rehearsal.clone / "policies/config/prod.json").read_text())
    config["SM-ARTIFACT-SHA256"]["enforcementLevel"] = "disabled"
    (rehearsal.clone / "policies/config/prod.json").write_text(json.dumps(config, indent=2))
    sha = rehearsal.commit("stop checking artifact checksums in prod")
    run = _pull_request(rehearsal, sha)
    assert not run.failed, [s.output[-2000:] for s in run.steps if s.returncode]
    verdict = _verdict(rehearsal)
    assert verdict["status"] == "needs_approval"
    assert any("policies/config/prod.json" in item for item in verdict["needs_approval"])
    # the head's plan was judged with the base's config: the rule still ran there
    report = json.loads((rehearsal.clone / "build/preview/head/prod/policy.json").read_text())
    assert report["policies_run"] == json.loads(
        (rehearsal.clone / "build/preview/base/prod/policy.json").read_text())["policies_run"]


def test_the_cloud_preview_is_judged_by_the_base_branchs_policy_pack(rehearsal: Rehearsal) -> None:
    rehearsal.commit("start", branch="pr-cloud-config")
    head_config = rehearsal.clone / "policies/config/prod.json"
    base_text = head_config.read_text()
    config = json.loads(base_text)
    config["SM-ARTIFACT-SHA256"]["enforcementLevel"] = "disabled"
    head_config.write_text(json.dumps(config, indent=2))
    rule = next((rehearsal.clone / "policies/rules").rglob("*.py"))
    rule.write_text(rule.read_text() + "\n# weakened by the pull request\n")
    rehearsal.commit("stop checking artifact checksums in prod, and touch a rule")
    job = load_workflow("pull-request.yml")["jobs"]["cloud-preview"]
    context = {"github": {"base_ref": "main"}, "matrix": {"stack": "prod"}}
    run = run_job("pull-request.yml", "cloud-preview", rehearsal.clone, context, rehearsal.env)
    assert not run.failed, [s.output[-2000:] for s in run.steps if s.returncode]
    index = next(i for i, step in enumerate(job["steps"]) if step.get("id") == "policy")
    outputs = dict(line.split("=", 1) for line in (
        rehearsal.clone / "build" / f".github-output-cloud-preview-{index}").read_text().splitlines())
    # What pulumi/actions is given (its `with:`, read from the YAML) is the base's pack and config, not the head's.
    preview = next(step for step in job["steps"] if "pulumi/actions" in step.get("uses", ""))
    pack = Path(_substitute(preview["with"]["policyPacks"], {"steps": {"policy": {"outputs": outputs}}}))
    config_file = Path(_substitute(preview["with"]["policyPackConfigs"], {"steps": {"policy": {"outputs": outputs}}}))
    assert config_file.read_text() == base_text and config_file.read_text() != head_config.read_text()
    relative = rule.relative_to(rehearsal.clone / "policies")
    assert (pack / relative).read_text() + "\n# weakened by the pull request\n" == rule.read_text()
    assert (pack / "PulumiPolicy.yaml").is_file() and (pack.parent / "contracts" / "delivery.py").is_file()


def test_a_broken_spec_still_gets_a_comment_saying_what_and_where(rehearsal: Rehearsal) -> None:
    sha = rehearsal.commit("typo", branch="pr-broken", edit={SPEC: ("  network_isolation: true",
                                                                     "  network_isolaton: true")})
    run = _pull_request(rehearsal, sha)
    assert run.step("slipstack preview").returncode == 1
    comment = _comment(rehearsal)
    assert "cannot plan" in comment and "breast-cancer-screening.yaml:" in comment
    assert "network_isolaton" in comment


# ------------------------------------------------------------------------------------------- deploys


def _deploy_context(rehearsal: Rehearsal, sha: str) -> dict[str, Any]:
    return {
        "github": {"sha": sha},
        "vars": {delivery.AWS_ROLE_ENV: "arn:aws:iam::123456789012:role/slipstack-deploy-staging",
                 delivery.BACKEND_URL_ENV: f"file://{rehearsal.state}/backend"},
        "secrets": {},
    }


@pytest.fixture(scope="module")
def model_server(rehearsal: Rehearsal) -> Iterator[str]:
    """The packaged 1.0.0 model in a real MLServer: what the on-prem service answers with once it is up."""
    subprocess.run(["make", "prepare"], cwd=rehearsal.clone, env=rehearsal.env, check=True, capture_output=True)
    _git(rehearsal.clone, "checkout", "-q", "main")
    port = _free_port()
    artifact = rehearsal.clone / "build/packages/breast-cancer-screening/1.0.0"
    copy = rehearsal.clone.parent / "served-1.0.0"
    shutil.copytree(artifact, copy)
    process = subprocess.Popen(
        [sys.executable, "-m", "slipstack", "serve", str(rehearsal.clone / SPEC), "--artifact", str(copy),
         "--port", str(port)], cwd=rehearsal.clone, env=rehearsal.env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if "serving breast-cancer-screening" in line:
            break
        assert process.poll() is None, "slipstack serve exited"
    import threading

    # MLServer keeps logging: drain the pipe so it never blocks on a full buffer.
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:
        yield url
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)


def _answer_sagemaker_like_the_model(rehearsal: Rehearsal) -> None:
    """moto's SageMaker runtime answers from a queue: give it the model's packaged answer (V2 JSON)."""
    import requests

    manifest = json.loads((rehearsal.clone / "build/packages/breast-cancer-screening/1.0.0/manifest.json")
                          .read_text())
    body = json.dumps({"model_name": "breast-cancer-screening", "outputs": manifest["example"]["expected_outputs"]})
    requests.post(f"{rehearsal.moto_url}/moto-api/static/sagemaker/endpoint-results", timeout=10, json={
        "region": "eu-west-1",
        "results": [{"Body": body, "ContentType": "application/json", "InvokedProductionVariant": "primary",
                     "CustomAttributes": ""}],
    })


def test_a_deploy_without_credentials_fails_at_its_first_step_naming_the_setting(rehearsal: Rehearsal) -> None:
    context = _deploy_context(rehearsal, "0" * 40)
    context["vars"] = {}
    # a hosted runner before configure-aws-credentials: no AWS keys at all
    bare = {key: value for key, value in rehearsal.env.items() if not key.startswith("AWS_")}
    run = run_job("deploy.yml", "staging", rehearsal.clone, context, bare)
    executed = [s for s in run.steps if s.returncode is not None]
    assert len(executed) == 1 and executed[0].returncode == 2
    assert delivery.AWS_ROLE_ENV in executed[0].output and delivery.BACKEND_URL_ENV in executed[0].output
    dev = run_job("deploy.yml", "dev", rehearsal.clone, _deploy_context(rehearsal, "0" * 40), rehearsal.env)
    first = next(s for s in dev.steps if s.returncode is not None)
    assert first.returncode == 2 and delivery.KUBECONFIG_DATA_ENV in first.output
    assert "dev-cluster" in first.output and delivery.runner_variable("dev") in first.output


def test_a_deploy_packages_publishes_ups_and_smokes_then_a_failed_smoke_rolls_back(
    rehearsal: Rehearsal, model_server: str
) -> None:
    import boto3

    good = _git(rehearsal.clone, "rev-parse", "HEAD")
    rehearsal.env["PULUMI_STANDIN_SERVICES"] = json.dumps({"breast-cancer-screening@1.0.0": model_server})
    _answer_sagemaker_like_the_model(rehearsal)
    run = run_job("deploy.yml", "staging", rehearsal.clone, _deploy_context(rehearsal, good), rehearsal.env)
    assert not run.failed, [s.output[-3000:] for s in run.steps if s.returncode]
    assert run.step("slipstack rollback").returncode is None
    calls = [c["argv"] for c in rehearsal.pulumi_calls()]
    kinds = [" ".join(a[:3]) if a[0] == "stack" else a[0] for a in calls]
    assert kinds[:2] == ["login", "stack select --create"]
    ups = [a for a in calls if a[0] == "up"]
    assert len(ups) == 2 and "--target" in ups[0] and "--target" not in ups[1]
    for up in ups:
        assert Path(up[up.index("--policy-pack") + 1]) == rehearsal.clone.resolve() / "policies"
        assert up[up.index("--policy-pack-config") + 1].endswith("policies/config/staging.json")
    assert kinds.index("stack output --json") > calls.index(ups[1])
    # published before the full up: the object the Model's ModelDataUrl names exists in S3 (moto)
    outputs = json.loads((rehearsal.state / "staging" / "outputs.json").read_text())
    url = outputs["models"]["breast-cancer-screening"]["aws"]["model_data_url"]
    bucket, key = url.removeprefix("s3://").split("/", 1)
    s3 = boto3.client("s3", endpoint_url=rehearsal.moto_url, region_name="eu-west-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    result = json.loads((rehearsal.clone / "build/deploy-staging.json").read_text())
    assert {(c["target"], c["passed"]) for c in result["smoke"]} == {("aws", True), ("onprem", True)}
    tags = json.loads((rehearsal.state / "staging" / "tags.json").read_text())
    assert tags[delivery.DEPLOYED_COMMIT_TAG] == good

    # A version whose pods never answer: smoke fails, the rollback re-deploys the recorded commit, the run fails.
    bad = rehearsal.commit("1.0.1", edit={SPEC: ("  version: 1.0.0", "  version: 1.0.1")})
    before = len(rehearsal.pulumi_calls())
    run = run_job("deploy.yml", "staging", rehearsal.clone, _deploy_context(rehearsal, bad), rehearsal.env)
    deploy_step, rollback_step = run.step("slipstack deploy"), run.step("slipstack rollback")
    assert deploy_step.returncode == 1 and "smoke test failed" in deploy_step.output
    assert rollback_step.returncode == 0, rollback_step.output[-3000:]
    assert run.failed
    rollback_calls = rehearsal.pulumi_calls()[before:]
    last_up = [c for c in rollback_calls if c["argv"][0] == "up"][-1]
    assert last_up["commit"] == good and "build/rollback/staging" in last_up["cwd"]
    assert "--policy-pack" in last_up["argv"]
    outputs = json.loads((rehearsal.state / "staging" / "outputs.json").read_text())
    assert outputs["models"]["breast-cancer-screening"]["version"] == "1.0.0"
    tags = json.loads((rehearsal.state / "staging" / "tags.json").read_text())
    assert tags[delivery.DEPLOYED_COMMIT_TAG] == good


def test_rollback_with_nothing_deployed_says_so(rehearsal: Rehearsal) -> None:
    completed = subprocess.run([sys.executable, "-m", "slipstack", "rollback", "--stack", "prod"],
                               cwd=rehearsal.clone, env=rehearsal.env, capture_output=True, text=True)
    assert completed.returncode == 1
    assert "nothing deployed yet" in completed.stderr and delivery.DEPLOYED_COMMIT_TAG in completed.stderr
