"""CW-LOGGROUP: log groups expire their data (inference logs may hold personal data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    days = read(props, "retentionInDays")
    return verdict(
        [] if isinstance(days, int) and days > 0 else [f"retentionInDays is {days!r}; logs are kept forever"]
    )


RULE = Rule(
    id="CW-LOGGROUP",
    description="CloudWatch log groups set a retention period.",
    severity="medium",
    remediation="Set retention_in_days (the spec's observability.log_retention_days).",
    anchors=("CKV_AWS_66",),
    enforcement="M",
    resource_types=frozenset({t.CW_LOG_GROUP}),
    check=check,
)
