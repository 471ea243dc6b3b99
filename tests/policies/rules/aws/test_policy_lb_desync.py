"""Cases for LB-DESYNC."""


import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.lb_desync import RULE

CASES = [
    ("default", "prod", None, {}, []),
    ("strictest", "prod", None, {"desyncMitigationMode": "strictest"}, []),
    ("nlb n/a", "prod", None, {"loadBalancerType": "network", "desyncMitigationMode": "monitor"}, []),
    (
        "monitor",
        "prod",
        None,
        {"desyncMitigationMode": "monitor"},
        ["desyncMitigationMode is 'monitor', must be 'defensive' or 'strictest'"],
    ),
    (
        "odd shape",
        "prod",
        None,
        {"desyncMitigationMode": ["strictest"]},
        ["desyncMitigationMode is ['strictest'], must be 'defensive' or 'strictest'"],
    ),
    ("unknown", "prod", None, {"desyncMitigationMode": UNKNOWN}, [undecided("desyncMitigationMode")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
