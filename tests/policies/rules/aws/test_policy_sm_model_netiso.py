"""Cases for SM-MODEL-NETISO: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sm_model_netiso import RULE

CASES = [
    ("pass", "prod", None, {"enableNetworkIsolation": True}, []),
    ("false", "prod", None, {"enableNetworkIsolation": False}, ["enableNetworkIsolation is False, must be true"]),
    ("missing", "prod", None, {}, ["enableNetworkIsolation is None, must be true"]),
    ("unknown", "prod", None, {"enableNetworkIsolation": UNKNOWN}, [undecided("enableNetworkIsolation")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sm_model_netiso(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
