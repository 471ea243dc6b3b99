"""Cases for EKS-PRIVATE-API: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.eks_private_api import RULE

CASES = [
    ("private", "prod", None, {"vpcConfig": {"endpointPublicAccess": False}}, []),
    (
        "restricted",
        "prod",
        None,
        {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["10.0.0.0/8"]}},
        [],
    ),
    (
        "open",
        "prod",
        None,
        {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}},
        ["the public API endpoint is open to 0.0.0.0/0"],
    ),
    ("missing = AWS default open", "prod", None, {}, ["the public API endpoint is open to 0.0.0.0/0"]),
    (
        "unknown",
        "prod",
        None,
        {"vpcConfig": {"endpointPublicAccess": UNKNOWN}},
        [undecided("vpcConfig.endpointPublicAccess")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_eks_private_api(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
