"""SNS-POLICY-PUBLIC: a topic policy allows nothing to everyone without a condition."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.iam_documents import allows, parse_document
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    return verdict(
        f"{s.where} allows Principal * without a Condition"
        for s in allows(parse_document(read(props, "policy"), "policy"))
        if "*" in s.principals and not s.condition
    )


RULE = Rule(
    id="SNS-POLICY-PUBLIC",
    description="SNS topic policies allow no unconditioned Principal *.",
    severity="high",
    remediation="Grant cloudwatch.amazonaws.com with aws:SourceAccount, not *.",
    anchors=("CKV_AWS_169",),
    enforcement="M",
    resource_types=frozenset({t.SNS_TOPIC_POLICY}),
    check=check,
)
