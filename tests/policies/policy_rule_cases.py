"""Running one rule the way the offline evaluator and the CrossGuard adapter do, for exact assertions."""

from __future__ import annotations

from typing import Any

from policies.judgement import judge_resource, judge_stack
from policies.rule import UNKNOWN, Rule, RuleContext, StackResource, StackView

__all__ = ["UNKNOWN", "messages", "resource", "stack_messages", "undecided", "workload"]


def messages(
    rule: Rule, props: dict[str, Any], env: str = "prod", type_: str | None = None, provider: Any = None
) -> list[str]:
    resource_type = type_ or sorted(rule.resource_types)[0]
    assert rule.applies_to(resource_type)
    context = RuleContext(env, resource_type, "urn:x", "x", provider)
    findings, _ = judge_resource(rule, props, context)
    return [f.message for f in findings]


def resource(
    type_: str, name: str, props: dict[str, Any], deps: tuple[str, ...] = (), parent: str | None = None
) -> StackResource:
    return StackResource(type_, f"urn:{name}", name, props, parent, tuple(f"urn:{d}" for d in deps))


def stack_messages(rule: Rule, resources: list[StackResource], env: str = "prod") -> list[tuple[str, str]]:
    findings, _ = judge_stack(rule, StackView(resources), RuleContext(env))
    return [(f.urn.removeprefix("urn:"), f.message) for f in findings]


def undecided(path: str) -> str:
    return (
        f"could not decide: {path} is unknown at preview, so the rule fails closed; "
        "make the value known before preview or exempt the resource with a reason"
    )


def workload(
    container: dict[str, Any] | None = None, pod: dict[str, Any] | None = None, kind: str = "Deployment"
) -> dict[str, Any]:
    """A Deployment (or Job/CronJob) whose one container "model" carries `container` keys, pod spec `pod` keys."""
    spec = {"containers": [{"name": "model", **(container or {})}], **(pod or {})}
    template = {"metadata": {"labels": {"app": "m"}}, "spec": spec}
    if kind == "CronJob":
        return {"apiVersion": "batch/v1", "kind": kind, "spec": {"jobTemplate": {"spec": {"template": template}}}}
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": "m", "namespace": "models"},
        "spec": {"template": template},
    }
