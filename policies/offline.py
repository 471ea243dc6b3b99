"""Evaluate the pack on a plan file written by `slipstack plan`, with no Pulumi CLI and no credentials.

The same rule code and the same judgement as under CrossGuard; the environment comes from the
plan's "environment" key and, unless a config file is given, the bundled config for it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.type_tokens import K8S_PROVIDER
from policies.catalog import all_rules, rule_ids
from policies.config import ENVIRONMENTS, PolicyConfig, bundled_config
from policies.errors import PlanFileError, PolicyConfigError
from policies.exemptions import carried_exemptions
from policies.judgement import Finding, Waived, judge_resource, judge_stack
from policies.rule import Enforcement, Rule, RuleContext, StackResource, StackView

PLAN_FORMAT_VERSION = 1


@dataclass(frozen=True)
class ReportedViolation:
    policy: str
    enforcement: Enforcement
    urn: str
    type: str
    message: str
    remediation: str = ""


@dataclass(frozen=True)
class UnusedExemption:
    """An exemption that waived nothing: a stale or mistyped one hides the next real finding's review."""

    policy: str
    source: str  # "config" (the policy config file) or "resource" (tags/annotations, e.g. from a spec)
    reason: str
    resources: tuple[str, ...]  # the names it was written for (config) or the resources carrying it


@dataclass
class PolicyReport:
    environment: str
    violations: list[ReportedViolation] = field(default_factory=list)
    waived: list[Waived] = field(default_factory=list)
    unused_exemptions: list[UnusedExemption] = field(default_factory=list)
    policies_run: int = 0
    resources_checked: int = 0

    @property
    def mandatory(self) -> list[ReportedViolation]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory

    def to_json(self) -> dict[str, Any]:
        return {
            "violations": [
                {"policy": v.policy, "enforcement": v.enforcement, "urn": v.urn, "type": v.type, "message": v.message,
                 "remediation": v.remediation}
                for v in self.violations
            ],
            "policies_run": self.policies_run,
            "resources_checked": self.resources_checked,
            # Not required by consumers, but every waiver must stay visible next to the verdict.
            "exempted": [
                {"policy": w.policy, "urn": w.urn, "reason": w.reason, "message": w.message, "source": w.source}
                for w in self.waived
            ],
            "unused_exemptions": [
                {"policy": u.policy, "source": u.source, "reason": u.reason, "resources": list(u.resources)}
                for u in self.unused_exemptions
            ],
        }


def load_plan(path: Path) -> dict[str, Any]:
    """Read and check a plan file; every problem is a PlanFileError (exit 2) saying how to fix it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PlanFileError(f"cannot read plan file {path}: {error.strerror}; run `slipstack plan` first") from None
    try:
        plan = json.loads(text)
    except json.JSONDecodeError as error:
        raise PlanFileError(
            f"{path}:{error.lineno}:{error.colno}: not JSON ({error.msg}); "
            "pass the plan.json written by `slipstack plan`"
        ) from None
    check_plan(plan, str(path))
    return plan


def check_plan(plan: Any, source: str = "<plan>") -> None:
    if not isinstance(plan, dict) or "format_version" not in plan or "resources" not in plan:
        raise PlanFileError(
            f"{source}: not a Slipstack plan (expected an object with format_version and resources); "
            "pass the plan.json written by `slipstack plan`"
        )
    version = plan["format_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise PlanFileError(f"{source}: format_version must be an integer, got {version!r}")
    if version > PLAN_FORMAT_VERSION:
        raise PlanFileError(
            f"{source}: plan format_version {version} is newer than this Slipstack understands "
            f"({PLAN_FORMAT_VERSION}); upgrade slipstack or re-run `slipstack plan` with this version"
        )
    environment = plan.get("environment")
    if environment not in ENVIRONMENTS:
        raise PlanFileError(f"{source}: environment {environment!r} is not one of {', '.join(ENVIRONMENTS)}")
    resources = plan["resources"]
    if not isinstance(resources, list):
        raise PlanFileError(f"{source}: resources must be a list")
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict):
            raise PlanFileError(f"{source}: resources[{index}] must be an object")
        for key in ("urn", "type"):
            if not isinstance(resource.get(key), str):
                raise PlanFileError(f"{source}: resources[{index}].{key} is missing or not a string")
        if not isinstance(resource.get("inputs", {}), dict):
            raise PlanFileError(f"{source}: resources[{index}].inputs must be an object")


def _provider_urn(reference: Any) -> str | None:
    # A provider reference is "<urn>::<id>"; the id is unknown at preview, the urn is what we match.
    if not isinstance(reference, str):
        return None
    return reference.rsplit("::", 1)[0] if reference.count("::") > 3 else reference


def stack_resources(plan: Mapping[str, Any]) -> list[StackResource]:
    return [
        StackResource(
            type=r["type"],
            urn=r["urn"],
            name=r.get("name") or r["urn"].rsplit("::", 1)[-1],
            props=r.get("inputs") or {},
            parent=r.get("parent"),
            dependencies=tuple(r.get("dependencies") or ()),
            options=r.get("options") or {},
        )
        for r in plan["resources"]
    ]


def _provider_props(raw: Mapping[str, Any], resource: StackResource, view: StackView) -> Mapping[str, Any] | None:
    if not resource.type.startswith("kubernetes:"):
        return None
    urn = _provider_urn(raw.get("provider"))
    provider = view.by_urn.get(urn) if urn else None
    if provider is None:
        found = view.referenced_by(resource, K8S_PROVIDER)
        provider = found[0] if found else None
    return provider.props if provider is not None else None


def evaluate_plan(
    plan: dict[str, Any], config: PolicyConfig | None = None, rules: Sequence[Rule] | None = None
) -> PolicyReport:
    check_plan(plan)
    environment: str = plan["environment"]
    ids = rule_ids()
    if config is None:
        config = bundled_config(environment, ids)
    declared = config.environment
    if declared is not None and declared != environment:
        raise PolicyConfigError(
            f"{config.source} is the policy config for {declared!r} but the plan is for {environment!r}; "
            f"pass policies/config/{environment}.json"
        )
    active = [(rule, config.level(rule, environment)) for rule in (rules if rules is not None else all_rules())]
    active = [(rule, level) for rule, level in active if level != "disabled"]
    by_type: dict[str, list[tuple[Rule, Enforcement]]] = {}
    stack_rules: list[tuple[Rule, Enforcement]] = []
    prefix_rules: list[tuple[Rule, Enforcement]] = []
    for rule, level in active:
        if rule.is_stack_rule:
            stack_rules.append((rule, level))
        elif rule.type_prefix:
            prefix_rules.append((rule, level))
        for token in rule.resource_types:
            by_type.setdefault(token, []).append((rule, level))

    def rules_for(resource_type: str) -> list[tuple[Rule, Enforcement]]:
        if resource_type not in by_type:
            by_type[resource_type] = [(r, lv) for r, lv in prefix_rules if r.applies_to(resource_type)]
        elif prefix_rules and resource_type not in prefixed_done:
            by_type[resource_type] += [(r, lv) for r, lv in prefix_rules if r.applies_to(resource_type)]
        prefixed_done.add(resource_type)
        return by_type[resource_type]

    prefixed_done: set[str] = set()

    resources = stack_resources(plan)
    view = StackView(resources)
    report = PolicyReport(environment=environment, policies_run=len(active), resources_checked=len(resources))

    def record(rule: Rule, findings: list[Finding], waived: list[Waived], level: Enforcement) -> None:
        report.violations.extend(
            ReportedViolation(f.policy, level, f.urn, f.type, f.message, rule.remediation) for f in findings
        )
        report.waived.extend(waived)

    for raw, resource in zip(plan["resources"], resources, strict=True):
        applicable = rules_for(resource.type)
        if not applicable:
            continue
        context = RuleContext(
            environment=environment,
            resource_type=resource.type,
            urn=resource.urn,
            name=resource.name,
            provider_props=_provider_props(raw, resource, view),
        )
        for rule, level in applicable:
            record(rule, *judge_resource(rule, resource.props, context, config.exemptions(rule.id)), level)
    stack_context = RuleContext(environment=environment)
    for rule, level in stack_rules:
        record(rule, *judge_stack(rule, view, stack_context, config.exemptions(rule.id)), level)
    report.unused_exemptions = unused_exemptions(
        [rule for rule, _ in active], config, resources, report.waived, set(ids)
    )
    return report


def unused_exemptions(
    active: Sequence[Rule],
    config: PolicyConfig,
    resources: Sequence[StackResource],
    waived: Sequence[Waived],
    known_ids: set[str],
) -> list[UnusedExemption]:
    """Config entries and resource-carried exemptions (tags, annotations) that waived no finding.

    Resource-carried ones are grouped by rule and reason: a spec exemption tags every resource of a
    component, and it is used when any of them had its finding waived.
    """
    unused: list[UnusedExemption] = []
    for rule in active:
        for exemption in config.exemptions(rule.id):
            if not any(w.exemption is exemption for w in waived):
                unused.append(UnusedExemption(rule.id, "config", exemption.reason, (exemption.resource,)))
    active_ids = {rule.id for rule in active}
    used = {(w.policy, w.reason) for w in waived if w.source == "resource"}
    carried: dict[tuple[str, str], list[str]] = {}
    for resource in resources:
        for rule_id, reason in carried_exemptions(resource.type, resource.props, known_ids):
            if rule_id in active_ids or rule_id not in known_ids:
                carried.setdefault((rule_id, reason), []).append(resource.name)
    for (rule_id, reason), names in sorted(carried.items()):
        if (rule_id, reason) not in used:
            unused.append(UnusedExemption(rule_id, "resource", reason, tuple(sorted(set(names)))))
    return unused


def write_report(report: PolicyReport, out: Path) -> None:
    """Write policy.json atomically: a reader never sees half a verdict."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=".policy-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(report.to_json(), stream, indent=2)
            stream.write("\n")
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
