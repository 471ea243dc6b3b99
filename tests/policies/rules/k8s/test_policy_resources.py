"""Cases for K8S-RESOURCES: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.resources import RULE

CASES = [
    (
        "pass",
        "prod",
        None,
        workload({"resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}}),
        [],
    ),
    (
        "no limit",
        "prod",
        None,
        workload({"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}),
        ["containers[0] model: resources.limits.memory is not set"],
    ),
    (
        "missing",
        "prod",
        None,
        workload(),
        [
            "containers[0] model: resources.requests.cpu is not set",
            "containers[0] model: resources.requests.memory is not set",
            "containers[0] model: resources.limits.memory is not set",
        ],
    ),
    ("unknown", "prod", None, workload({"resources": UNKNOWN}), [undecided("resources")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_resources(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
