"""Running one rule the way the offline evaluator and the CrossGuard adapter do, for exact assertions."""

from __future__ import annotations

from typing import Any

from policies.judgement import judge_resource, judge_stack
from policies.rule import UNKNOWN, Rule, RuleContext, StackResource, StackView

__all__ = ["UNKNOWN", "messages", "resource", "stack_messages", "undecided"]


def messages(rule: Rule, props: dict[str, Any], env: str = "prod", type_: str | None = None, provider: Any = None) -> list[str]:
    resource_type = type_ or sorted(rule.resource_types)[0]
    assert rule.applies_to(resource_type)
    context = RuleContext(env, resource_type, "urn:x", "x", provider)
    findings, _ = judge_resource(rule, props, context)
    return [f.message for f in findings]


def resource(type_: str, name: str, props: dict[str, Any], deps: tuple[str, ...] = (), parent: str | None = None) -> StackResource:
    return StackResource(type_, f"urn:{name}", name, props, parent, tuple(f"urn:{d}" for d in deps))


def stack_messages(rule: Rule, resources: list[StackResource], env: str = "prod") -> list[tuple[str, str]]:
    findings, _ = judge_stack(rule, StackView(resources), RuleContext(env))
    return [(f.urn.removeprefix("urn:"), f.message) for f in findings]


def undecided(path: str) -> str:
    return (
        f"could not decide: {path} is unknown at preview, so the rule fails closed; "
        "make the value known before preview or exempt the resource with a reason"
    )
