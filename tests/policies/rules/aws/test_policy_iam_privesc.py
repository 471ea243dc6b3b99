"""Cases for IAM-PRIVESC: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.iam_privesc import RULE

CASES = [
    (
        "pass",
        "prod",
        "aws:iam/policy:Policy",
        {"policy": {"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/r"}]}},
        [],
    ),
    (
        "passrole star",
        "prod",
        "aws:iam/policy:Policy",
        {"policy": {"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}},
        ["policy.Statement[0] allows iam:PassRole on Resource *"],
    ),
    (
        "iam star",
        "prod",
        "aws:iam/policy:Policy",
        {"policy": {"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "arn:x"}]}},
        ["policy.Statement[0] allows iam:*, which can escalate privileges"],
    ),
    ("missing", "prod", "aws:iam/policy:Policy", {}, []),
    ("unknown", "prod", "aws:iam/policy:Policy", {"policy": UNKNOWN}, [undecided("policy")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_iam_privesc(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
