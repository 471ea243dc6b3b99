"""Cases for K8S-NONROOT: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.nonroot import RULE

CASES = [
    ("pass pod level", "prod", None, workload(pod={"securityContext": {"runAsNonRoot": True, "runAsUser": 10001}}), []),
    (
        "root uid",
        "prod",
        None,
        workload({"securityContext": {"runAsNonRoot": True, "runAsUser": 0}}),
        ["containers[0] model: runAsUser is 0 (root)"],
    ),
    (
        "container overrides pod",
        "prod",
        None,
        workload({"securityContext": {"runAsNonRoot": False}}, {"securityContext": {"runAsNonRoot": True}}),
        ["containers[0] model: runAsNonRoot is not true"],
    ),
    ("missing", "prod", None, workload(), ["containers[0] model: runAsNonRoot is not true"]),
    (
        "unknown",
        "prod",
        None,
        workload({"securityContext": {"runAsNonRoot": UNKNOWN}}),
        [undecided("securityContext.runAsNonRoot")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_nonroot(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
