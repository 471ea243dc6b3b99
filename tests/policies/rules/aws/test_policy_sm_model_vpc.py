"""Cases for SM-MODEL-VPC: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sm_model_vpc import RULE

CASES = [
    ("pass", "prod", None, {"vpcConfig": {"subnets": ["a", "b"], "securityGroupIds": ["sg"]}}, []),
    (
        "one subnet",
        "prod",
        None,
        {"vpcConfig": {"subnets": ["a"], "securityGroupIds": ["sg"]}},
        ["vpcConfig.subnets has 1 subnet(s), needs at least 2"],
    ),
    ("no sg", "prod", None, {"vpcConfig": {"subnets": ["a", "b"]}}, ["vpcConfig.securityGroupIds is empty"]),
    ("missing", "prod", None, {}, ["vpcConfig is missing; the model would run outside your VPC"]),
    (
        "unknown",
        "prod",
        None,
        {"vpcConfig": {"subnets": UNKNOWN, "securityGroupIds": ["sg"]}},
        [undecided("vpcConfig.subnets")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sm_model_vpc(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
