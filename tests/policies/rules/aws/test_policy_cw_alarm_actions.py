"""Cases for CW-ALARM-ACTIONS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.cw_alarm_actions import RULE

CASES = [
    ("pass", "prod", None, {"alarmActions": ["arn:topic"]}, []),
    ("disabled", "prod", None, {"actionsEnabled": False, "alarmActions": ["arn:topic"]}, ["actionsEnabled is false"]),
    ("missing", "prod", None, {}, ["no alarmActions or okActions"]),
    ("unknown", "prod", None, {"alarmActions": [UNKNOWN]}, [undecided("alarmActions.0")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_cw_alarm_actions(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
