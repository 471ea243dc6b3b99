"""Cases for LB-TG-HEALTH."""


import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.lb_tg_health import RULE

CASES = [
    ("pass", "prod", None, {"protocol": "HTTP", "healthCheck": {"path": "/v2/health/ready"}}, []),
    ("tcp n/a", "prod", None, {"protocol": "TCP"}, []),
    (
        "disabled",
        "prod",
        None,
        {"protocol": "HTTPS", "healthCheck": {"enabled": False, "path": "/"}},
        ["healthCheck.enabled is false"],
    ),
    ("no path", "prod", None, {"protocol": "HTTP", "healthCheck": {"matcher": "200"}}, ["healthCheck.path is not set"]),
    (
        "missing",
        "prod",
        None,
        {"protocol": "HTTP"},
        ["healthCheck is not set: the default checks '/' with any 200 instead of the readiness path"],
    ),
    ("unknown", "prod", None, {"protocol": "HTTP", "healthCheck": {"path": UNKNOWN}}, [undecided("healthCheck.path")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
