"""Cases for SM-CAPTURE: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sm_capture import RULE

CASES = [
    ("pass", "prod", None, {"dataCaptureConfig": {"kmsKeyId": "k", "enableCapture": True}}, []),
    (
        "no key",
        "prod",
        None,
        {"dataCaptureConfig": {"enableCapture": True}},
        ["dataCaptureConfig.kmsKeyId is not set; captured payloads would use the S3 default key"],
    ),
    ("missing = not applicable", "prod", None, {}, []),
    ("unknown", "prod", None, {"dataCaptureConfig": {"kmsKeyId": UNKNOWN}}, [undecided("dataCaptureConfig.kmsKeyId")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sm_capture(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
