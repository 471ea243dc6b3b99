"""KMS-POLICY: a key policy grants nothing to everyone and keeps the lockout safety check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.iam_documents import allows, parse_document
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if read(props, "policy") is None:
        # Without one, AWS attaches the default policy: kms:* to the whole account, delegated to IAM.
        return verdict(["policy is not set: the default key policy lets any IAM policy in the account use the key"])
    problems = [
        f"{s.where} allows Principal * without a Condition"
        for s in allows(parse_document(read(props, "policy"), "policy"))
        if "*" in s.principals and not s.condition
    ]
    if read(props, "bypassPolicyLockoutSafetyCheck") is True:
        problems.append("bypassPolicyLockoutSafetyCheck is true; a bad policy could lock the key forever")
    return verdict(problems)


RULE = Rule(
    id="KMS-POLICY",
    description=(
        "KMS keys have an explicit policy that allows no unconditioned Principal * and keeps the lockout safety check."
    ),
    severity="critical",
    remediation="Scope the key policy to account principals or add a Condition; leave the safety check on.",
    anchors=("CKV_AWS_33", "CKV2_AWS_64"),
    enforcement="M",
    resource_types=frozenset({t.KMS_KEY}),
    check=check,
)
