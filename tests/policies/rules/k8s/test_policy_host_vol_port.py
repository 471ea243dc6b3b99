"""Cases for K8S-HOST-VOL-PORT: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.host_vol_port import RULE

CASES = [
    (
        "pass",
        "prod",
        None,
        workload({"ports": [{"containerPort": 8080}]}, {"volumes": [{"name": "tmp", "emptyDir": {}}]}),
        [],
    ),
    (
        "host path",
        "prod",
        None,
        workload(pod={"volumes": [{"name": "h", "hostPath": {"path": "/"}}]}),
        ["volumes[0] h is a hostPath volume"],
    ),
    (
        "host port",
        "prod",
        None,
        workload({"ports": [{"containerPort": 8080, "hostPort": 80}]}),
        ["containers[0] model: ports[0].hostPort is set"],
    ),
    ("missing", "prod", None, workload(), []),
    ("unknown", "prod", None, workload(pod={"volumes": UNKNOWN}), [undecided("volumes")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_host_vol_port(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
