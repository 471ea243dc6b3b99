"""Running one rule on one resource (or one stack) and applying exemptions: shared by the
offline evaluator and the CrossGuard adapters, so both give the same verdicts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.config import Exemption
from policies.exemptions import exemption_key, resource_exemption
from policies.framework_exemptions import framework_exemption
from policies.rule import (
    NotApplicable,
    Passed,
    Rule,
    RuleContext,
    StackView,
    UnknownValue,
    Violation,
    undecided_message,
)


@dataclass(frozen=True)
class Finding:
    """A violation attributed to one resource (urn "" = the stack as a whole)."""

    policy: str
    urn: str
    type: str
    message: str


@dataclass(frozen=True)
class Waived:
    """A violation covered by an exemption, kept for the report so every waiver stays visible.

    `source` says where the exemption lives, so a reviewer knows what to edit: "config" (the policy
    config file; `exemption` is that entry), "resource" (a tag or annotation on the resource, which a
    spec's security.exemptions writes) or "framework" (policies/framework_exemptions.py).
    """

    policy: str
    urn: str
    reason: str
    message: str
    source: str = "resource"
    exemption: Exemption | None = None


def _outcome_violations(rule: Rule, run: Any) -> list[Violation]:
    try:
        outcome = run()
    except UnknownValue as unknown:
        return [Violation(undecided_message(unknown.path))]
    if isinstance(outcome, (Passed, NotApplicable)):
        return []
    return list(outcome)


def _waiver(
    rule: Rule,
    urn: str,
    name: str,
    resource_type: str,
    props: Mapping[str, Any],
    message: str,
    exemptions: Sequence[Exemption],
) -> Waived | None:
    for exemption in exemptions:
        if exemption.covers(urn, name, message):
            return Waived(rule.id, urn, exemption.reason, message, "config", exemption)
    reason = resource_exemption(rule.id, resource_type, props)
    if reason:
        return Waived(rule.id, urn, reason, message, "resource")
    framework = framework_exemption(rule.id, urn)
    if framework is not None:
        return Waived(rule.id, urn, framework.reason, message, "framework")
    return None


def _empty_reason_findings(rule: Rule, urn: str, resource_type: str, props: Mapping[str, Any]) -> list[Finding]:
    if resource_exemption(rule.id, resource_type, props) == "":
        key = exemption_key(rule.id, resource_type)
        return [Finding(rule.id, urn, resource_type, f"exemption {key} has an empty reason; state why or remove it")]
    return []


def judge_resource(
    rule: Rule,
    props: Mapping[str, Any],
    context: RuleContext,
    exemptions: Sequence[Exemption] = (),
) -> tuple[list[Finding], list[Waived]]:
    assert rule.check is not None
    check = rule.check
    violations = _outcome_violations(rule, lambda: check(props, context))
    findings = _empty_reason_findings(rule, context.urn, context.resource_type, props)
    waived: list[Waived] = []
    for violation in violations:
        waiver = _waiver(rule, context.urn, context.name, context.resource_type, props, violation.message, exemptions)
        if waiver is not None:
            waived.append(waiver)
        else:
            findings.append(Finding(rule.id, context.urn, context.resource_type, violation.message))
    return findings, waived


def judge_stack(
    rule: Rule,
    view: StackView,
    context: RuleContext,
    exemptions: Sequence[Exemption] = (),
) -> tuple[list[Finding], list[Waived]]:
    assert rule.stack_check is not None
    stack_check = rule.stack_check
    violations = _outcome_violations(rule, lambda: stack_check(view, context))
    findings: list[Finding] = []
    waived: list[Waived] = []
    seen_empty: set[str] = set()
    for violation in violations:
        urn = violation.urn or ""
        resource = view.by_urn.get(urn)
        resource_type = resource.type if resource else ""
        props = resource.props if resource else {}
        name = resource.name if resource else ""
        if resource is not None and urn not in seen_empty:
            seen_empty.add(urn)
            findings.extend(_empty_reason_findings(rule, urn, resource_type, props))
        waiver = _waiver(rule, urn, name, resource_type, props, violation.message, exemptions)
        if waiver is not None:
            waived.append(waiver)
        else:
            findings.append(Finding(rule.id, urn, resource_type, violation.message))
    return findings, waived
