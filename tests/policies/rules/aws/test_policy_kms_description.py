"""Cases for KMS-DESCRIPTION (advisory)."""


import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.kms_description import RULE

CASES = [
    ("pass", "prod", None, {"description": "artifacts of m"}, []),
    ("blank", "prod", None, {"description": "  "}, ["description is not set"]),
    ("missing", "prod", None, {}, ["description is not set"]),
    ("unknown", "prod", None, {"description": UNKNOWN}, [undecided("description")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
