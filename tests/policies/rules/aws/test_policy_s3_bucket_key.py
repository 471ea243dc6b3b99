"""Cases for S3-BUCKET-KEY: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.s3_bucket_key import RULE

CASES = [
    ("pass", "prod", None, {"rules": [{"bucketKeyEnabled": True}]}, []),
    (
        "off",
        "prod",
        None,
        {"rules": [{"bucketKeyEnabled": False}]},
        ["rules[0].bucketKeyEnabled is False, should be true"],
    ),
    ("missing", "prod", None, {"rules": [{}]}, ["rules[0].bucketKeyEnabled is None, should be true"]),
    (
        "sse-s3 has no bucket key",
        "prod",
        None,
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
        [],
    ),
    (
        "sse-kms without it",
        "prod",
        None,
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
        ["rules[0].bucketKeyEnabled is None, should be true"],
    ),
    ("unknown", "prod", None, {"rules": [{"bucketKeyEnabled": UNKNOWN}]}, [undecided("rules.0.bucketKeyEnabled")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_s3_bucket_key(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
