"""Adapters that run the pack's rules under the Pulumi engine as CrossGuard policies.

The engine hands props wrapped in a proxy that raises UnknownValueError on unknown values and
turns that exception into a mere advisory note. The adapters copy props into plain data with
Pulumi's sentinel in place of every unknown, so the rule code and the judgement are exactly the
offline ones and an unknown value yields "could not decide" at the rule's own enforcement level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies.catalog import all_rules
from policies.config import Exemption, RuleSettings
from policies.judgement import Finding, judge_resource, judge_stack
from policies.rule import UNKNOWN, Rule, RuleContext, StackResource, StackView

CONFIG_SCHEMA = PolicyConfigSchema(
    properties={
        "environment": {"type": "string", "enum": ["dev", "staging", "prod"]},
        "exemptions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "resource": {"type": "string", "minLength": 1},
                    "reason": {"type": "string", "minLength": 1, "pattern": "\\S"},
                    "match": {"type": "string"},
                },
                "required": ["resource", "reason"],
                "additionalProperties": False,
            },
        },
    }
)


def plain(value: Any) -> Any:
    """A deep copy of proxied props with each unknown replaced by the UNKNOWN sentinel."""
    if isinstance(value, Mapping):
        copied: dict[str, Any] = {}
        for key in value:
            try:
                copied[key] = plain(value[key])
            except UnknownValueError:
                copied[key] = UNKNOWN
        return copied
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def _settings(config: Mapping[str, Any]) -> tuple[str | None, list[Exemption]]:
    settings = RuleSettings.model_validate(
        {k: v for k, v in plain(config).items() if k in ("environment", "exemptions")}
    )
    return settings.environment, settings.exemptions


def _report(findings: list[Finding], report_violation: ReportViolation) -> None:
    for finding in findings:
        report_violation(finding.message, finding.urn or None)


def resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        # Python policies cannot filter by type up front: each validator checks the token itself.
        if not rule.applies_to(args.resource_type):
            return
        environment, exemptions = _settings(args.get_config())
        provider = args.provider
        context = RuleContext(
            # No environment configured: judge as prod, the strictest reading.
            environment=environment or "prod",
            resource_type=args.resource_type,
            urn=args.urn,
            name=args.name,
            provider_props=plain(provider.props) if provider is not None else None,
        )
        findings, _ = judge_resource(rule, plain(args.props), context, exemptions)
        _report(findings, report_violation)

    return ResourceValidationPolicy(
        name=rule.id,
        description=rule.description,
        validate=validate,
        enforcement_level=_level(rule),
        config_schema=CONFIG_SCHEMA,
        severity=Severity(rule.severity),
        remediation_steps=rule.remediation,
        tags=list(rule.anchors),
    )


def stack_resources(resources: Sequence[Any]) -> list[StackResource]:
    """PolicyResource objects (parent and dependencies are objects) as plain StackResources."""
    return [
        StackResource(
            type=r.resource_type,
            urn=r.urn,
            name=r.name,
            props=plain(r.props),
            parent=r.parent.urn if r.parent is not None else None,
            dependencies=tuple(d.urn for d in r.dependencies),
            # CrossGuard shows `protect` only; retainOnDelete is not part of PolicyResourceOptions.
            options={"protect": True} if getattr(getattr(r, "opts", None), "protect", False) else {},
        )
        for r in resources
    ]


def stack_policy(rule: Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        environment, exemptions = _settings(args.get_config())
        view = StackView(stack_resources(args.resources))
        findings, _ = judge_stack(rule, view, RuleContext(environment=environment or "prod"), exemptions)
        _report(findings, report_violation)

    return StackValidationPolicy(
        name=rule.id,
        description=rule.description,
        validate=validate,
        enforcement_level=_level(rule),
        config_schema=CONFIG_SCHEMA,
        severity=Severity(rule.severity),
        remediation_steps=rule.remediation,
        tags=list(rule.anchors),
    )


def _level(rule: Rule) -> EnforcementLevel:
    return EnforcementLevel(rule.default_level(None))


def build_policies() -> list[Policy]:
    return [stack_policy(rule) if rule.is_stack_rule else resource_policy(rule) for rule in all_rules()]
