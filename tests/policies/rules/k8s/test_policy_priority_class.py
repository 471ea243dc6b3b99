"""Cases for K8S-PRIORITY-CLASS (advisory)."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.priority_class import RULE

CASES = [
    ("pass", "prod", "kubernetes:apps/v1:Deployment", workload(pod={"priorityClassName": "model-serving"}), []),
    (
        "empty",
        "prod",
        "kubernetes:apps/v1:Deployment",
        workload(pod={"priorityClassName": ""}),
        ["priorityClassName is not set"],
    ),
    ("missing", "prod", "kubernetes:batch/v1:CronJob", workload(kind="CronJob"), ["priorityClassName is not set"]),
    (
        "unknown",
        "prod",
        "kubernetes:apps/v1:Deployment",
        workload(pod={"priorityClassName": UNKNOWN}),
        [undecided("priorityClassName")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
