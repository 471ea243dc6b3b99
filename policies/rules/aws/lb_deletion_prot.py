"""LB-DELETION-PROT: a load balancer in front of a serving endpoint is protected from deletion."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    value = read(props, "enableDeletionProtection")
    return verdict([] if value is True else [f"enableDeletionProtection is {value!r}, must be true"])


RULE = Rule(
    id="LB-DELETION-PROT",
    description="Load balancers have deletion protection.",
    severity="low",
    remediation="Set enable_deletion_protection=True.",
    anchors=(
        "CKV_AWS_150",
        "awsguard elb-deletion-protection-enabled",
        "cdk-nag NIST.800.53.R5-ELBDeletionProtectionEnabled",
    ),
    enforcement="M(p)",
    resource_types=frozenset({t.LB_LOAD_BALANCER}),
    check=check,
)
