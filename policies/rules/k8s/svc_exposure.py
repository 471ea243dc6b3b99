"""K8S-SVC-EXPOSURE: services stay inside the cluster; exposure goes through an Ingress with TLS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    kind = read(props, "spec", "type") or "ClusterIP"
    return verdict(
        [f"spec.type is {kind}; exempt it with a reason if it must be reachable"]
        if kind in ("LoadBalancer", "NodePort")
        else []
    )


RULE = Rule(
    id="K8S-SVC-EXPOSURE",
    description="Services are not of type LoadBalancer or NodePort unless exempted.",
    severity="high",
    remediation="Use ClusterIP behind an Ingress, or annotate exempt.slipstack.dev/k8s-svc-exposure with a reason.",
    anchors=("compliance-policies kubernetes/core/v1/Service/disallowLoadBalancer",),
    enforcement="M",
    resource_types=frozenset({t.K8S_SERVICE}),
    check=check,
)
