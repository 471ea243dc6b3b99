"""SG-OPEN-EGRESS: security groups do not allow every port to the whole internet outbound (advisory)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.rule import Outcome, Rule, RuleContext, verdict
from policies.security_groups import SECURITY_GROUP_TYPES, permissions


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    return verdict(
        f"{p.where} allows egress to the internet on all ports"
        for p in permissions(props, context.resource_type)
        if p.direction == "egress" and p.from_world and p.all_ports
    )


RULE = Rule(
    id="SG-OPEN-EGRESS",
    description="Security groups name the ports and destinations they send to instead of all traffic to 0.0.0.0/0.",
    severity="medium",
    remediation="List the egress the workload needs (443 to VPC endpoints, the model port to the cluster).",
    anchors=("CKV_AWS_382",),
    # Advisory: unrestricted egress widens what a compromised workload can reach, but opens no path in.
    enforcement="A",
    resource_types=SECURITY_GROUP_TYPES,
    check=check,
)
