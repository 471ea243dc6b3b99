"""KMS-POLICY: a key policy grants nothing to everyone and keeps the lockout safety check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.iam_documents import allows, parse_document
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
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
    description="KMS key policies allow no unconditioned Principal * and keep the lockout safety check.",
    severity="critical",
    remediation="Scope the key policy to account principals or add a Condition; leave the safety check on.",
    anchors=("CK_AWS_33", "CP"),
    enforcement="M",
    resource_types=frozenset({t.KMS_KEY}),
    check=check,
)
