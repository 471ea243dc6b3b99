"""Cases for S3-LIFECYCLE-ABORT."""


import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.s3_lifecycle_abort import RULE

ABORT = {"abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}}
FAIL = ["no enabled rule sets abortIncompleteMultipartUpload.daysAfterInitiation"]
CASES = [
    (
        "pass",
        "prod",
        None,
        {"rules": [{"status": "Enabled", "expiration": {"days": 30}}, {"status": "Enabled", **ABORT}]},
        [],
    ),
    ("disabled rule", "prod", None, {"rules": [{"status": "Disabled", **ABORT}]}, FAIL),
    (
        "zero days",
        "prod",
        None,
        {"rules": [{"status": "Enabled", "abortIncompleteMultipartUpload": {"daysAfterInitiation": 0}}]},
        FAIL,
    ),
    ("missing", "prod", None, {}, FAIL),
    ("unknown", "prod", None, {"rules": [{"status": UNKNOWN, **ABORT}]}, [undecided("rules.0.status")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
