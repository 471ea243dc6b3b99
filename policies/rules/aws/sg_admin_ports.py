"""SG-ADMIN-PORTS: no security group opens SSH, RDP or a database/admin port to the internet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.rule import Outcome, Rule, RuleContext, verdict
from policies.security_groups import SECURITY_GROUP_TYPES, permissions

# Checkov's 22/3389 plus cdk-nag EC2RestrictedCommonPorts (20, 21, 3389, 3306, 4333) and the
# other administration/database ports a model-serving VPC could carry.
ADMIN_PORTS = {
    20: "FTP data",
    21: "FTP",
    22: "SSH",
    23: "Telnet",
    3306: "MySQL",
    3389: "RDP",
    4333: "mSQL",
    5432: "PostgreSQL",
    6443: "Kubernetes API",
    10250: "kubelet",
}


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for p in permissions(props, context.resource_type):
        if p.direction != "ingress" or not p.from_world:
            continue
        hit = [f"{port} ({name})" for port, name in ADMIN_PORTS.items() if p.covers(port)]
        if hit:
            problems.append(f"{p.where} opens {', '.join(hit)} to the internet")
    return verdict(problems)


RULE = Rule(
    id="SG-ADMIN-PORTS",
    description="No security group opens SSH, RDP or an administration/database port to 0.0.0.0/0 or ::/0.",
    severity="critical",
    remediation="Reach instances through SSM Session Manager; admit admin ports only from a named security group.",
    anchors=(
        "CKV_AWS_24",
        "CKV_AWS_25",
        "cdk-nag NIST.800.53.R5-EC2RestrictedSSH",
        "cdk-nag NIST.800.53.R5-EC2RestrictedCommonPorts",
    ),
    enforcement="M",
    resource_types=SECURITY_GROUP_TYPES,
    check=check,
)
