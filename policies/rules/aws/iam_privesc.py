"""IAM-PRIVESC: no identity policy lets its holder grant itself more power."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.iam_documents import IDENTITY_POLICY_TYPES, allows, identity_statements
from policies.rule import Outcome, Rule, RuleContext, verdict

# Each of these, unscoped, turns a workload role into an account administrator.
ESCALATING_ACTIONS = frozenset(
    {
        "iam:*",
        "iam:createpolicyversion",
        "iam:setdefaultpolicyversion",
        "iam:attachrolepolicy",
        "iam:attachuserpolicy",
        "iam:putrolepolicy",
        "iam:putuserpolicy",
        "iam:createaccesskey",
        "iam:updateassumerolepolicy",
        "iam:createrole",
        "iam:createuser",
    }
)


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for statement in allows(identity_statements(props, context.resource_type)):
        actions = {a.lower() for a in statement.actions}
        if "*" in statement.resources and "iam:passrole" in actions:
            problems.append(f"{statement.where} allows iam:PassRole on Resource *")
        for action in sorted(actions & ESCALATING_ACTIONS):
            problems.append(f"{statement.where} allows {action}, which can escalate privileges")
    return verdict(problems)


RULE = Rule(
    id="IAM-PRIVESC",
    description="IAM policies grant no privilege-escalation actions and no iam:PassRole on *.",
    severity="critical",
    remediation="Scope iam:PassRole to the one role ARN (with iam:PassedToService); drop iam:* actions.",
    anchors=("CKV_AWS_286",),
    enforcement="M",
    resource_types=IDENTITY_POLICY_TYPES,
    check=check,
)
