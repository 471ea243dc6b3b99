"""S3-LIFECYCLE: every bucket has a lifecycle configuration, so captured data and logs do not grow forever."""

from __future__ import annotations

from collections.abc import Iterator

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, each


def check(view: StackView, context: RuleContext) -> Outcome:
    def judge(bucket: StackResource) -> Iterator[str]:
        if not view.attached_to(bucket, t.S3_LIFECYCLE):
            yield "no BucketLifecycleConfiguration is attached to this bucket"

    return each(view.of_type(t.S3_BUCKET, t.S3_BUCKET_V2), judge)


RULE = Rule(
    id="S3-LIFECYCLE",
    description="S3 buckets have a lifecycle configuration (expiry of captured data, old versions, logs).",
    severity="medium",
    remediation="Create a BucketLifecycleConfiguration for the bucket (the artifact and log bucket components do).",
    anchors=("CKV2_AWS_61",),
    enforcement="M",
    stack_check=check,
    stack_types=frozenset({t.S3_BUCKET, t.S3_BUCKET_V2}),
)
