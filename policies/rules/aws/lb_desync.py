"""LB-DESYNC: load balancers keep HTTP desync mitigation at defensive or strictest (request smuggling)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import NotApplicable, Outcome, Rule, RuleContext, read, verdict

SAFE_MODES = frozenset({"defensive", "strictest"})


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    kind = read(props, "loadBalancerType") or "application"
    if kind != "application":
        return NotApplicable(f"{kind} load balancers do not parse HTTP")
    mode = read(props, "desyncMitigationMode")
    # Unset means AWS's default, "defensive": the secure default needs no restating.
    if mode is None or (isinstance(mode, str) and mode in SAFE_MODES):
        return verdict([])
    return verdict([f"desyncMitigationMode is {mode!r}, must be 'defensive' or 'strictest'"])


RULE = Rule(
    id="LB-DESYNC",
    description="Application load balancers use defensive or strictest desync mitigation.",
    severity="medium",
    remediation="Remove desync_mitigation_mode or set it to 'defensive' or 'strictest'.",
    anchors=("CKV_AWS_328",),
    enforcement="M",
    resource_types=frozenset({t.LB_LOAD_BALANCER}),
    check=check,
)
