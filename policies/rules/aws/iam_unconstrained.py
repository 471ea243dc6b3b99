"""IAM-UNCONSTRAINED: no identity policy lets its holder read credentials, exfiltrate data or change
permissions on every resource without a condition (Checkov's cloudsplaining categories)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.iam_documents import IDENTITY_POLICY_TYPES, RISK_CATEGORIES, identity_statements, unconstrained_risks
from policies.rule import Outcome, Rule, RuleContext, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for category, actions in unconstrained_risks(identity_statements(props, context.resource_type)).items():
        what = RISK_CATEGORIES.get(category, "could not be analysed")
        problems.append(f"on Resource * without a Condition, {what}: {', '.join(actions)}")
    return verdict(problems)


RULE = Rule(
    id="IAM-UNCONSTRAINED",
    description=(
        "IAM policies allow no credential-returning, data-exfiltration or permissions-management action "
        "on * without a Condition."
    ),
    severity="critical",
    remediation="Scope the action to the ARNs it needs (the model's bucket, key, topic) or add a Condition.",
    anchors=("CKV_AWS_287", "CKV_AWS_288", "CKV_AWS_289"),
    enforcement="M",
    resource_types=IDENTITY_POLICY_TYPES,
    check=check,
)
