"""Cases for CW-LOGGROUP: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.cw_loggroup import RULE

CASES = [
    ("pass", "prod", None, {"retentionInDays": 30}, []),
    ("zero", "prod", None, {"retentionInDays": 0}, ["retentionInDays is 0; logs are kept forever"]),
    ("missing", "prod", None, {}, ["retentionInDays is None; logs are kept forever"]),
    ("unknown", "prod", None, {"retentionInDays": UNKNOWN}, [undecided("retentionInDays")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_cw_loggroup(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
