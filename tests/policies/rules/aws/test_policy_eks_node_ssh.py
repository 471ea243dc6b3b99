"""Cases for EKS-NODE-SSH."""


import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.eks_node_ssh import RULE

CASES = [
    ("no remote access", "prod", None, {}, []),
    ("restricted", "prod", None, {"remoteAccess": {"ec2SshKey": "k", "sourceSecurityGroupIds": ["sg-1"]}}, []),
    (
        "open",
        "prod",
        None,
        {"remoteAccess": {"ec2SshKey": "k"}},
        ["remoteAccess.ec2SshKey is set without sourceSecurityGroupIds: SSH is open to 0.0.0.0/0"],
    ),
    (
        "unknown",
        "prod",
        None,
        {"remoteAccess": {"ec2SshKey": "k", "sourceSecurityGroupIds": UNKNOWN}},
        [undecided("remoteAccess.sourceSecurityGroupIds")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
