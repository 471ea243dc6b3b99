"""S3-POLICY-LOCKOUT: a bucket policy never denies everyone everything, which only the root user can undo."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.iam_documents import parse_document
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for s in parse_document(read(props, "policy"), "policy"):
        if s.effect != "Deny" or "*" not in s.principals or s.condition:
            continue
        if {"*", "s3:*"} & {a.lower() for a in s.actions}:
            problems.append(
                f"{s.where} denies all S3 actions to every principal without a Condition: a root-only lockout"
            )
    return verdict(problems)


RULE = Rule(
    id="S3-POLICY-LOCKOUT",
    description="Bucket policies have no unconditioned Deny of s3:* (or *) to Principal *.",
    severity="high",
    remediation="Give the Deny a Condition (aws:SecureTransport, aws:PrincipalArn) or narrow its actions.",
    anchors=("CKV_AWS_93",),
    enforcement="M",
    resource_types=frozenset({t.S3_BUCKET_POLICY}),
    check=check,
)
