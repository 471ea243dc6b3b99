"""S3-ACCESS-LOGS: every bucket but the log bucket itself writes server access logs.

A BucketLogging depends on both its source and its target bucket; the bucket names (props
`bucket` on each side) tell them apart. A bucket only ever named as a target is the log bucket.
"""

from __future__ import annotations

from collections.abc import Iterator

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, UnknownValue, each, read


def _name(resource: StackResource, key: str) -> object:
    # A name unknown at preview just means "cannot tell source from target": the dependency still links them.
    # A name of another shape than a string cannot name a bucket either.
    try:
        value = read(resource.props, key)
    except UnknownValue:
        return None
    return value if isinstance(value, str) else None


def check(view: StackView, context: RuleContext) -> Outcome:
    loggings = view.of_type(t.S3_LOGGING)
    targets = {_name(lg, "targetBucket") for lg in loggings} - {None}

    def judge(bucket: StackResource) -> Iterator[str]:
        name = _name(bucket, "bucket")
        if name is not None and name in targets:
            return  # the log bucket: logging it into itself would loop
        for logging in view.attached_to(bucket, t.S3_LOGGING):
            if name is None or _name(logging, "bucket") == name or _name(logging, "targetBucket") != name:
                return
        yield "no BucketLogging writes this bucket's access logs"

    return each(view.of_type(t.S3_BUCKET, t.S3_BUCKET_V2), judge)


RULE = Rule(
    id="S3-ACCESS-LOGS",
    description="S3 buckets (other than the log bucket) have server access logging.",
    severity="medium",
    remediation="Create a BucketLogging for the bucket targeting the stack's log bucket.",
    anchors=(
        "cdk-nag AwsSolutions-S1",
        "CKV_AWS_18",
        "awsguard s3-bucket-logging-enabled",
    ),
    enforcement="M(p)",
    stack_check=check,
    stack_types=frozenset({t.S3_BUCKET, t.S3_BUCKET_V2}),
)
