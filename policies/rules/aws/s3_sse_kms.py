"""S3-SSE-KMS: a bucket's default encryption is SSE-KMS (a customer-managed key, auditable use)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict

KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    rules = read_list(props, "rules")
    if not rules:
        return verdict(["rules is empty; no default encryption is configured"])
    problems = []
    for index, _ in enumerate(rules):
        algorithm = read(props, "rules", index, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        if not (isinstance(algorithm, str) and algorithm in KMS_ALGORITHMS):
            problems.append(
                f"rules[{index}].applyServerSideEncryptionByDefault.sseAlgorithm is {algorithm!r}, must be aws:kms"
            )
            continue
        key = read(props, "rules", index, "applyServerSideEncryptionByDefault", "kmsMasterKeyId")
        if not isinstance(key, str) or not key.strip():
            problems.append(
                f"rules[{index}].applyServerSideEncryptionByDefault.kmsMasterKeyId is not set: "
                "S3 uses the AWS-managed aws/s3 key, whose policy nobody can scope"
            )
        elif key.endswith("alias/aws/s3"):
            problems.append(
                f"rules[{index}].applyServerSideEncryptionByDefault.kmsMasterKeyId is the AWS-managed {key}"
            )
    return verdict(problems)


RULE = Rule(
    id="S3-SSE-KMS",
    description="S3 default encryption uses SSE-KMS with a customer-managed key.",
    severity="high",
    remediation="Use sse_algorithm='aws:kms' with the stack's KMS key.",
    anchors=(
        "cdk-nag NIST.800.53.R5-S3DefaultEncryptionKMS",
        "CKV_AWS_145",
        "compliance-policies aws/s3/Bucket/configureServerSideEncryptionCustomerManagedKey",
    ),
    enforcement="M",
    resource_types=frozenset({t.S3_SSE}),
    check=check,
)
