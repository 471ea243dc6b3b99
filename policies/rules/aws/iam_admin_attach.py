"""IAM-ADMIN-ATTACH: no principal gets AdministratorAccess, IAMFullAccess or another AWS *FullAccess policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict

AWS_MANAGED_PREFIX = ":iam::aws:policy/"
# Administration outright, or of IAM itself (which is administration one step removed).
ADMIN_POLICIES = frozenset({"AdministratorAccess", "IAMFullAccess", "PowerUserAccess"})
ATTACHMENT_TYPES = frozenset(
    {t.IAM_ROLE_POLICY_ATTACHMENT, t.IAM_POLICY_ATTACHMENT, t.IAM_GROUP_POLICY_ATTACHMENT, t.IAM_USER_POLICY_ATTACHMENT}
)


def _problem(arn: Any) -> str | None:
    if not isinstance(arn, str) or AWS_MANAGED_PREFIX not in arn:
        return None
    name = arn.rsplit("/", 1)[-1]
    if name in ADMIN_POLICIES:
        return f"attaches {arn}, which grants administration"
    if name.endswith("FullAccess"):
        return f"attaches {arn}, which grants every action of a service on every resource"
    return None


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    arns = (
        [read(props, "policyArn")]
        if context.resource_type in ATTACHMENT_TYPES
        else read_list(props, "managedPolicyArns")
    )
    return verdict(problem for problem in map(_problem, arns) if problem)


RULE = Rule(
    id="IAM-ADMIN-ATTACH",
    description=(
        "No role, user or group is attached AdministratorAccess, IAMFullAccess or an AWS-managed *FullAccess policy."
    ),
    severity="critical",
    remediation="Attach a customer-managed or inline policy with the actions and resources the principal needs.",
    anchors=("CKV_AWS_274", "CKV2_AWS_56", "cdk-nag NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess"),
    enforcement="M(p)",
    resource_types=frozenset({t.IAM_ROLE}) | ATTACHMENT_TYPES,
    check=check,
)
