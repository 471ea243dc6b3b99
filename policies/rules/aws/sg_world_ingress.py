"""SG-WORLD-INGRESS: no security group admits the internet except HTTPS on 443 (an internet-facing ALB)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.rule import Outcome, Rule, RuleContext, verdict
from policies.security_groups import SECURITY_GROUP_TYPES, permissions

HTTPS_PORT = 443


def _message(p: Any) -> str:
    what = f"{p.where} admits {'/'.join(c for c in p.cidrs if c in ('0.0.0.0/0', '::/0'))} on {p.ports_text()}"
    if p.covers(80) and not p.all_ports:
        # Port 80 open to the world is the path plain HTTP takes, even when a listener redirects it.
        return what + " (plain HTTP from the internet)"
    return what


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for p in permissions(props, context.resource_type):
        if p.direction != "ingress" or not p.from_world:
            continue
        # The one world-open permission a model endpoint needs: TLS to an internet-facing load balancer.
        if p.protocol == "tcp" and p.from_port == p.to_port == HTTPS_PORT:
            continue
        problems.append(_message(p))
    return verdict(problems)


RULE = Rule(
    id="SG-WORLD-INGRESS",
    description="Security groups admit 0.0.0.0/0 or ::/0 only on TCP 443.",
    severity="high",
    remediation="Remove the world-open permission, or narrow it to HTTPS (tcp 443) on the load balancer's group.",
    anchors=(
        "CKV_AWS_277",
        "CKV_AWS_260",
        "cdk-nag AwsSolutions-EC23",
        "compliance-policies aws/ec2/SecurityGroup/disallowPublicInternetIngress",
        "compliance-policies aws/ec2/SecurityGroup/disallowInboundHttpTraffic",
    ),
    enforcement="M(p)",
    resource_types=SECURITY_GROUP_TYPES,
    check=check,
)
