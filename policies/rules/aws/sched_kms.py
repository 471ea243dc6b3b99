"""SCHED-KMS: EventBridge Scheduler schedules encrypt their target input with a customer-managed key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    key = read(props, "kmsKeyArn")
    if not isinstance(key, str) or not key.strip():
        return verdict(["kmsKeyArn is not set: the schedule's target input is encrypted with an AWS-owned key"])
    if ":alias/aws/" in key:
        return verdict([f"kmsKeyArn {key} is an AWS-managed alias, not a customer-managed key"])
    return verdict([])


RULE = Rule(
    id="SCHED-KMS",
    description="EventBridge Scheduler schedules use a customer-managed KMS key.",
    severity="medium",
    remediation="Set kms_key_arn to the model's customer-managed key.",
    anchors=("CKV_AWS_297",),
    enforcement="M",
    resource_types=frozenset({t.SCHEDULER_SCHEDULE}),
    check=check,
)
