"""AAS-SM-CAPACITY: every endpoint variant autoscales within sane bounds (prod keeps two instances)."""

from __future__ import annotations

from collections.abc import Iterator

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, each, read, read_list

DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def check(view: StackView, context: RuleContext) -> Outcome:
    targets = [r for r in view.of_type(t.AAS_TARGET) if read(r.props, "scalableDimension") == DIMENSION]

    def judge_target(target: StackResource) -> Iterator[str]:
        low, high = read(target.props, "minCapacity"), read(target.props, "maxCapacity")
        if context.environment == "prod" and (not isinstance(low, int) or low < 2):
            yield f"minCapacity is {low!r}, prod needs at least 2"
        if isinstance(low, int) and isinstance(high, int) and high <= low:
            yield f"maxCapacity {high} is not above minCapacity {low}; the variant cannot scale"
        if not view.attached_to(target, t.AAS_POLICY):
            yield "no scaling policy references this target"

    def judge_endpoint(endpoint: StackResource) -> Iterator[str]:
        variants = 0
        for config in view.referenced_by(endpoint, t.SM_ENDPOINT_CONFIG):
            for index, _ in enumerate(read_list(config.props, "productionVariants")):
                if read(config.props, "productionVariants", index, "serverlessConfig") is None:
                    variants += 1
        scaling = [r for r in view.attached_to(endpoint, t.AAS_TARGET) if r in targets]
        if len(scaling) < variants:
            yield f"{variants} instance-based variant(s) but {len(scaling)} scalable target(s)"

    found = each(targets, judge_target)
    more = each(view.of_type(t.SM_ENDPOINT), judge_endpoint)
    merged = (found if isinstance(found, list) else []) + (more if isinstance(more, list) else [])
    return merged if merged else found


RULE = Rule(
    id="AAS-SM-CAPACITY",
    description="Endpoint variants have a scalable target and policy; prod minimum >= 2; max > min.",
    severity="medium",
    remediation="Set scaling.min_instances/max_instances in the spec; the stack creates target and policy.",
    anchors=("AWS Config sagemaker-endpoint-config-prod-instance-count (derived for autoscaling)",),
    enforcement="M(p)",
    stack_check=check,
    stack_types=frozenset({t.AAS_TARGET, t.SM_ENDPOINT}),
)
