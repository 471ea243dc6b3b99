"""IAM-NO-USERS: the stacks create no IAM users or long-lived access keys; workloads use roles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    kind = "access key" if context.resource_type == t.IAM_ACCESS_KEY else "user"
    return verdict([f"creates an IAM {kind}; use a role with temporary credentials"])


RULE = Rule(
    id="IAM-NO-USERS",
    description="No IAM users or access keys are created.",
    severity="high",
    remediation="Use an IAM role (IRSA on EKS, execution role on SageMaker, OIDC in CI).",
    anchors=("CK_AWS_40", "CK_AWS_273"),
    enforcement="M",
    resource_types=frozenset({t.IAM_USER, t.IAM_ACCESS_KEY}),
    check=check,
)
