"""LB-TG-HEALTH: HTTP(S) target groups check the model's readiness, so traffic avoids a pod still loading."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import NotApplicable, Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    protocol = read(props, "protocol")
    if read(props, "targetType") == "lambda" or protocol not in ("HTTP", "HTTPS", None):
        return NotApplicable(f"{protocol or 'lambda'} target group")
    if read(props, "healthCheck") is None:
        return verdict(["healthCheck is not set: the default checks '/' with any 200 instead of the readiness path"])
    problems = []
    if read(props, "healthCheck", "enabled") is False:
        problems.append("healthCheck.enabled is false")
    if not read(props, "healthCheck", "path"):
        problems.append("healthCheck.path is not set")
    return verdict(problems)


RULE = Rule(
    id="LB-TG-HEALTH",
    description="HTTP/HTTPS target groups define an enabled health check on an explicit path.",
    severity="medium",
    remediation="Set health_check={'path': <the readiness path>, 'matcher': '200'}.",
    anchors=("CKV_AWS_261",),
    enforcement="M(p)",
    resource_types=frozenset({t.LB_TARGET_GROUP}),
    check=check,
)
