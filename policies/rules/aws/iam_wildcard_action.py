"""IAM-WILDCARD-ACTION: identity policies list actions instead of wildcards (s3:*, sagemaker:Get*).

Exceptions are per finding: a config exemption with `match` set to the action waives only it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.iam_documents import IDENTITY_POLICY_TYPES, allows, identity_statements
from policies.rule import Outcome, Rule, RuleContext, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for statement in allows(identity_statements(props, context.resource_type)):
        for action in statement.actions:
            if "*" in action:
                problems.append(f"{statement.where} allows wildcard action {action}")
        if statement.not_actions:
            problems.append(f"{statement.where} uses Allow with NotAction, which grants every other action")
    return verdict(problems)


RULE = Rule(
    id="IAM-WILDCARD-ACTION",
    description="IAM policies allow no wildcard actions.",
    severity="high",
    remediation="Replace the wildcard with the actions used, or exempt that one finding with a reason (match).",
    anchors=(
        "cdk-nag AwsSolutions-IAM5",
        "CKV_AWS_63",
    ),
    enforcement="M",
    resource_types=IDENTITY_POLICY_TYPES,
    check=check,
)
