"""Cases for CW-LOGGROUP-KMS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.cw_loggroup_kms import RULE

CASES = [
    ("pass", "prod", None, {"kmsKeyId": "k"}, []),
    ("missing", "prod", None, {}, ["kmsKeyId is not set"]),
    ("unknown", "prod", None, {"kmsKeyId": UNKNOWN}, [undecided("kmsKeyId")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_cw_loggroup_kms(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
