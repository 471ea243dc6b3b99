"""Cases for SNS-SUBSCRIPTION-DLQ (advisory)."""

import json

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sns_subscription_dlq import RULE

LOST = ["redrivePolicy has no deadLetterTargetArn: an alert that cannot be delivered is lost"]
CASES = [
    ("pass", "prod", None, {"redrivePolicy": json.dumps({"deadLetterTargetArn": "arn:aws:sqs:eu-west-1:1:dlq"})}, []),
    ("empty policy", "prod", None, {"redrivePolicy": "{}"}, LOST),
    ("missing", "prod", None, {}, LOST),
    ("unknown", "prod", None, {"redrivePolicy": UNKNOWN}, [undecided("redrivePolicy")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
