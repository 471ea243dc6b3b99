"""Cases for IAM-WILDCARD-ACTION: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.iam_wildcard_action import RULE

CASES = [
    (
        "pass",
        "prod",
        "aws:iam/policy:Policy",
        {"policy": {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:b"}]}},
        [],
    ),
    (
        "wildcard",
        "prod",
        "aws:iam/policy:Policy",
        {"policy": {"Statement": [{"Effect": "Allow", "Action": ["s3:*", "sagemaker:Get*"], "Resource": "arn:b"}]}},
        [
            "policy.Statement[0] allows wildcard action s3:*",
            "policy.Statement[0] allows wildcard action sagemaker:Get*",
        ],
    ),
    (
        "notaction",
        "prod",
        "aws:iam/policy:Policy",
        {"policy": {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}},
        ["policy.Statement[0] uses Allow with NotAction, which grants every other action"],
    ),
    ("missing", "prod", "aws:iam/role:Role", {}, []),
    (
        "unknown",
        "prod",
        "aws:iam/role:Role",
        {"inlinePolicies": [{"name": "p", "policy": UNKNOWN}]},
        [undecided("inlinePolicies.0.policy")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_iam_wildcard_action(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
