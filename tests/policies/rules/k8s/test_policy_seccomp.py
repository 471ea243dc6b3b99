"""Cases for K8S-SECCOMP: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.seccomp import RULE

CASES = [
    ("pass", "prod", None, workload(pod={"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}), []),
    (
        "unconfined",
        "prod",
        None,
        workload({"securityContext": {"seccompProfile": {"type": "Unconfined"}}}),
        ["containers[0] model: seccompProfile.type is 'Unconfined', must be RuntimeDefault or Localhost"],
    ),
    (
        "missing",
        "prod",
        None,
        workload(),
        ["containers[0] model: seccompProfile.type is None, must be RuntimeDefault or Localhost"],
    ),
    (
        "unknown",
        "prod",
        None,
        workload({"securityContext": {"seccompProfile": {"type": UNKNOWN}}}),
        [undecided("type")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_seccomp(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
