"""Cases for SG-OPEN-EGRESS (advisory)."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sg_open_egress import RULE

SG = "aws:ec2/securityGroup:SecurityGroup"
VPC_OUT = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"

CASES = [
    (
        "named port",
        "prod",
        SG,
        {"egress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 443, "toPort": 443, "protocol": "tcp"}]},
        [],
    ),
    (
        "all to world",
        "prod",
        SG,
        {"egress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 0, "toPort": 0, "protocol": "-1"}]},
        ["egress[0] allows egress to the internet on all ports"],
    ),
    (
        "vpc rule",
        "prod",
        VPC_OUT,
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1"},
        ["rule allows egress to the internet on all ports"],
    ),
    ("missing", "prod", SG, {}, []),
    ("unknown", "prod", VPC_OUT, {"cidrIpv4": UNKNOWN, "ipProtocol": "-1"}, [undecided("cidrIpv4")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
