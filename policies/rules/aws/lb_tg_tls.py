"""LB-TG-TLS: the load balancer reaches its targets over TLS, so requests are not plain HTTP inside the VPC."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import NotApplicable, Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if read(props, "targetType") == "lambda":
        return NotApplicable("lambda targets have no protocol")
    protocol = read(props, "protocol")
    if protocol in ("HTTPS", "TLS"):
        return verdict([])
    if protocol in ("TCP", "UDP", "TCP_UDP", "GENEVE"):
        return NotApplicable(f"{protocol} target group (layer 4)")
    port = read(props, "port")
    return verdict([f"protocol is {protocol!r}: requests (with their payloads) travel to port {port} unencrypted"])


RULE = Rule(
    id="LB-TG-TLS",
    description="HTTP target groups use HTTPS to their targets.",
    severity="high",
    remediation="Set protocol='HTTPS' and serve TLS on the model port (e.g. a cert-manager certificate in the pod).",
    anchors=("CKV_AWS_378",),
    enforcement="M(p)",
    resource_types=frozenset({t.LB_TARGET_GROUP}),
    check=check,
)
