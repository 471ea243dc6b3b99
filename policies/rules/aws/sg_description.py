"""SG-DESCRIPTION: every security group and every one of its rules says what it is for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict
from policies.security_groups import SECURITY_GROUP_TYPES, permissions

# The description Pulumi's AWS provider fills in when none is given: present, but says nothing.
PROVIDER_DEFAULT = "Managed by Pulumi"


def _blank(value: Any) -> bool:
    return not isinstance(value, str) or not value.strip() or value.strip() == PROVIDER_DEFAULT


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    if context.resource_type == t.EC2_SECURITY_GROUP and _blank(read(props, "description")):
        problems.append("the security group has no description of its purpose")
    for p in permissions(props, context.resource_type):
        if _blank(p.description):
            problems.append(f"{p.where} ({p.direction} {p.ports_text()}) has no description")
    return verdict(problems)


RULE = Rule(
    id="SG-DESCRIPTION",
    description="Security groups and each of their ingress/egress rules carry a description.",
    severity="low",
    remediation="Set description on the group and on every ingress/egress entry (who may connect and why).",
    anchors=(
        "CKV_AWS_23",
        "cdk-nag AwsSolutions-EC27",
        "compliance-policies aws/ec2/SecurityGroup/missingDescription",
        "compliance-policies aws/ec2/SecurityGroup/missingIngressRuleDescription",
        "compliance-policies aws/ec2/SecurityGroup/missingEgressRuleDescription",
    ),
    enforcement="M",
    resource_types=SECURITY_GROUP_TYPES,
    check=check,
)
