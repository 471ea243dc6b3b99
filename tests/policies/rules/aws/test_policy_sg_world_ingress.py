"""Cases for SG-WORLD-INGRESS: pass, each way to fail, a missing property, an unknown value, every rule shape."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sg_world_ingress import RULE

SG = "aws:ec2/securityGroup:SecurityGroup"
LEGACY = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_IN = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
HTTPS = {"cidrBlocks": ["0.0.0.0/0"], "fromPort": 443, "toPort": 443, "protocol": "tcp"}
HTTP = {"cidrBlocks": ["0.0.0.0/0"], "fromPort": 80, "toPort": 80, "protocol": "tcp"}

CASES = [
    ("https only", "prod", SG, {"ingress": [HTTPS]}, []),
    ("private cidr", "prod", SG, {"ingress": [{**HTTP, "cidrBlocks": ["10.0.0.0/16"]}]}, []),
    (
        "port 80",
        "prod",
        SG,
        {"ingress": [HTTPS, HTTP]},
        ["ingress[1] admits 0.0.0.0/0 on port 80 (plain HTTP from the internet)"],
    ),
    (
        "all traffic ipv6",
        "prod",
        SG,
        {"ingress": [{"ipv6CidrBlocks": ["::/0"], "fromPort": 0, "toPort": 0, "protocol": "-1"}]},
        ["ingress[0] admits ::/0 on all ports"],
    ),
    (
        "range",
        "prod",
        SG,
        {"ingress": [{**HTTPS, "fromPort": 8000, "toPort": 9000}]},
        ["ingress[0] admits 0.0.0.0/0 on ports 8000-9000"],
    ),
    ("udp 443", "prod", SG, {"ingress": [{**HTTPS, "protocol": "udp"}]}, ["ingress[0] admits 0.0.0.0/0 on port 443"]),
    ("egress ignored", "prod", SG, {"egress": [{**HTTP, "protocol": "-1"}]}, []),
    (
        "legacy rule",
        "prod",
        LEGACY,
        {"type": "ingress", **HTTP},
        ["rule admits 0.0.0.0/0 on port 80 (plain HTTP from the internet)"],
    ),
    ("vpc rule", "prod", VPC_IN, {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1"}, ["rule admits 0.0.0.0/0 on all ports"]),
    (
        "port of odd shape widens",
        "prod",
        VPC_IN,
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": [443], "toPort": 443},
        ["rule admits 0.0.0.0/0 on ports 0-443 (plain HTTP from the internet)"],
    ),
    ("missing", "prod", SG, {}, []),
    ("unknown cidr", "prod", SG, {"ingress": [{**HTTP, "cidrBlocks": UNKNOWN}]}, [undecided("ingress.0.cidrBlocks")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected


def test_advisory_outside_prod_mandatory_in_prod() -> None:
    assert (RULE.default_level("staging"), RULE.default_level("prod")) == ("advisory", "mandatory")
