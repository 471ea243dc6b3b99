"""Cases for EKS-LOGS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.eks_logs import RULE

CASES = [
    (
        "pass",
        "prod",
        None,
        {"enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"]},
        [],
    ),
    (
        "partial",
        "prod",
        None,
        {"enabledClusterLogTypes": ["api", "audit"]},
        ["enabledClusterLogTypes lacks authenticator, controllerManager, scheduler"],
    ),
    (
        "missing",
        "prod",
        None,
        {},
        ["enabledClusterLogTypes lacks api, audit, authenticator, controllerManager, scheduler"],
    ),
    ("unknown", "prod", None, {"enabledClusterLogTypes": UNKNOWN}, [undecided("enabledClusterLogTypes")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_eks_logs(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
