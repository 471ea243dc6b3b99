"""IAM-NO-USERS: the stacks create no IAM users or long-lived access keys; workloads use roles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    kinds = {t.IAM_ACCESS_KEY: "access key", t.IAM_USER_POLICY_ATTACHMENT: "user policy attachment"}
    kind = kinds.get(context.resource_type, "user")
    return verdict([f"creates an IAM {kind}; use a role with temporary credentials"])


RULE = Rule(
    id="IAM-NO-USERS",
    description="No IAM users, access keys or user policy attachments are created.",
    severity="high",
    remediation="Use an IAM role (IRSA on EKS, execution role on SageMaker, OIDC in CI).",
    anchors=(
        "CKV_AWS_273",
        "CKV_AWS_40",
    ),
    enforcement="M",
    # Permissions attached to a user (CKV_AWS_40) only exist where a user does: the same finding.
    resource_types=frozenset({t.IAM_USER, t.IAM_ACCESS_KEY, t.IAM_USER_POLICY_ATTACHMENT}),
    check=check,
)
