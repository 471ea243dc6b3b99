"""Cases for KMS-POLICY: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.kms_policy import RULE

CASES = [
    (
        "pass",
        "prod",
        None,
        {
            "policy": {
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*", "Resource": "*"}
                ]
            }
        },
        [],
    ),
    (
        "conditioned star",
        "prod",
        None,
        {
            "policy": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "kms:Decrypt",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:SourceAccount": "1"}},
                    }
                ]
            }
        },
        [],
    ),
    (
        "public",
        "prod",
        None,
        {"policy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]}},
        ["policy.Statement[0] allows Principal * without a Condition"],
    ),
    (
        "bypass",
        "prod",
        None,
        {"bypassPolicyLockoutSafetyCheck": True, "policy": {"Statement": []}},
        ["bypassPolicyLockoutSafetyCheck is true; a bad policy could lock the key forever"],
    ),
    # CKV2_AWS_64: no policy means AWS's default one, which delegates the key to every IAM policy.
    (
        "missing",
        "prod",
        None,
        {},
        ["policy is not set: the default key policy lets any IAM policy in the account use the key"],
    ),
    ("unknown", "prod", None, {"policy": UNKNOWN}, [undecided("policy")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_kms_policy(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
