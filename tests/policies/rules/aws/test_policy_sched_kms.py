"""Cases for SCHED-KMS."""


import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sched_kms import RULE

CASES = [
    ("cmk", "prod", None, {"kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/abc"}, []),
    (
        "aws alias",
        "prod",
        None,
        {"kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:alias/aws/scheduler"},
        [
            "kmsKeyArn arn:aws:kms:eu-west-1:123456789012:alias/aws/scheduler "
            "is an AWS-managed alias, not a customer-managed key"
        ],
    ),
    (
        "missing",
        "prod",
        None,
        {},
        ["kmsKeyArn is not set: the schedule's target input is encrypted with an AWS-owned key"],
    ),
    ("unknown", "prod", None, {"kmsKeyArn": UNKNOWN}, [undecided("kmsKeyArn")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
