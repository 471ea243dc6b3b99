"""S3-POLICY-PUBLIC: a bucket policy never allows access to everyone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.iam_documents import allows, parse_document
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    return verdict(
        f"{s.where} allows {', '.join(s.actions) or 'NotAction'} to Principal *"
        for s in allows(parse_document(read(props, "policy"), "policy"))
        if "*" in s.principals
    )


RULE = Rule(
    id="S3-POLICY-PUBLIC",
    description="S3 bucket policies grant nothing to Principal *.",
    severity="critical",
    remediation="Name the principals (account roles, service principals with aws:SourceAccount).",
    anchors=("CKV_AWS_70",),
    enforcement="M",
    resource_types=frozenset({t.S3_BUCKET_POLICY}),
    check=check,
)
