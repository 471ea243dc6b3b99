"""Cases for SM-CAPTURE-ENABLED: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sm_capture_enabled import RULE

CASES = [
    ("pass", "prod", None, {"dataCaptureConfig": {"enableCapture": True}}, []),
    ("dev not applicable", "dev", None, {}, []),
    (
        "disabled",
        "prod",
        None,
        {"dataCaptureConfig": {"enableCapture": False}},
        ["prod endpoint configuration does not capture traffic; drift monitoring has no input"],
    ),
    (
        "missing",
        "prod",
        None,
        {},
        ["prod endpoint configuration does not capture traffic; drift monitoring has no input"],
    ),
    (
        "unknown",
        "prod",
        None,
        {"dataCaptureConfig": {"enableCapture": UNKNOWN}},
        [undecided("dataCaptureConfig.enableCapture")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sm_capture_enabled(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
