"""SM-MODEL-VPC: a SageMaker model runs in a VPC over at least two subnets with security groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if read(props, "vpcConfig") is None:
        return verdict(["vpcConfig is missing; the model would run outside your VPC"])
    problems = []
    # Two subnets in different AZs keep the endpoint up when one zone fails.
    subnets = read_list(props, "vpcConfig", "subnets")
    if len(subnets) < 2:
        problems.append(f"vpcConfig.subnets has {len(subnets)} subnet(s), needs at least 2")
    if not read_list(props, "vpcConfig", "securityGroupIds"):
        problems.append("vpcConfig.securityGroupIds is empty")
    return verdict(problems)


RULE = Rule(
    id="SM-MODEL-VPC",
    description="SageMaker models run in a VPC with >= 2 subnets and security groups.",
    severity="high",
    remediation="Pass vpc_config with subnets in two availability zones and a security group.",
    anchors=("AWS docs: SageMaker VPC hosting",),
    enforcement="M(p)",
    resource_types=frozenset({t.SM_MODEL}),
    check=check,
)
