"""Cases for SFN-TRACING."""


import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sfn_tracing import RULE

CASES = [
    ("pass", "prod", None, {"tracingConfiguration": {"enabled": True}}, []),
    (
        "off",
        "prod",
        None,
        {"tracingConfiguration": {"enabled": False}},
        ["tracingConfiguration.enabled is False, must be true"],
    ),
    ("missing", "prod", None, {}, ["tracingConfiguration.enabled is None, must be true"]),
    ("unknown", "prod", None, {"tracingConfiguration": UNKNOWN}, [undecided("tracingConfiguration")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
