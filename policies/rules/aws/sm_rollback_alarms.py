"""SM-ROLLBACK-ALARMS: a prod endpoint's deployment rolls back on alarms (no anchor has this rule).

Blue/green guardrails without alarms shift traffic blindly: a bad model only rolls back by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import PASS, NotApplicable, Outcome, Rule, RuleContext, read, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if context.environment != "prod":
        return NotApplicable("rollback alarms are only required in prod")
    if read(props, "deploymentConfig") is None:
        return verdict(["deploymentConfig is missing; updates replace the fleet with no rollback"])
    alarms = read_list(props, "deploymentConfig", "autoRollbackConfiguration", "alarms")
    if not alarms:
        return verdict(["deploymentConfig.autoRollbackConfiguration watches no alarm"])
    return PASS


RULE = Rule(
    id="SM-ROLLBACK-ALARMS",
    description="Prod endpoints roll back automatically on CloudWatch alarms.",
    severity="high",
    remediation="Keep rollout.auto_rollback enabled in the spec; the stack wires the endpoint alarms in.",
    anchors=("AWS docs: SageMaker deployment guardrails (no rule set has it)",),
    enforcement="M(p)",
    resource_types=frozenset({t.SM_ENDPOINT}),
    check=check,
)
