"""Cases for K8S-EPHEMERAL-STORAGE (advisory)."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.ephemeral_storage import RULE

BOTH = {"requests": {"ephemeral-storage": "1Gi"}, "limits": {"ephemeral-storage": "2Gi"}}
CASES = [
    ("pass", "prod", "kubernetes:apps/v1:Deployment", workload({"resources": BOTH}), []),
    (
        "no limit",
        "prod",
        "kubernetes:apps/v1:Deployment",
        workload({"resources": {"requests": {"ephemeral-storage": "1Gi"}}}),
        ["containers[0] model: resources.limits.ephemeral-storage is not set"],
    ),
    (
        "missing",
        "prod",
        "kubernetes:apps/v1:Deployment",
        workload(),
        [
            "containers[0] model: resources.requests.ephemeral-storage is not set",
            "containers[0] model: resources.limits.ephemeral-storage is not set",
        ],
    ),
    ("unknown", "prod", "kubernetes:apps/v1:Deployment", workload({"resources": UNKNOWN}), [undecided("resources")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
