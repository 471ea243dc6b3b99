"""SNS-SUBSCRIPTION-DLQ: a subscription keeps undeliverable alerts in a dead-letter queue (advisory)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    policy = read(props, "redrivePolicy")
    if isinstance(policy, str) and "deadLetterTargetArn" in policy:
        return verdict([])
    return verdict(["redrivePolicy has no deadLetterTargetArn: an alert that cannot be delivered is lost"])


RULE = Rule(
    id="SNS-SUBSCRIPTION-DLQ",
    description="SNS subscriptions have a redrive policy with a dead-letter queue.",
    severity="low",
    remediation=(
        "Set redrive_policy=json.dumps({'deadLetterTargetArn': queue.arn}) "
        "(an SQS queue encrypted with the model's key)."
    ),
    anchors=("cdk-nag Serverless-SNSRedrivePolicy",),
    # Advisory: the alert paths are doubled (email and SMS), so one failed delivery is not the only copy.
    enforcement="A",
    resource_types=frozenset({t.SNS_SUBSCRIPTION}),
    check=check,
)
