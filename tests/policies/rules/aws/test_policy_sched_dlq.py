"""Cases for SCHED-DLQ."""


import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sched_dlq import RULE

SCHEDULE = "aws:scheduler/schedule:Schedule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
DLQ = {"arn": "arn:aws:sqs:eu-west-1:123456789012:dlq"}
RETRY = {"maximumRetryAttempts": 2, "maximumEventAgeInSeconds": 3600}

CASES = [
    ("schedule pass", "prod", SCHEDULE, {"target": {"deadLetterConfig": DLQ, "retryPolicy": RETRY}}, []),
    ("target pass", "prod", TARGET, {"deadLetterConfig": DLQ}, []),
    (
        "schedule without dlq",
        "prod",
        SCHEDULE,
        {"target": {"retryPolicy": RETRY}},
        ["target.deadLetterConfig.arn is not set: a failed invocation is dropped without trace"],
    ),
    (
        "schedule without retry",
        "prod",
        SCHEDULE,
        {"target": {"deadLetterConfig": DLQ}},
        ["target.retryPolicy is not set: state how often a failed invocation is retried"],
    ),
    (
        "missing target dlq",
        "prod",
        TARGET,
        {},
        ["deadLetterConfig.arn is not set: a failed invocation is dropped without trace"],
    ),
    ("unknown", "prod", SCHEDULE, {"target": UNKNOWN}, [undecided("target")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
