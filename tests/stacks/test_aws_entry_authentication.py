"""ALB authentication: the listener rules authenticate callers first, the OIDC client secret is a secret setting,
and a confidential model on an internet-facing ALB needs a WAF or authentication (validate, plan and the pack)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.stacks.stack_projects import project_with

LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
OIDC = {"type": "oidc", "oidc": {
    "issuer": "https://login.example.com", "authorization_endpoint": "https://login.example.com/authorize",
    "token_endpoint": "https://login.example.com/token", "user_info_endpoint": "https://login.example.com/userinfo",
    "client_id": "screening-alb"}}
COGNITO = {"type": "cognito", "cognito": {
    "user_pool_arn": "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123",
    "user_pool_client_id": "1example23456789", "user_pool_domain": "screening-login"}}
SECRET_KEY = "slipstack:load_balancer_client_secret"


def staging_project(tmp_path: Path, repo_root: Path, load_balancer: dict[str, Any] | None,
                    secret: Any = None) -> Path:
    """A copy of the project whose staging stack file sets `load_balancer` (and the client secret)."""

    def edit(config: dict[str, Any]) -> None:
        if load_balancer is not None:
            config["slipstack:aws"]["load_balancer"] = load_balancer
        if secret is not None:
            config[SECRET_KEY] = secret

    return project_with(tmp_path, repo_root, edit)


def validate(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "slipstack", "validate", "deployments/breast-cancer-screening.yaml"],
                          cwd=project, capture_output=True, text=True, timeout=120, check=False)


def line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_oidc_authenticates_every_model_rule_first_and_the_secret_stays_secret(
    tmp_path: Path, repo_root: Path
) -> None:
    from policies.offline import evaluate_plan
    from slipstack.plan.runner import find_project, plan_stack

    project = staging_project(tmp_path, repo_root, {"waf": False, "authentication": OIDC},
                              {"secure": "v1:AAAAencrypted"})
    planned = plan_stack("staging", find_project(project), tmp_path / "out")
    document = planned.document
    (rule,) = [r for r in document["resources"] if r["type"] == LISTENER_RULE]
    authenticate, forward = rule["inputs"]["actions"]
    assert (authenticate["type"], authenticate["order"], forward["type"], forward["order"]) == (
        "authenticate-oidc", 1, "forward", 2)
    oidc = authenticate["authenticateOidc"]
    assert {k: oidc[k] for k in ("issuer", "clientId", "onUnauthenticatedRequest", "scope")} == {
        "issuer": "https://login.example.com", "clientId": "screening-alb", "onUnauthenticatedRequest": "deny",
        "scope": "openid"}
    assert oidc["clientSecret"] == "[secret]"  # read as a secret: masked in the plan, never the file's ciphertext
    assert "AAAAencrypted" not in (tmp_path / "out" / "plan.json").read_text()
    assert not [r for r in document["resources"] if r["type"] in (WEB_ACL, ASSOCIATION)]
    # The ALB calls the IdP's token and user info endpoints itself: its group lets it out on 443.
    (group,) = [r for r in document["resources"] if r["name"] == "slipstack-staging-ingress-sg"]
    assert [(e["fromPort"], e.get("cidrBlocks")) for e in group["inputs"]["egress"]] == [
        (8080, None), (443, ["0.0.0.0/0"])]
    # Authentication instead of a WAF is enough for the pack's entry rule.
    report = evaluate_plan(document)
    assert [v for v in report.mandatory if v.policy == "LB-PROTECTED-ENTRY"] == []


def test_cognito_authentication_needs_no_secret(pulumi_run: Any, repo_root: Path) -> None:
    from stacks.composition import compose
    from stacks.config import stack_config_from_values

    values = yaml.safe_load((repo_root / "stacks" / "Pulumi.staging.yaml").read_text())["config"]
    values["slipstack:aws"] = {**values["slipstack:aws"], "load_balancer": {"authentication": COGNITO}}
    config = stack_config_from_values("staging", values, "stacks/Pulumi.staging.yaml")
    run = pulumi_run(lambda: compose(config, repo_root), stack="staging")
    (rule,) = run.of_type(LISTENER_RULE)
    authenticate = rule.inputs["actions"][0]
    assert authenticate["type"] == "authenticate-cognito"
    assert authenticate["authenticateCognito"]["userPoolArn"] == COGNITO["cognito"]["user_pool_arn"]
    assert run.of_type(ASSOCIATION)  # the WAF stays on by default: both protections
    assert 443 in [e["fromPort"] for e in run.named("slipstack-staging-ingress-sg").inputs["egress"]]


def test_without_authentication_the_alb_sends_only_to_the_model_pods(shipped_plan: Any) -> None:
    (group,) = [r for r in shipped_plan("staging")["resources"] if r["name"] == "slipstack-staging-ingress-sg"]
    assert [e["fromPort"] for e in group["inputs"]["egress"]] == [8080]


def test_without_waf_or_authentication_validate_names_both_lines(tmp_path: Path, repo_root: Path) -> None:
    project = staging_project(tmp_path, repo_root, {"waf": False})
    done = validate(project)
    assert done.returncode == 2
    spec_line = line_of(repo_root / "deployments" / "breast-cancer-screening.yaml", "data_classification:")
    stack_file = project / "stacks" / "Pulumi.staging.yaml"
    assert (f"deployments/breast-cancer-screening.yaml:{spec_line}: metadata.data_classification: a confidential "
            "model may not be served on an internet-facing load balancer without a WAF or authentication "
            f"(stacks/Pulumi.staging.yaml:{line_of(stack_file, 'waf: false')}: slipstack:aws.load_balancer.waf is "
            "false: set it true, add load_balancer.authentication") in done.stderr
    # plan finds the same before the engine starts
    from slipstack.plan.runner import PlanError, find_project, plan_stack

    with pytest.raises(PlanError, match="without a WAF or authentication"):
        plan_stack("staging", find_project(project), tmp_path / "out")


@pytest.mark.parametrize(("secret", "expected"), [
    (None, "slipstack:aws.load_balancer.authentication: type 'oidc' needs its client secret as the secret "
           "setting slipstack:load_balancer_client_secret (pulumi config set --secret"),
    ("hunter2", "slipstack:load_balancer_client_secret: a secret setting in plain text: remove it and set it "
                "encrypted (pulumi config set --secret slipstack:load_balancer_client_secret --stack staging)"),
])
def test_the_oidc_client_secret_is_a_required_encrypted_setting(
    tmp_path: Path, repo_root: Path, secret: Any, expected: str
) -> None:
    project = staging_project(tmp_path, repo_root, {"authentication": OIDC}, secret)
    done = validate(project)
    stack_file = project / "stacks" / "Pulumi.staging.yaml"
    line = line_of(stack_file, "hunter2") if secret else line_of(stack_file, "authentication:")
    assert done.returncode == 2 and f"stacks/Pulumi.staging.yaml:{line}: {expected}" in done.stderr


def test_removing_the_waf_from_staging_is_caught_by_the_pack(shipped_plan: Any) -> None:
    from policies.offline import evaluate_plan

    plan = copy.deepcopy(shipped_plan("staging"))
    assert [v for v in evaluate_plan(plan).mandatory if v.policy == "LB-PROTECTED-ENTRY"] == []
    plan["resources"] = [r for r in plan["resources"] if r["type"] != ASSOCIATION]
    (rule,) = [r for r in plan["resources"] if r["type"] == LISTENER_RULE]
    found = [(v.urn, v.message) for v in evaluate_plan(plan).mandatory if v.policy == "LB-PROTECTED-ENTRY"]
    assert len(found) == 1 and found[0][0] == rule["urn"]
    assert "(confidential model) from internet-facing load balancer" in found[0][1]
