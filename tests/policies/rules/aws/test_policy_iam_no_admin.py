"""Cases for IAM-NO-ADMIN: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.iam_no_admin import RULE

CASES = [
    (
        "pass",
        "prod",
        "aws:iam/policy:Policy",
        {"policy": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}},
        [],
    ),
    (
        "admin policy",
        "prod",
        "aws:iam/policy:Policy",
        {"policy": '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'},
        ["policy.Statement[0] allows Action * on Resource *: full administrator access"],
    ),
    (
        "admin inline",
        "prod",
        "aws:iam/role:Role",
        {
            "inlinePolicies": [
                {"name": "p", "policy": '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'}
            ]
        },
        ["inlinePolicies[0].Statement[0] allows Action * on Resource *: full administrator access"],
    ),
    ("missing", "prod", "aws:iam/rolePolicy:RolePolicy", {}, []),
    ("unknown", "prod", "aws:iam/rolePolicy:RolePolicy", {"policy": UNKNOWN}, [undecided("policy")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_iam_no_admin(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
