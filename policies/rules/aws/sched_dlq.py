"""SCHED-DLQ: a schedule or event target that fails to deliver keeps the event (DLQ) and says how it retries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    schedule = context.resource_type == t.SCHEDULER_SCHEDULE
    base = ("target",) if schedule else ()
    where = "target." if schedule else ""
    problems = []
    if not read(props, *base, "deadLetterConfig", "arn"):
        problems.append(f"{where}deadLetterConfig.arn is not set: a failed invocation is dropped without trace")
    # A schedule's defaults retry for a day (185 times): a drift job must say how often it may rerun.
    if schedule and read(props, *base, "retryPolicy") is None:
        problems.append(f"{where}retryPolicy is not set: state how often a failed invocation is retried")
    return verdict(problems)


RULE = Rule(
    id="SCHED-DLQ",
    description=("EventBridge targets have a dead-letter queue; Scheduler schedules also an explicit retry policy."),
    severity="medium",
    remediation="Give the target dead_letter_config={'arn': queue.arn} and retry_policy (maximum attempts, event age).",
    anchors=("cdk-nag Serverless-EventBusDLQ",),
    enforcement="A",  # advisory until the drift schedules get their DLQ (batch schedules have one)
    resource_types=frozenset({t.SCHEDULER_SCHEDULE, t.CW_EVENT_TARGET}),
    check=check,
)
