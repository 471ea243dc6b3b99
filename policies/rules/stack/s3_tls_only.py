"""S3-TLS-ONLY: every bucket's policy denies requests not sent over TLS, for the bucket and its objects."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from contracts import type_tokens as t
from policies.iam_documents import Statement, parse_document
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, each, read


def _denies_plain_http(statement: Statement) -> bool:
    if statement.effect != "Deny" or "*" not in statement.principals:
        return False
    if not {"s3:*", "*"} & set(statement.actions):
        return False
    condition: Mapping[str, Any] = (
        statement.condition.get("Bool", {}) if isinstance(statement.condition, Mapping) else {}
    )
    value = condition.get("aws:SecureTransport") if isinstance(condition, Mapping) else None
    if str(value).lower() != "false":
        return False
    covers_bucket = any(not r.endswith("/*") for r in statement.resources)
    covers_objects = any(r.endswith("/*") or r == "*" for r in statement.resources)
    return covers_bucket and covers_objects


def check(view: StackView, context: RuleContext) -> Outcome:
    def judge(bucket: StackResource) -> Iterator[str]:
        policies = view.attached_to(bucket, t.S3_BUCKET_POLICY)
        for policy in policies:
            if any(
                _denies_plain_http(s) for s in parse_document(read(policy.props, "policy"), f"{policy.name}.policy")
            ):
                return
        yield "no bucket policy denies aws:SecureTransport=false on the bucket and bucket/*"

    return each(view.of_type(t.S3_BUCKET, t.S3_BUCKET_V2), judge)


RULE = Rule(
    id="S3-TLS-ONLY",
    description="Bucket policies deny non-TLS requests to the bucket and its objects.",
    severity="high",
    remediation="Add a Deny statement for s3:* with Condition Bool aws:SecureTransport=false on arn and arn/*.",
    anchors=("cdk-nag AwsSolutions-S10",),
    enforcement="M",
    stack_check=check,
    stack_types=frozenset({t.S3_BUCKET, t.S3_BUCKET_V2}),
)
