"""Cases for LB-ACM-CERT: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.lb_acm_cert import RULE

CASES = [
    ("pass", "prod", None, {"protocol": "HTTPS", "certificateArn": "arn:cert"}, []),
    ("http n/a", "prod", None, {"protocol": "HTTP"}, []),
    ("missing", "prod", None, {"protocol": "HTTPS"}, ["certificateArn is not set"]),
    ("unknown", "prod", None, {"protocol": "HTTPS", "certificateArn": UNKNOWN}, [undecided("certificateArn")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_lb_acm_cert(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
