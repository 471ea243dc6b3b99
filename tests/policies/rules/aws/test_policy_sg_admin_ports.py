"""Cases for SG-ADMIN-PORTS."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sg_admin_ports import RULE

SG = "aws:ec2/securityGroup:SecurityGroup"
VPC_IN = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"

CASES = [
    (
        "https",
        "dev",
        SG,
        {"ingress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 443, "toPort": 443, "protocol": "tcp"}]},
        [],
    ),
    (
        "ssh from vpc",
        "dev",
        SG,
        {"ingress": [{"cidrBlocks": ["10.0.0.0/8"], "fromPort": 22, "toPort": 22, "protocol": "tcp"}]},
        [],
    ),
    (
        "ssh",
        "dev",
        SG,
        {"ingress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 22, "toPort": 22, "protocol": "tcp"}]},
        ["ingress[0] opens 22 (SSH) to the internet"],
    ),
    (
        "rdp range",
        "dev",
        VPC_IN,
        {"cidrIpv6": "::/0", "ipProtocol": "tcp", "fromPort": 3300, "toPort": 3400},
        ["rule opens 3306 (MySQL), 3389 (RDP) to the internet"],
    ),
    ("missing", "dev", SG, {}, []),
    ("unknown", "dev", VPC_IN, {"cidrIpv4": UNKNOWN, "fromPort": 22, "toPort": 22}, [undecided("cidrIpv4")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
