"""SM-EPC-HA: a prod endpoint runs at least two instances per variant, so one AZ failure is survivable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import NotApplicable, Outcome, Rule, RuleContext, read, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if context.environment != "prod":
        return NotApplicable("high availability is only required in prod")
    problems = []
    for index, _ in enumerate(read_list(props, "productionVariants")):
        if read(props, "productionVariants", index, "serverlessConfig") is not None:
            continue  # serverless capacity is managed by AWS
        count = read(props, "productionVariants", index, "initialInstanceCount")
        name = read(props, "productionVariants", index, "variantName") or index
        if not isinstance(count, int) or count < 2:
            problems.append(f"variant {name}: initialInstanceCount is {count!r}, prod needs at least 2")
    return verdict(problems)


RULE = Rule(
    id="SM-EPC-HA",
    description="Prod endpoint variants run at least two instances.",
    severity="medium",
    remediation="Set scaling.min_instances >= 2 for prod in the deployment spec.",
    anchors=("AWS Config sagemaker-endpoint-config-prod-instance-count",),
    enforcement="M(p)",
    resource_types=frozenset({t.SM_ENDPOINT_CONFIG}),
    check=check,
)
