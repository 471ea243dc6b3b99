"""S3-PAB: every bucket has a public access block with all four flags on.

Correlated by dependencies/parent (the block's `bucket` input depends on the bucket), never by
ids, which are unknown at preview.
"""

from __future__ import annotations

from collections.abc import Iterator

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, each, read

FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def check(view: StackView, context: RuleContext) -> Outcome:
    def judge(bucket: StackResource) -> Iterator[str]:
        blocks = view.attached_to(bucket, t.S3_PUBLIC_ACCESS_BLOCK)
        if not blocks:
            yield "no BucketPublicAccessBlock references this bucket"
            return
        for block in blocks:
            off = [flag for flag in FLAGS if read(block.props, flag) is not True]
            if off:
                yield f"BucketPublicAccessBlock {block.name}: {', '.join(off)} not true"

    return each(view.of_type(t.S3_BUCKET, t.S3_BUCKET_V2), judge)


RULE = Rule(
    id="S3-PAB",
    description="Every S3 bucket has a public access block with all four flags true.",
    severity="critical",
    remediation="Create a BucketPublicAccessBlock for the bucket with all four flags True.",
    anchors=(
        "cdk-nag AwsSolutions-S2",
        "CKV_AWS_53",
        "CKV_AWS_54",
        "CKV_AWS_55",
        "CKV_AWS_56",
        "CKV2_AWS_6",
    ),
    enforcement="M",
    stack_check=check,
    stack_types=frozenset({t.S3_BUCKET, t.S3_BUCKET_V2, t.S3_PUBLIC_ACCESS_BLOCK}),
)
