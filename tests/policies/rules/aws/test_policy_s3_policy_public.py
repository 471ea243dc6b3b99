"""Cases for S3-POLICY-PUBLIC: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.s3_policy_public import RULE

CASES = [
    (
        "pass",
        "prod",
        None,
        {
            "policy": (
                '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/r"}, '
                '"Action": "s3:GetObject", "Resource": "*"}]}'
            )
        },
        [],
    ),
    (
        "deny to * is fine",
        "prod",
        None,
        {"policy": {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}},
        [],
    ),
    (
        "public",
        "prod",
        None,
        {
            "policy": {
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"}]
            }
        },
        ["policy.Statement[0] allows s3:GetObject to Principal *"],
    ),
    ("missing", "prod", None, {}, []),
    ("unknown", "prod", None, {"policy": UNKNOWN}, [undecided("policy")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_s3_policy_public(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
