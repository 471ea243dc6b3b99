"""Protected entry: WAF on the internet-facing ALB, an internal option, refusals, described SG rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.aws.load_balancer_web_acl import MANAGED_RULE_GROUPS

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"


def _of(plan: dict[str, Any], token: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == token]


def test_the_internet_facing_alb_has_the_managed_rules_and_the_specs_rate_limit(
    shipped_plan: Any, shipped_plan_answers: Any, repo_root: Path
) -> None:
    plan = shipped_plan("staging")
    (alb,) = _of(plan, LOAD_BALANCER)
    assert alb["inputs"]["internal"] is False
    (acl,) = _of(plan, WEB_ACL)
    rules = acl["inputs"]["rules"]
    managed = [r["statement"]["managedRuleGroupStatement"] for r in rules
               if "managedRuleGroupStatement" in r["statement"]]
    assert [(m["vendorName"], m["name"]) for m in managed] == [("AWS", group) for group in MANAGED_RULE_GROUPS]
    spec = yaml.safe_load((repo_root / "deployments" / "breast-cancer-screening.yaml").read_text())
    (rate,) = [r for r in rules if "rateBasedStatement" in r["statement"]]
    statement = rate["statement"]["rateBasedStatement"]
    assert rate["action"] == {"block": {}}
    assert statement["limit"] == spec["security"].get("rate_limit_per_5_minutes", 2000)
    assert statement["scopeDownStatement"]["byteMatchStatement"]["searchString"] == spec["security"]["tls"]["host"]
    assert len({r["priority"] for r in rules}) == len(rules)
    # The association names the load balancer the mock created (its ARN), not a name or a placeholder.
    (association,) = _of(plan, ASSOCIATION)
    assert association["inputs"]["resourceArn"] == shipped_plan_answers("staging")[alb["urn"]]["arn"]


def _staging_program(repo_root: Path, **aws: Any) -> Any:
    from stacks.composition import compose
    from stacks.config import stack_config_from_values

    values = yaml.safe_load((repo_root / "stacks" / "Pulumi.staging.yaml").read_text())["config"]
    values["slipstack:aws"] = {**values["slipstack:aws"], **aws}
    config = stack_config_from_values("staging", values, "stacks/Pulumi.staging.yaml")
    return lambda: compose(config, repo_root)


def test_an_internal_alb_sits_in_the_private_subnets_without_a_waf(pulumi_run: Any, repo_root: Path) -> None:
    run = pulumi_run(_staging_program(repo_root, load_balancer={"internal": True}), stack="staging")
    alb = run.one(LOAD_BALANCER).inputs
    values = yaml.safe_load((repo_root / "stacks" / "Pulumi.staging.yaml").read_text())["config"]
    assert alb["internal"] is True and alb["subnets"] == values["slipstack:aws"]["private_subnet_ids"]
    assert not run.of_type(WEB_ACL)


def test_a_confidential_model_is_refused_on_an_internet_facing_alb_without_waf(
    pulumi_run: Any, repo_root: Path
) -> None:
    from stacks.eks_cluster import EksPlacementError

    with pytest.raises(EksPlacementError, match=r"a confidential model may not be served on an internet-facing "
                                                r"load balancer without a WAF .*load_balancer.waf: true"):
        pulumi_run(_staging_program(repo_root, load_balancer={"waf": False}), stack="staging")


def _rules_without_description(plan: dict[str, Any]) -> list[str]:
    missing = []
    for resource in plan["resources"]:
        inputs = resource["inputs"]
        if resource["type"] == "aws:ec2/securityGroup:SecurityGroup":
            missing += [f"{resource['name']}.{kind}[{i}]" for kind in ("ingress", "egress")
                        for i, rule in enumerate(inputs.get(kind) or []) if not rule.get("description")]
        if resource["type"] in ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                                "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
                                "aws:ec2/securityGroupRule:SecurityGroupRule") and not inputs.get("description"):
            missing.append(resource["name"])
    return missing


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_security_group_rule_says_what_it_is_for(stack: str, shipped_plan: Any) -> None:
    assert _rules_without_description(shipped_plan(stack)) == []


def test_the_description_check_finds_a_rule_without_one(shipped_plan: Any) -> None:
    plan = json.loads(json.dumps(shipped_plan("staging")))
    group = next(r for r in plan["resources"] if r["type"] == "aws:ec2/securityGroup:SecurityGroup"
                 and r["inputs"].get("ingress"))
    del group["inputs"]["ingress"][0]["description"]
    assert _rules_without_description(plan) == [f"{group['name']}.ingress[0]"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_state_machines_log_everything_to_a_kms_log_group_and_trace(stack: str, shipped_plan: Any) -> None:
    plan = shipped_plan(stack)
    groups = {r["inputs"]["name"]: r["inputs"] for r in plan["resources"]
              if r["type"] == "aws:cloudwatch/logGroup:LogGroup"}
    for machine in _of(plan, "aws:sfn/stateMachine:StateMachine"):
        logging = machine["inputs"]["loggingConfiguration"]
        assert logging["level"] == "ALL" and machine["inputs"]["tracingConfiguration"] == {"enabled": True}
        group = groups[f"/aws/vendedlogs/states/{machine['inputs']['name']}"]
        assert group["kmsKeyId"].startswith("arn:aws:kms:")
        assert logging["logDestination"].split(":log-group:")[1] == f"{group['name']}:*"
