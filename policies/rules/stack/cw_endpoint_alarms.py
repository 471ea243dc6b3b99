"""CW-ENDPOINT-ALARMS: a prod endpoint has alarms on server errors and latency (no anchor has it)."""

from __future__ import annotations

from collections.abc import Iterator

from contracts import type_tokens as t
from policies.rule import NotApplicable, Outcome, Rule, RuleContext, StackResource, StackView, each, read

REQUIRED_METRICS = ("Invocation5XXErrors", "ModelLatency")


def check(view: StackView, context: RuleContext) -> Outcome:
    if context.environment != "prod":
        return NotApplicable("endpoint alarms are only required in prod")

    def judge(endpoint: StackResource) -> Iterator[str]:
        name = read(endpoint.props, "name")
        watched = set()
        for alarm in view.of_type(t.CW_METRIC_ALARM):
            # The alarm's EndpointName dimension comes from the endpoint's name output: a dependency.
            linked = endpoint.urn in alarm.dependencies or (
                name is not None and read(alarm.props, "dimensions", "EndpointName") == name
            )
            if linked:
                watched.add(read(alarm.props, "metricName"))
        missing = [m for m in REQUIRED_METRICS if m not in watched]
        if missing:
            yield f"no CloudWatch alarm on {', '.join(missing)} for this endpoint"

    return each(view.of_type(t.SM_ENDPOINT), judge)


RULE = Rule(
    id="CW-ENDPOINT-ALARMS",
    description="Prod endpoints have alarms on Invocation5XXErrors and ModelLatency.",
    severity="high",
    remediation="Keep the endpoint alarms the AWS stack creates (observability.alarms in the spec).",
    anchors=("Slipstack (no anchor): endpoint alarms",),
    enforcement="M(p)",
    stack_check=check,
    stack_types=frozenset({t.SM_ENDPOINT}),
)
