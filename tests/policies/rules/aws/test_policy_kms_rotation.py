"""Cases for KMS-ROTATION: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.kms_rotation import RULE

CASES = [
    ("pass", "prod", None, {"enableKeyRotation": True}, []),
    ("asymmetric n/a", "prod", None, {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}, []),
    ("off", "prod", None, {"enableKeyRotation": False}, ["enableKeyRotation is False, must be true"]),
    ("missing", "prod", None, {}, ["enableKeyRotation is None, must be true"]),
    ("unknown", "prod", None, {"enableKeyRotation": UNKNOWN}, [undecided("enableKeyRotation")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_kms_rotation(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
