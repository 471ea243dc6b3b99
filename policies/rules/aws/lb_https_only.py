"""LB-HTTPS-ONLY: a plain-HTTP listener only redirects to HTTPS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import PASS, NotApplicable, Outcome, Rule, RuleContext, read, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    protocol = read(props, "protocol")
    if protocol != "HTTP":
        return NotApplicable(f"protocol {protocol!r}")
    actions = read_list(props, "defaultActions")
    for index, _ in enumerate(actions):
        if (
            read(props, "defaultActions", index, "type") == "redirect"
            and read(props, "defaultActions", index, "redirect", "protocol") == "HTTPS"
        ):
            return PASS
    return verdict(["HTTP listener does not redirect to HTTPS"])


RULE = Rule(
    id="LB-HTTPS-ONLY",
    description="HTTP listeners redirect to HTTPS.",
    severity="high",
    remediation="Make the port-80 listener's default action a redirect with protocol HTTPS.",
    anchors=(
        "CKV_AWS_2",
        "awsguard alb-http-to-https-redirection",
        "cdk-nag NIST.800.53.R5-ALBHttpToHttpsRedirection",
        "compliance-policies aws/lb/Listener/disallowUnencryptedTraffic",
    ),
    enforcement="M",
    resource_types=frozenset({t.LB_LISTENER}),
    check=check,
)
