"""Cases for LB-ACCESS-LOGS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.lb_access_logs import RULE

CASES = [
    ("pass", "prod", None, {"accessLogs": {"enabled": True, "bucket": "logs"}}, []),
    (
        "disabled",
        "prod",
        None,
        {"accessLogs": {"enabled": False, "bucket": "logs"}},
        ["accessLogs is not enabled with a bucket"],
    ),
    ("missing", "prod", None, {}, ["accessLogs is not enabled with a bucket"]),
    ("unknown", "prod", None, {"accessLogs": {"enabled": True, "bucket": UNKNOWN}}, [undecided("accessLogs.bucket")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_lb_access_logs(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
