"""Cases for SNS-POLICY-CROSS-ACCOUNT."""

import json

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sns_policy_cross_account import RULE

TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts"


def policy(principal: object) -> dict:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sns:Publish", "Resource": TOPIC}
    return {"arn": TOPIC, "policy": json.dumps({"Statement": [statement]})}


CASES = [
    ("own account", "prod", None, policy({"AWS": "arn:aws:iam::123456789012:root"}), []),
    ("service", "prod", None, policy({"Service": "cloudwatch.amazonaws.com"}), []),
    (
        "other account",
        "prod",
        None,
        policy({"AWS": "arn:aws:iam::210987654321:root"}),
        ["policy.Statement[0] grants arn:aws:iam::210987654321:root, outside account 123456789012"],
    ),
    (
        "bare other id",
        "prod",
        None,
        policy({"AWS": "210987654321"}),
        ["policy.Statement[0] grants 210987654321, outside account 123456789012"],
    ),
    ("missing arn", "prod", None, {}, ["arn is None, not a topic ARN: the topic's own account cannot be told apart"]),
    ("unknown", "prod", None, {"arn": UNKNOWN}, [undecided("arn")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
