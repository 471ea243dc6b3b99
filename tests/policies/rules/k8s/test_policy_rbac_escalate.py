"""Cases for K8S-RBAC-ESCALATE: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.k8s.rbac_escalate import RULE

CASES = [
    (
        "pass",
        "prod",
        None,
        {"rules": [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["model-creds"], "verbs": ["get"]}]},
        [],
    ),
    (
        "escalate",
        "prod",
        None,
        {
            "rules": [
                {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["bind", "escalate"]}
            ]
        },
        ["rules[0] grants bind", "rules[0] grants escalate"],
    ),
    (
        "exec",
        "prod",
        None,
        {"rules": [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]},
        ["rules[0] grants create on pods/exec"],
    ),
    (
        "all secrets",
        "prod",
        None,
        {"rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]},
        ["rules[0] reads secrets without resourceNames"],
    ),
    ("missing", "prod", None, {}, []),
    ("unknown", "prod", None, {"rules": [{"resources": ["secrets"], "verbs": UNKNOWN}]}, [undecided("rules.0.verbs")]),
]


CASES += [
    (
        "services/status",
        "prod",
        None,
        {"rules": [{"apiGroups": [""], "resources": ["services/status"], "verbs": ["patch", "get"]}]},
        ["rules[0] grants patch on services/status"],
    ),
    (
        "read services/status",
        "prod",
        None,
        {"rules": [{"apiGroups": [""], "resources": ["services/status"], "verbs": ["get"]}]},
        [],
    ),
    (
        "write rolebindings",
        "prod",
        None,
        {"rules": [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["create"]}]},
        ["rules[0] grants create on rolebindings"],
    ),
    ("verbs of odd shape", "prod", None, {"rules": [{"resources": ["pods"], "verbs": [["get"], {"a": 1}]}]}, []),
]

@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rbac_escalate(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
