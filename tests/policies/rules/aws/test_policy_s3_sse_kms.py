"""Cases for S3-SSE-KMS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.s3_sse_kms import RULE

CASES = [
    (
        "pass",
        "prod",
        None,
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "k"}}]},
        [],
    ),
    (
        "aes",
        "prod",
        None,
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
        ["rules[0].applyServerSideEncryptionByDefault.sseAlgorithm is 'AES256', must be aws:kms"],
    ),
    ("missing", "prod", None, {}, ["rules is empty; no default encryption is configured"]),
    (
        "unknown",
        "prod",
        None,
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": UNKNOWN}}]},
        [undecided("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm")],
    ),
]


CASES += [
    (
        "aws-managed key",
        "prod",
        None,
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
        [
            "rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId is not set: "
            "S3 uses the AWS-managed aws/s3 key, whose policy nobody can scope"
        ],
    ),
    (
        "aws/s3 alias",
        "prod",
        None,
        {
            "rules": [
                {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "alias/aws/s3"}}
            ]
        },
        ["rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId is the AWS-managed alias/aws/s3"],
    ),
    (
        "key unknown",
        "prod",
        None,
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN}}]},
        [undecided("rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_s3_sse_kms(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
