"""IAM-NO-ADMIN: no identity policy allows every action on every resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.iam_documents import IDENTITY_POLICY_TYPES, allows, identity_statements
from policies.rule import Outcome, Rule, RuleContext, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    return verdict(
        f"{s.where} allows Action * on Resource *: full administrator access"
        for s in allows(identity_statements(props, context.resource_type))
        if {"*", "*:*"} & set(s.actions) and "*" in s.resources
    )


RULE = Rule(
    id="IAM-NO-ADMIN",
    description="IAM policies never grant Action * on Resource *.",
    severity="critical",
    remediation="List the actions the workload calls and the ARNs it touches.",
    anchors=(
        "CKV_AWS_62",
        "cdk-nag NIST.800.53.R5-IAMPolicyNoStatementsWithAdminAccess",
    ),
    enforcement="M",
    resource_types=IDENTITY_POLICY_TYPES,
    check=check,
)
