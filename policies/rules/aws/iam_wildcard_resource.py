"""IAM-WILDCARD-RESOURCE: actions that can be scoped to ARNs are not granted on Resource * (advisory)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.iam_documents import IDENTITY_POLICY_TYPES, allows, identity_statements
from policies.rule import Outcome, Rule, RuleContext, verdict

# Actions AWS only authorises on "*": flagging them would teach people to ignore the rule.
UNSCOPABLE_ACTIONS = frozenset(
    {
        "ecr:getauthorizationtoken",
        "cloudwatch:putmetricdata",
        "cloudwatch:describealarms",
        "cloudwatch:getmetricdata",
        "logs:describeloggroups",
        "sts:getcalleridentity",
        "ec2:describenetworkinterfaces",
        "ec2:describevpcs",
        "ec2:describesubnets",
        "ec2:describesecuritygroups",
        "ec2:describedhcpoptions",
        "ec2:createnetworkinterface",
        "ec2:deletenetworkinterface",
        "ec2:createnetworkinterfacepermission",
        "sagemaker:listendpoints",
        "xray:puttracesegments",
        "xray:puttelemetryrecords",
    }
)


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for statement in allows(identity_statements(props, context.resource_type)):
        if "*" not in statement.resources:
            continue
        scopable = [a for a in statement.actions if a.lower() not in UNSCOPABLE_ACTIONS]
        if scopable:
            problems.append(f"{statement.where} grants {', '.join(scopable)} on Resource *")
    return verdict(problems)


RULE = Rule(
    id="IAM-WILDCARD-RESOURCE",
    description="IAM policies scope resources for actions that support it.",
    severity="medium",
    remediation="Name the ARNs (bucket/prefix, endpoint, key) the actions apply to.",
    anchors=("CN IAM5", "CK_AWS_355"),
    enforcement="A",
    resource_types=IDENTITY_POLICY_TYPES,
    check=check,
)
