"""Cases for IAM-NO-USERS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages

from policies.rules.aws.iam_no_users import RULE

CASES = [
    (
        "user",
        "prod",
        "aws:iam/user:User",
        {"name": "ci"},
        ["creates an IAM user; use a role with temporary credentials"],
    ),
    (
        "key",
        "prod",
        "aws:iam/accessKey:AccessKey",
        {},
        ["creates an IAM access key; use a role with temporary credentials"],
    ),
    (
        "unknown still fails",
        "prod",
        "aws:iam/user:User",
        {"name": UNKNOWN},
        ["creates an IAM user; use a role with temporary credentials"],
    ),
]


CASES += [
    (
        "user policy attachment",
        "prod",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        {"user": "u", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        ["creates an IAM user policy attachment; use a role with temporary credentials"],
    ),
]

@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_iam_no_users(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
