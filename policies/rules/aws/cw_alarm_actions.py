"""CW-ALARM-ACTIONS: an alarm notifies someone; a silent alarm protects nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    if read(props, "actionsEnabled") is False:
        problems.append("actionsEnabled is false")
    if not read_list(props, "alarmActions") and not read_list(props, "okActions"):
        problems.append("no alarmActions or okActions")
    return verdict(problems)


RULE = Rule(
    id="CW-ALARM-ACTIONS",
    description="CloudWatch alarms have actions enabled and at least one action.",
    severity="medium",
    remediation="Point alarm_actions at the stack's alerts topic ARN.",
    anchors=(
        "cdk-nag NIST.800.53.R5-CloudWatchAlarmAction",
        "CKV_AWS_319",
    ),
    enforcement="M(p)",
    resource_types=frozenset({t.CW_METRIC_ALARM}),
    check=check,
)
