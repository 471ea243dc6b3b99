"""Cases for S3-VERSIONING: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.s3_versioning import RULE

CASES = [
    ("pass", "prod", None, {"versioningConfiguration": {"status": "Enabled"}}, []),
    (
        "suspended",
        "prod",
        None,
        {"versioningConfiguration": {"status": "Suspended"}},
        ["versioningConfiguration.status is 'Suspended', must be Enabled"],
    ),
    ("missing", "prod", None, {}, ["versioningConfiguration.status is None, must be Enabled"]),
    (
        "unknown",
        "prod",
        None,
        {"versioningConfiguration": {"status": UNKNOWN}},
        [undecided("versioningConfiguration.status")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_s3_versioning(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
