"""SFN-LOGGING: state machines log every execution event to CloudWatch Logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    level = read(props, "loggingConfiguration", "level")
    problems = []
    if level != "ALL":
        problems.append(f"loggingConfiguration.level is {level!r}, must be 'ALL'")
    if not read(props, "loggingConfiguration", "logDestination"):
        problems.append("loggingConfiguration.logDestination is not set (a CloudWatch log group ARN ending in :*)")
    return verdict(problems)


RULE = Rule(
    id="SFN-LOGGING",
    description="Step Functions state machines log ALL events to a CloudWatch log group.",
    severity="medium",
    remediation="Set logging_configuration level='ALL' and log_destination=f'{log_group.arn}:*'.",
    anchors=("CKV_AWS_285", "cdk-nag AwsSolutions-SF1"),
    enforcement="M",
    resource_types=frozenset({t.SFN_STATE_MACHINE}),
    check=check,
)
