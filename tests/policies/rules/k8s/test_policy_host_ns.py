"""Cases for K8S-HOST-NS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.host_ns import RULE

CASES = [
    ("pass", "prod", None, workload(), []),
    (
        "host network",
        "prod",
        None,
        workload(pod={"hostNetwork": True, "hostPID": True}),
        ["hostNetwork is true", "hostPID is true"],
    ),
    (
        "cronjob ipc",
        "prod",
        "kubernetes:batch/v1:CronJob",
        workload(pod={"hostIPC": True}, kind="CronJob"),
        ["hostIPC is true"],
    ),
    ("missing spec", "prod", None, {}, []),
    ("unknown", "prod", None, workload(pod={"hostNetwork": UNKNOWN}), [undecided("spec.template.spec.hostNetwork")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_host_ns(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
