"""Cases for SNS-KMS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sns_kms import RULE

CASES = [
    ("pass", "prod", None, {"kmsMasterKeyId": "k"}, []),
    ("empty", "prod", None, {"kmsMasterKeyId": ""}, ["kmsMasterKeyId is not set"]),
    ("missing", "prod", None, {}, ["kmsMasterKeyId is not set"]),
    ("unknown", "prod", None, {"kmsMasterKeyId": UNKNOWN}, [undecided("kmsMasterKeyId")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sns_kms(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
