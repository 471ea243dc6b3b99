"""Cases for K8S-NS-PSA: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.k8s.ns_psa import RULE

CASES = [
    ("pass", "prod", None, {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}, []),
    (
        "baseline",
        "prod",
        None,
        {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "baseline"}}},
        ["label pod-security.kubernetes.io/enforce is 'baseline', must be restricted"],
    ),
    ("missing", "prod", None, {}, ["label pod-security.kubernetes.io/enforce is None, must be restricted"]),
    ("unknown", "prod", None, {"metadata": {"labels": UNKNOWN}}, [undecided("metadata.labels")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_ns_psa(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
