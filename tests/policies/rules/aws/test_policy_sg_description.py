"""Cases for SG-DESCRIPTION."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sg_description import RULE

SG = "aws:ec2/securityGroup:SecurityGroup"
VPC_IN = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
RULE_443 = {"cidrBlocks": ["0.0.0.0/0"], "fromPort": 443, "toPort": 443, "protocol": "tcp"}

CASES = [
    ("pass", "prod", SG, {"description": "ALB", "ingress": [{**RULE_443, "description": "HTTPS from clients"}]}, []),
    (
        "group default text",
        "prod",
        SG,
        {"description": "Managed by Pulumi"},
        ["the security group has no description of its purpose"],
    ),
    (
        "rule without",
        "prod",
        SG,
        {"description": "ALB", "ingress": [RULE_443]},
        ["ingress[0] (ingress port 443) has no description"],
    ),
    (
        "standalone rule",
        "prod",
        VPC_IN,
        {"ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080, "description": "  "},
        ["rule (ingress port 8080) has no description"],
    ),
    ("missing", "prod", SG, {}, ["the security group has no description of its purpose"]),
    ("unknown", "prod", SG, {"description": UNKNOWN}, [undecided("description")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
