"""Cases for LB-HTTPS-ONLY: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.lb_https_only import RULE

CASES = [
    (
        "pass redirect",
        "prod",
        None,
        {"protocol": "HTTP", "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTPS"}}]},
        [],
    ),
    ("https n/a", "prod", None, {"protocol": "HTTPS"}, []),
    (
        "forward",
        "prod",
        None,
        {"protocol": "HTTP", "defaultActions": [{"type": "forward"}]},
        ["HTTP listener does not redirect to HTTPS"],
    ),
    ("missing actions", "prod", None, {"protocol": "HTTP"}, ["HTTP listener does not redirect to HTTPS"]),
    ("unknown", "prod", None, {"protocol": UNKNOWN}, [undecided("protocol")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_lb_https_only(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
