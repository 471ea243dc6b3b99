"""Cases for K8S-ARTIFACT-SHA256: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.artifact_checksum import RULE

CASES = [
    ("pass annotation", "prod", None, {"metadata": {"annotations": {"slipstack.dev/artifact-sha256": "b" * 64}}}, []),
    (
        "bad value",
        "prod",
        None,
        {"metadata": {"annotations": {"slipstack.dev/artifact-sha256": "abc"}}},
        ["slipstack.dev/artifact-sha256 is 'abc', not a lowercase hex sha256"],
    ),
    ("missing", "prod", None, workload(), ["annotation slipstack.dev/artifact-sha256 is missing"]),
    (
        "unknown",
        "prod",
        None,
        {"metadata": {"annotations": {"slipstack.dev/artifact-sha256": UNKNOWN}}},
        [undecided("metadata.annotations.slipstack.dev/artifact-sha256")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_artifact_checksum(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
