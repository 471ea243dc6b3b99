"""Cases for K8S-ROLLING-UPDATE."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.rolling_update import RULE


def deployment(strategy: object) -> dict:
    props = workload()
    props["spec"]["strategy"] = strategy
    return props


CASES = [
    ("default", "prod", None, workload(), []),
    ("rolling", "prod", None, deployment({"type": "RollingUpdate"}), []),
    (
        "recreate",
        "prod",
        None,
        deployment({"type": "Recreate"}),
        ["spec.strategy.type is 'Recreate': every pod stops before the new ones start"],
    ),
    ("unknown", "prod", None, deployment({"type": UNKNOWN}), [undecided("spec.strategy.type")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
