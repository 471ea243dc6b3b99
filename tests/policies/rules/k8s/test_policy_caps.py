"""Cases for K8S-CAPS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.caps import RULE

CASES = [
    (
        "pass",
        "prod",
        None,
        workload({"securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}}),
        [],
    ),
    (
        "no drop",
        "prod",
        None,
        workload({"securityContext": {"capabilities": {"drop": ["NET_RAW"]}}}),
        ["containers[0] model: capabilities.drop lacks ALL"],
    ),
    (
        "adds",
        "prod",
        None,
        workload({"securityContext": {"capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}}}),
        ["containers[0] model: capabilities.add has SYS_ADMIN"],
    ),
    ("missing", "prod", None, workload(), ["containers[0] model: capabilities.drop lacks ALL"]),
    (
        "unknown",
        "prod",
        None,
        workload({"securityContext": {"capabilities": {"drop": UNKNOWN}}}),
        [undecided("securityContext.capabilities.drop")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_caps(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
