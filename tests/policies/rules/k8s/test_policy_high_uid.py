"""Cases for K8S-HIGH-UID: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.high_uid import RULE

CASES = [
    ("pass", "prod", None, workload(pod={"securityContext": {"runAsUser": 10001}}), []),
    (
        "low",
        "prod",
        None,
        workload({"securityContext": {"runAsUser": 1000}}),
        ["containers[0] model: runAsUser is 1000, should be >= 10000"],
    ),
    ("missing", "prod", None, workload(), ["containers[0] model: runAsUser is None, should be >= 10000"]),
    (
        "unknown",
        "prod",
        None,
        workload({"securityContext": {"runAsUser": UNKNOWN}}),
        [undecided("securityContext.runAsUser")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_high_uid(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
