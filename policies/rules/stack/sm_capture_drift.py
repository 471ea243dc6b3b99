"""SM-CAPTURE-DRIFT: data capture stays on while a drift job reads it.

A drift job (a Step Functions state machine or a Scheduler schedule) belongs to a component that
depends on the endpoint or its configuration. The rule walks each job's parent chain, collects
every dependency on the way, and so finds the endpoint configurations whose capture it reads,
by dependencies and parents only (ids and names are unknown at preview). Removing capture from
such a configuration would leave the drift alarm silent: the job finds no data and says nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, each, read

JOB_TYPES = (t.SFN_STATE_MACHINE, t.SCHEDULER_SCHEDULE)


def _lineage_dependencies(view: StackView, resource: StackResource) -> set[str]:
    found: set[str] = set()
    seen: set[str] = set()
    current: StackResource | None = resource
    while current is not None and current.urn not in seen:
        seen.add(current.urn)
        found.update(current.dependencies)
        current = view.by_urn.get(current.parent) if current.parent else None
    return found


def _readers(view: StackView) -> dict[str, list[StackResource]]:
    """endpoint-config urn -> the drift jobs depending on it or on an endpoint that uses it."""
    endpoint_configs: dict[str, set[str]] = {}
    for endpoint in view.of_type(t.SM_ENDPOINT):
        endpoint_configs[endpoint.urn] = {c.urn for c in view.referenced_by(endpoint, t.SM_ENDPOINT_CONFIG)}
    readers: dict[str, list[StackResource]] = {}
    for job in view.of_type(*JOB_TYPES):
        depends = _lineage_dependencies(view, job)
        configs = {u for u in depends if u in view.by_urn and view.by_urn[u].type == t.SM_ENDPOINT_CONFIG}
        for endpoint_urn in depends & endpoint_configs.keys():
            configs |= endpoint_configs[endpoint_urn]
        for config in configs:
            readers.setdefault(config, []).append(job)
    return readers


def check(view: StackView, context: RuleContext) -> Outcome:
    readers = _readers(view)

    def judge(config: StackResource) -> Iterator[str]:
        jobs = readers.get(config.urn, [])
        if not jobs:
            return
        capture = read(config.props, "dataCaptureConfig")
        enabled = read(config.props, "dataCaptureConfig", "enableCapture")
        if capture is None or enabled is False:
            names = ", ".join(sorted(job.name for job in jobs))
            yield f"data capture is off, but drift job {names} reads this endpoint's capture and would go silent"

    return each(view.of_type(t.SM_ENDPOINT_CONFIG), judge)


RULE = Rule(
    id="SM-CAPTURE-DRIFT",
    description="An endpoint configuration keeps data capture on while a drift job reads its capture.",
    severity="high",
    remediation="Keep monitoring.capture enabled, or remove the model's drift job in the same change.",
    anchors=("Slipstack (no anchor)",),
    enforcement="M(p)",
    stack_check=check,
    stack_types=frozenset({t.SM_ENDPOINT_CONFIG}),
)
