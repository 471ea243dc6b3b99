"""LB-ALB-HARDEN: application load balancers drop invalid HTTP headers (request smuggling)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import NotApplicable, Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    kind = read(props, "loadBalancerType") or "application"
    if kind != "application":
        return NotApplicable(f"{kind} load balancer")
    value = read(props, "dropInvalidHeaderFields")
    return verdict([] if value is True else [f"dropInvalidHeaderFields is {value!r}, must be true"])


RULE = Rule(
    id="LB-ALB-HARDEN",
    description="Application load balancers drop invalid header fields.",
    severity="medium",
    remediation="Set drop_invalid_header_fields=True.",
    anchors=("CKV_AWS_131",),
    enforcement="M",
    resource_types=frozenset({t.LB_LOAD_BALANCER}),
    check=check,
)
