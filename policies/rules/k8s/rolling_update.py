"""K8S-ROLLING-UPDATE: deployments roll, so a new model version never takes every replica down at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    kind = read(props, "spec", "strategy", "type")
    # Unset means Kubernetes's default, RollingUpdate.
    if kind is None or kind == "RollingUpdate":
        return verdict([])
    return verdict([f"spec.strategy.type is {kind!r}: every pod stops before the new ones start"])


RULE = Rule(
    id="K8S-ROLLING-UPDATE",
    description="Deployments use the RollingUpdate strategy.",
    severity="medium",
    remediation="Set spec.strategy.type RollingUpdate with maxUnavailable 0 and maxSurge 1.",
    anchors=("kube-score deployment-strategy",),
    enforcement="M(p)",
    resource_types=frozenset({t.K8S_DEPLOYMENT}),
    check=check,
)
