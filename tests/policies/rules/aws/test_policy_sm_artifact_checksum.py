"""Cases for SM-ARTIFACT-SHA256: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sm_artifact_checksum import RULE

CASES = [
    ("pass", "prod", None, {"tags": {"slipstack:artifact-sha256": "a" * 64}}, []),
    (
        "not a sha",
        "prod",
        None,
        {"tags": {"slipstack:artifact-sha256": "xyz"}},
        ["tag slipstack:artifact-sha256 is 'xyz', not a lowercase hex sha256"],
    ),
    ("missing", "prod", None, {}, ["tag slipstack:artifact-sha256 is missing"]),
    (
        "unknown",
        "prod",
        None,
        {"tags": {"slipstack:artifact-sha256": UNKNOWN}},
        [undecided("tags.slipstack:artifact-sha256")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sm_artifact_checksum(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
