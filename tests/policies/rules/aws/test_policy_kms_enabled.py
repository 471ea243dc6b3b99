"""Cases for KMS-ENABLED."""


import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.kms_enabled import RULE

CASES = [
    ("default", "prod", None, {}, []),
    ("enabled", "prod", None, {"isEnabled": True}, []),
    ("disabled", "prod", None, {"isEnabled": False}, ["isEnabled is False, must be true"]),
    ("unknown", "prod", None, {"isEnabled": UNKNOWN}, [undecided("isEnabled")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
