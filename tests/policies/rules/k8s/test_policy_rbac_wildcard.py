"""Cases for K8S-RBAC-WILDCARD: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.k8s.rbac_wildcard import RULE

CASES = [
    ("pass", "prod", None, {"rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]}, []),
    (
        "second rule",
        "prod",
        None,
        {
            "rules": [
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]},
                {"apiGroups": ["*"], "resources": ["pods"], "verbs": ["*"]},
            ]
        },
        ["rules[1].apiGroups contains *", "rules[1].verbs contains *"],
    ),
    ("missing", "prod", None, {}, []),
    (
        "unknown",
        "prod",
        None,
        {"rules": [{"apiGroups": [""], "resources": UNKNOWN, "verbs": ["get"]}]},
        [undecided("rules.0.resources")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rbac_wildcard(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
