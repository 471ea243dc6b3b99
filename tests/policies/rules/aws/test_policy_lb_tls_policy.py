"""Cases for LB-TLS-POLICY: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.lb_tls_policy import RULE

CASES = [
    ("pass", "prod", None, {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}, []),
    (
        "old",
        "prod",
        None,
        {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"},
        ["sslPolicy is 'ELBSecurityPolicy-2016-08'; use ELBSecurityPolicy-TLS13-1-2-2021-06 or stricter"],
    ),
    (
        "missing",
        "prod",
        None,
        {"protocol": "HTTPS"},
        ["sslPolicy is None; use ELBSecurityPolicy-TLS13-1-2-2021-06 or stricter"],
    ),
    ("unknown", "prod", None, {"protocol": "HTTPS", "sslPolicy": UNKNOWN}, [undecided("sslPolicy")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_lb_tls_policy(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
