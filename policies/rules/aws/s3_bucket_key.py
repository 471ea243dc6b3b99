"""S3-BUCKET-KEY: SSE-KMS buckets enable the S3 bucket key, cutting KMS calls and cost (advisory)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    # A bucket key only exists for SSE-KMS; an SSE-S3 rule (a log bucket) has nothing to enable.
    return verdict(
        f"rules[{index}].bucketKeyEnabled is {read(props, 'rules', index, 'bucketKeyEnabled')!r}, should be true"
        for index, _ in enumerate(read_list(props, "rules"))
        if read(props, "rules", index, "applyServerSideEncryptionByDefault", "sseAlgorithm") != "AES256"
        and read(props, "rules", index, "bucketKeyEnabled") is not True
    )


RULE = Rule(
    id="S3-BUCKET-KEY",
    description="SSE-KMS default encryption enables the bucket key.",
    severity="low",
    remediation="Set bucket_key_enabled=True on the encryption rule.",
    anchors=("AWS docs: S3 Bucket Keys (fewer KMS calls, same key)",),
    enforcement="A",
    resource_types=frozenset({t.S3_SSE}),
    check=check,
)
