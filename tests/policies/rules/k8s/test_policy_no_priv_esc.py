"""Cases for K8S-NO-PRIV-ESC: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.no_priv_esc import RULE

CASES = [
    ("pass", "prod", None, workload({"securityContext": {"allowPrivilegeEscalation": False}}), []),
    (
        "true",
        "prod",
        None,
        workload({"securityContext": {"allowPrivilegeEscalation": True}}),
        ["containers[0] model: securityContext.allowPrivilegeEscalation is True, must be false"],
    ),
    (
        "missing",
        "prod",
        None,
        workload(),
        ["containers[0] model: securityContext.allowPrivilegeEscalation is None, must be false"],
    ),
    (
        "unknown",
        "prod",
        None,
        workload({"securityContext": {"allowPrivilegeEscalation": UNKNOWN}}),
        [undecided("securityContext.allowPrivilegeEscalation")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_no_priv_esc(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
