"""Cases for EKS-VERSION."""


import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.eks_version import RULE

CASES = [
    ("supported", "prod", None, {"version": "1.33"}, []),
    (
        "old",
        "prod",
        None,
        {"version": "1.27"},
        ["version 1.27 is older than 1.31, the oldest EKS minor in standard support"],
    ),
    (
        "not a version",
        "prod",
        None,
        {"version": "latest"},
        ["version is 'latest': pin a Kubernetes minor such as '1.33' (unset takes whatever EKS defaults to)"],
    ),
    (
        "missing",
        "prod",
        None,
        {},
        ["version is None: pin a Kubernetes minor such as '1.33' (unset takes whatever EKS defaults to)"],
    ),
    ("unknown", "prod", None, {"version": UNKNOWN}, [undecided("version")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
