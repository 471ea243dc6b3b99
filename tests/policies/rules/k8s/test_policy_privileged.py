"""Cases for K8S-PRIVILEGED: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.privileged import RULE

CASES = [
    ("pass", "prod", None, workload({"securityContext": {"privileged": False}}), []),
    (
        "privileged",
        "prod",
        None,
        workload({"securityContext": {"privileged": True}}),
        ["containers[0] model: securityContext.privileged is true"],
    ),
    (
        "init container",
        "prod",
        None,
        workload(pod={"initContainers": [{"name": "init", "securityContext": {"privileged": True}}]}),
        ["initContainers[0] init: securityContext.privileged is true"],
    ),
    ("missing", "prod", None, workload(), []),
    (
        "unknown",
        "prod",
        None,
        workload({"securityContext": {"privileged": UNKNOWN}}),
        [undecided("securityContext.privileged")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_privileged(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
