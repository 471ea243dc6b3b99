"""SFN-TRACING: state machines send X-Ray traces, so a slow drift run can be followed across its jobs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    enabled = read(props, "tracingConfiguration", "enabled")
    return verdict([] if enabled is True else [f"tracingConfiguration.enabled is {enabled!r}, must be true"])


RULE = Rule(
    id="SFN-TRACING",
    description="Step Functions state machines have X-Ray tracing enabled.",
    severity="low",
    remediation="Set tracing_configuration={'enabled': True} (the state machine's role needs xray:PutTraceSegments).",
    anchors=("CKV_AWS_284", "cdk-nag AwsSolutions-SF2"),
    enforcement="M",
    resource_types=frozenset({t.SFN_STATE_MACHINE}),
    check=check,
)
