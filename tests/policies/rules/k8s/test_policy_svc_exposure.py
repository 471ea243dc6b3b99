"""Cases for K8S-SVC-EXPOSURE: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.k8s.svc_exposure import RULE

CASES = [
    ("pass", "prod", None, {"spec": {"type": "ClusterIP"}}, []),
    (
        "lb",
        "prod",
        None,
        {"spec": {"type": "LoadBalancer"}},
        ["spec.type is LoadBalancer; exempt it with a reason if it must be reachable"],
    ),
    (
        "nodeport",
        "prod",
        None,
        {"spec": {"type": "NodePort"}},
        ["spec.type is NodePort; exempt it with a reason if it must be reachable"],
    ),
    ("missing = ClusterIP", "prod", None, {}, []),
    ("unknown", "prod", None, {"spec": {"type": UNKNOWN}}, [undecided("spec.type")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_svc_exposure(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
