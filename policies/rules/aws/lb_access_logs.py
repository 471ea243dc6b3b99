"""LB-ACCESS-LOGS: load balancers write access logs (who called the model, when)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    enabled = read(props, "accessLogs", "enabled")
    ok = enabled is True and bool(read(props, "accessLogs", "bucket"))
    return verdict([] if ok else ["accessLogs is not enabled with a bucket"])


RULE = Rule(
    id="LB-ACCESS-LOGS",
    description="Load balancers have access logging enabled.",
    severity="medium",
    remediation="Set access_logs={'enabled': True, 'bucket': <log bucket>}.",
    anchors=(
        "cdk-nag AwsSolutions-ELB2",
        "CKV_AWS_91",
        "awsguard elb-logging-enabled",
        "compliance-policies aws/lb/LoadBalancer/enableAccessLogging",
    ),
    enforcement="M(p)",
    resource_types=frozenset({t.LB_LOAD_BALANCER}),
    check=check,
)
