"""Cases for LB-TG-TLS."""


import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.lb_tg_tls import RULE

CASES = [
    ("https", "prod", None, {"protocol": "HTTPS", "port": 8443}, []),
    ("tcp n/a", "prod", None, {"protocol": "TCP", "port": 8080}, []),
    ("lambda n/a", "prod", None, {"targetType": "lambda"}, []),
    (
        "http",
        "prod",
        None,
        {"protocol": "HTTP", "port": 8080},
        ["protocol is 'HTTP': requests (with their payloads) travel to port 8080 unencrypted"],
    ),
    ("missing", "prod", None, {}, ["protocol is None: requests (with their payloads) travel to port None unencrypted"]),
    ("unknown", "prod", None, {"protocol": UNKNOWN}, [undecided("protocol")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected


def test_mandatory_in_prod() -> None:
    assert (RULE.default_level("staging"), RULE.default_level("prod")) == ("advisory", "mandatory")
