"""Plan folders as the preview reads them: one stack's folder, or a folder of stack folders.

`slipstack plan --stack S --out DIR/S` writes DIR/S/plan.json and `slipstack policy` writes
DIR/S/policy.json next to it. A preview compares the base and the head plan sets stack by stack, so
both must come from one project and one plan format; anything else is refused with exit code 2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preview.errors import PreviewError

PLAN_FILE = "plan.json"
POLICY_FILE = "policy.json"
SUPPORTED_FORMAT_VERSIONS = frozenset({1})


@dataclass(frozen=True)
class PolicyVerdict:
    """What policy.json says: every violation, mandatory ones first when rendered."""

    violations: list[dict[str, str]]
    policies_run: int
    resources_checked: int
    # Exemptions that waived nothing (stale or misspelt): shown so a reviewer removes or fixes them.
    unused_exemptions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mandatory(self) -> list[dict[str, str]]:
        return [v for v in self.violations if v.get("enforcement") == "mandatory"]

    @property
    def advisory(self) -> list[dict[str, str]]:
        return [v for v in self.violations if v.get("enforcement") != "mandatory"]


@dataclass(frozen=True)
class StackPlan:
    stack: str
    folder: Path
    document: dict[str, Any]
    # None when no policy.json sits next to the plan: the verdict is missing, never "passed".
    verdict: PolicyVerdict | None

    @property
    def project(self) -> str:
        return str(self.document.get("project"))

    @property
    def format_version(self) -> Any:
        return self.document.get("format_version")

    @property
    def resources(self) -> list[dict[str, Any]]:
        return list(self.document.get("resources") or [])


@dataclass(frozen=True)
class PlanSet:
    """Every stack plan found under one folder (empty for a missing base, e.g. a first pull request)."""

    root: Path
    stacks: dict[str, StackPlan] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.stacks


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise PreviewError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg}); "
            f"regenerate the {what}"
        ) from None
    except OSError as error:
        raise PreviewError(f"{path}: cannot read the {what} ({error.strerror})") from None


def _read_verdict(path: Path) -> PolicyVerdict | None:
    if not path.is_file():
        return None
    data = _read_json(path, "policy report with `slipstack policy --plan PLAN`")
    violations = data.get("violations") if isinstance(data, dict) else None
    if not isinstance(violations, list) or not all(isinstance(v, dict) for v in violations):
        raise PreviewError(
            f"{path}: violations: expected a list of objects (policy, enforcement, urn, type, message); "
            "regenerate it with `slipstack policy --plan PLAN`"
        )
    return PolicyVerdict(
        violations=[{key: str(value) for key, value in v.items()} for v in violations],
        policies_run=int(data.get("policies_run") or 0),
        resources_checked=int(data.get("resources_checked") or 0),
        unused_exemptions=[u for u in data.get("unused_exemptions") or [] if isinstance(u, dict)],
    )


def read_stack_plan(folder: Path) -> StackPlan:
    plan_path = folder / PLAN_FILE
    document = _read_json(plan_path, "plan with `slipstack plan --stack STACK --out DIR`")
    if not isinstance(document, dict):
        raise PreviewError(f"{plan_path}: expected a JSON object written by `slipstack plan`")
    version = document.get("format_version")
    if version not in SUPPORTED_FORMAT_VERSIONS:
        raise PreviewError(
            f"{plan_path}: format_version: {version!r} is not supported (this Slipstack reads "
            f"{', '.join(map(str, sorted(SUPPORTED_FORMAT_VERSIONS)))}); "
            "re-plan with the same Slipstack version as the other side"
        )
    for key in ("project", "stack"):
        if not isinstance(document.get(key), str):
            raise PreviewError(f"{plan_path}: {key}: missing (a plan written by `slipstack plan` names it)")
    if not isinstance(document.get("resources"), list):
        raise PreviewError(f"{plan_path}: resources: expected a list")
    return StackPlan(
        stack=document["stack"], folder=folder, document=document, verdict=_read_verdict(folder / POLICY_FILE)
    )


def read_plan_set(root: Path, *, required: bool) -> PlanSet:
    """Plans in `root` (one stack's folder) or in its sub-folders (one per stack).

    A missing or empty base is normal on a repository's first pull request: `required=False` then
    gives an empty set and the preview shows the head alone. A missing head is an error.
    """
    if (root / PLAN_FILE).is_file():
        folders = [root]
    elif root.is_dir():
        folders = sorted(path.parent for path in root.glob(f"*/{PLAN_FILE}"))
    else:
        folders = []
    if not folders:
        if required:
            raise PreviewError(
                f"{root}: no {PLAN_FILE} here or in its sub-folders; write one with "
                f"`slipstack plan --stack STACK --out {root}/STACK`"
            )
        return PlanSet(root=root)
    stacks: dict[str, StackPlan] = {}
    for folder in folders:
        plan = read_stack_plan(folder)
        if plan.stack in stacks:
            raise PreviewError(
                f"{folder / PLAN_FILE}: stack '{plan.stack}' is also planned in "
                f"{stacks[plan.stack].folder / PLAN_FILE}; keep one folder per stack"
            )
        stacks[plan.stack] = plan
    projects = {plan.project for plan in stacks.values()}
    if len(projects) > 1:
        raise PreviewError(f"{root}: plans of several projects ({', '.join(sorted(projects))}); keep one per folder")
    return PlanSet(root=root, stacks=stacks)


def check_comparable(base: PlanSet, head: PlanSet) -> None:
    """Refuse to compare plans of different projects or plan formats: the diff would be meaningless."""
    if base.empty or head.empty:
        return
    base_plan = next(iter(base.stacks.values()))
    head_plan = next(iter(head.stacks.values()))
    if base_plan.project != head_plan.project:
        raise PreviewError(
            f"base plans in {base.root} are of project '{base_plan.project}' but head plans in {head.root} "
            f"are of project '{head_plan.project}'; compare two plans of the same Pulumi project"
        )
    if base_plan.format_version != head_plan.format_version:
        raise PreviewError(
            f"base plans in {base.root} use plan format {base_plan.format_version} but head plans in {head.root} "
            f"use {head_plan.format_version}; re-plan the base with the head's Slipstack (same format)"
        )
