"""Cases for LB-ALB-HARDEN: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.lb_alb_harden import RULE

CASES = [
    ("pass", "prod", None, {"dropInvalidHeaderFields": True}, []),
    ("nlb n/a", "prod", None, {"loadBalancerType": "network"}, []),
    ("off", "prod", None, {"dropInvalidHeaderFields": False}, ["dropInvalidHeaderFields is False, must be true"]),
    ("missing", "prod", None, {}, ["dropInvalidHeaderFields is None, must be true"]),
    ("unknown", "prod", None, {"dropInvalidHeaderFields": UNKNOWN}, [undecided("dropInvalidHeaderFields")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_lb_alb_harden(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
