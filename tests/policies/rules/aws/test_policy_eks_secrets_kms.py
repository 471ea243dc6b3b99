"""Cases for EKS-SECRETS-KMS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.eks_secrets_kms import RULE

CASES = [
    ("pass", "prod", None, {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:k"}}}, []),
    (
        "no key",
        "prod",
        None,
        {"encryptionConfig": {"resources": ["secrets"]}},
        ["encryptionConfig.provider.keyArn is not set"],
    ),
    (
        "missing",
        "prod",
        None,
        {},
        ["encryptionConfig.resources does not include secrets", "encryptionConfig.provider.keyArn is not set"],
    ),
    (
        "unknown",
        "prod",
        None,
        {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": UNKNOWN}}},
        [undecided("encryptionConfig.provider.keyArn")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_eks_secrets_kms(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
