"""Cases for K8S-ROLEBINDING."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.k8s.rolebinding import RULE

BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"


def binding(role: dict, subjects: list) -> dict:
    return {"metadata": {"name": "b", "namespace": "models"}, "roleRef": role, "subjects": subjects}


OWN_ROLE = {"kind": "Role", "name": "model-deployer"}
CASES = [
    ("pass", "prod", BINDING, binding(OWN_ROLE, [{"kind": "ServiceAccount", "name": "m", "namespace": "models"}]), []),
    (
        "cluster-admin",
        "prod",
        BINDING,
        binding({"kind": "ClusterRole", "name": "cluster-admin"}, []),
        ["roleRef is the built-in ClusterRole cluster-admin"],
    ),
    (
        "everyone",
        "prod",
        BINDING,
        binding(OWN_ROLE, [{"kind": "Group", "name": "system:authenticated"}]),
        ["subjects[0] is system:authenticated, i.e. everyone of that kind"],
    ),
    (
        "foreign sa",
        "prod",
        BINDING,
        binding(OWN_ROLE, [{"kind": "ServiceAccount", "name": "ci", "namespace": "tools"}]),
        ["subjects[0] is service account tools/ci of another namespace"],
    ),
    ("missing", "prod", BINDING, {}, []),
    ("unknown", "prod", BINDING, binding({"kind": "ClusterRole", "name": UNKNOWN}, []), [undecided("roleRef.name")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
