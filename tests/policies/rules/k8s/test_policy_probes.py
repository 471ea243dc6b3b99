"""Cases for K8S-PROBES: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.probes import RULE

CASES = [
    (
        "pass",
        "prod",
        None,
        workload(
            {
                "readinessProbe": {"httpGet": {"path": "/v2/health/ready"}},
                "livenessProbe": {"httpGet": {"path": "/v2/health/live"}},
            }
        ),
        [],
    ),
    ("job n/a", "prod", "kubernetes:batch/v1:CronJob", workload(kind="CronJob"), []),
    ("no liveness", "prod", None, workload({"readinessProbe": {}}), ["containers[0] model: livenessProbe is missing"]),
    (
        "missing",
        "prod",
        None,
        workload(),
        ["containers[0] model: readinessProbe is missing", "containers[0] model: livenessProbe is missing"],
    ),
    (
        "unknown",
        "prod",
        None,
        workload({"readinessProbe": UNKNOWN, "livenessProbe": {}}),
        [undecided("readinessProbe")],
    ),
]


SAME = {"httpGet": {"path": "/v2/health/ready", "port": "http"}}
CASES += [
    # kube-score pod-probes-identical: an identical pair restarts a busy pod instead of draining it.
    (
        "identical probes",
        "prod",
        None,
        workload({"readinessProbe": SAME, "livenessProbe": dict(SAME)}),
        ["containers[0] model: readinessProbe is identical to livenessProbe"],
    ),
]

@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_probes(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
