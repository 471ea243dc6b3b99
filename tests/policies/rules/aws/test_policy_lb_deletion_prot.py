"""Cases for LB-DELETION-PROT: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.lb_deletion_prot import RULE

CASES = [
    ("pass", "prod", None, {"enableDeletionProtection": True}, []),
    ("off", "prod", None, {"enableDeletionProtection": False}, ["enableDeletionProtection is False, must be true"]),
    ("missing", "prod", None, {}, ["enableDeletionProtection is None, must be true"]),
    ("unknown", "prod", None, {"enableDeletionProtection": UNKNOWN}, [undecided("enableDeletionProtection")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_lb_deletion_prot(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
