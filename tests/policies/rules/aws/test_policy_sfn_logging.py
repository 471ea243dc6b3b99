"""Cases for SFN-LOGGING."""


import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sfn_logging import RULE

DEST = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/states/x:*"
CASES = [
    ("pass", "prod", None, {"loggingConfiguration": {"level": "ALL", "logDestination": DEST}}, []),
    (
        "errors only",
        "prod",
        None,
        {"loggingConfiguration": {"level": "ERROR", "logDestination": DEST}},
        ["loggingConfiguration.level is 'ERROR', must be 'ALL'"],
    ),
    (
        "missing",
        "prod",
        None,
        {},
        [
            "loggingConfiguration.level is None, must be 'ALL'",
            "loggingConfiguration.logDestination is not set (a CloudWatch log group ARN ending in :*)",
        ],
    ),
    ("unknown", "prod", None, {"loggingConfiguration": {"level": UNKNOWN}}, [undecided("loggingConfiguration.level")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
