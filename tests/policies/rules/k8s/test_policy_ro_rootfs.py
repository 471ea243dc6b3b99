"""Cases for K8S-RO-ROOTFS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.ro_rootfs import RULE

CASES = [
    ("pass", "prod", None, workload({"securityContext": {"readOnlyRootFilesystem": True}}), []),
    (
        "false",
        "prod",
        None,
        workload({"securityContext": {"readOnlyRootFilesystem": False}}),
        ["containers[0] model: readOnlyRootFilesystem is not true"],
    ),
    ("missing", "prod", None, workload(), ["containers[0] model: readOnlyRootFilesystem is not true"]),
    (
        "unknown",
        "prod",
        None,
        workload({"securityContext": {"readOnlyRootFilesystem": UNKNOWN}}),
        [undecided("securityContext.readOnlyRootFilesystem")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_ro_rootfs(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
