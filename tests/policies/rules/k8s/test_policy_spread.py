"""Cases for K8S-SPREAD."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.spread import RULE

HOST = {"topologyKey": "kubernetes.io/hostname", "maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule"}
FAIL = ["no topologySpreadConstraints on kubernetes.io/hostname and no podAntiAffinity: replicas may share a node"]
CASES = [
    ("spread", "prod", None, workload(pod={"topologySpreadConstraints": [HOST]}), []),
    (
        "anti-affinity",
        "prod",
        None,
        workload(pod={"affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}}}),
        [],
    ),
    (
        "zone only",
        "prod",
        None,
        workload(pod={"topologySpreadConstraints": [{**HOST, "topologyKey": "topology.kubernetes.io/zone"}]}),
        FAIL,
    ),
    ("missing", "prod", None, workload(), FAIL),
    (
        "unknown",
        "prod",
        None,
        workload(pod={"topologySpreadConstraints": UNKNOWN}),
        [undecided("topologySpreadConstraints")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
