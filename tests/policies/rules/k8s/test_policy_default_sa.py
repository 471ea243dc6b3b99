"""Cases for K8S-DEFAULT-SA: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.default_sa import RULE

CASES = [
    ("pass", "prod", None, workload(pod={"serviceAccountName": "model"}), []),
    (
        "default",
        "prod",
        None,
        workload(pod={"serviceAccountName": "default"}),
        ["serviceAccountName is 'default'; use a dedicated one"],
    ),
    ("missing", "prod", None, workload(), ["serviceAccountName is None; use a dedicated one"]),
    (
        "unknown",
        "prod",
        None,
        workload(pod={"serviceAccountName": UNKNOWN}),
        [undecided("spec.template.spec.serviceAccountName")],
    ),
]


SA = "kubernetes:core/v1:ServiceAccount"
BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
CASES += [
    ("own account n/a", "prod", SA, {"metadata": {"name": "model"}}, []),
    ("default without token", "prod", SA, {"metadata": {"name": "default"}, "automountServiceAccountToken": False}, []),
    (
        "default mounts token",
        "prod",
        SA,
        {"metadata": {"name": "default"}},
        ["automountServiceAccountToken is None on the default account"],
    ),
    (
        "binding to default",
        "prod",
        BINDING,
        {"subjects": [{"kind": "Group", "name": "g"}, {"kind": "ServiceAccount", "name": "default"}]},
        ["subjects[1] is the default service account"],
    ),
    ("binding unknown", "prod", BINDING, {"subjects": UNKNOWN}, [undecided("subjects")]),
]

@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_default_sa(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
