"""Cases for SM-ROLLBACK-ALARMS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sm_rollback_alarms import RULE

CASES = [
    ("pass", "prod", None, {"deploymentConfig": {"autoRollbackConfiguration": {"alarms": [{"alarmName": "a"}]}}}, []),
    ("dev", "dev", None, {}, []),
    (
        "no alarms",
        "prod",
        None,
        {"deploymentConfig": {"autoRollbackConfiguration": {"alarms": []}}},
        ["deploymentConfig.autoRollbackConfiguration watches no alarm"],
    ),
    ("missing", "prod", None, {}, ["deploymentConfig is missing; updates replace the fleet with no rollback"]),
    (
        "unknown",
        "prod",
        None,
        {"deploymentConfig": {"autoRollbackConfiguration": {"alarms": UNKNOWN}}},
        [undecided("deploymentConfig.autoRollbackConfiguration.alarms")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sm_rollback_alarms(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
