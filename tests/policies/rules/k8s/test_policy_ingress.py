"""Cases for K8S-INGRESS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.k8s.ingress import RULE

CASES = [
    (
        "pass",
        "prod",
        None,
        {"spec": {"rules": [{"host": "m.example.com"}], "tls": [{"hosts": ["m.example.com"], "secretName": "t"}]}},
        [],
    ),
    (
        "uncovered host",
        "prod",
        None,
        {
            "spec": {
                "rules": [{"host": "a.example.com"}, {"host": "b.example.com"}],
                "tls": [{"hosts": ["a.example.com"]}],
            }
        },
        ["host b.example.com is not covered by spec.tls"],
    ),
    (
        "snippet",
        "prod",
        None,
        {"metadata": {"annotations": {"nginx.ingress.kubernetes.io/configuration-snippet": "x"}}, "spec": {}},
        ["annotation nginx.ingress.kubernetes.io/configuration-snippet allows arbitrary nginx configuration"],
    ),
    (
        "missing tls",
        "prod",
        None,
        {"spec": {"rules": [{"host": "a.example.com"}]}},
        ["host a.example.com is not covered by spec.tls"],
    ),
    ("unknown", "prod", None, {"spec": {"rules": [{"host": UNKNOWN}]}}, [undecided("spec.rules.0.host")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_ingress(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
