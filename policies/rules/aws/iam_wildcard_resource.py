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
        "acm:listcertificates",
        "iam:listservercertificates",
        "shield:getsubscriptionstate",
        # CloudWatch Logs vended log delivery (Step Functions, ...) accepts only Resource "*".
        "logs:createlogdelivery",
        "logs:getlogdelivery",
        "logs:updatelogdelivery",
        "logs:deletelogdelivery",
        "logs:listlogdeliveries",
        "logs:putresourcepolicy",
        "logs:describeresourcepolicies",
    }
)
# Services whose Describe calls support no resource-level permissions at all (AWS service authorization
# reference): Resource "*" is the only way to grant them, so it is not a finding.
DESCRIBE_ONLY_ON_STAR = ("ec2:describe", "elasticloadbalancing:describe")


def _unscopable(action: str) -> bool:
    lowered = action.lower()
    return lowered in UNSCOPABLE_ACTIONS or lowered.startswith(DESCRIBE_ONLY_ON_STAR)


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for statement in allows(identity_statements(props, context.resource_type)):
        if "*" not in statement.resources:
            continue
        scopable = [a for a in statement.actions if not _unscopable(a)]
        if scopable:
            problems.append(f"{statement.where} grants {', '.join(scopable)} on Resource *")
    return verdict(problems)


RULE = Rule(
    id="IAM-WILDCARD-RESOURCE",
    description="IAM policies scope resources for actions that support it.",
    severity="medium",
    remediation="Name the ARNs (bucket/prefix, endpoint, key) the actions apply to.",
    anchors=(
        "cdk-nag AwsSolutions-IAM5",
        "CKV_AWS_355",
        "CKV_AWS_290",
    ),
    enforcement="A",
    resource_types=IDENTITY_POLICY_TYPES,
    check=check,
)
