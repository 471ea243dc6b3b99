"""Compose a stack: load its specs, place each model on the stack's targets, and create its components."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from contracts.errors import SlipstackError
from deployment_spec import LoadedSpec, ResolvedSpec, SpecError, SpecProblem, load_spec
from stacks.config import StackConfig
from stacks.context import StackContext
from stacks.spec_exemptions import SpecExemptionEntry, SpecExemptionTransformation


class PlacementError(SlipstackError):
    exit_code = 2


# `slipstack plan` checks the specs before the engine starts and the program then loads them again in the
# same process; a file that has not changed since (same mtime and size) is not parsed twice.
_LOADED: dict[tuple[Path, int, int], LoadedSpec] = {}


def _load(path: Path) -> LoadedSpec:
    try:
        stat = path.stat()
    except OSError:
        return load_spec(path)  # the loader reports the missing or unreadable file in its own words
    key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
    if key not in _LOADED:
        _LOADED[key] = load_spec(path)
    return _LOADED[key]


def cached_spec(path: Path) -> LoadedSpec:
    """A spec file loaded once per process while it is unchanged (what `slipstack plan` checks, then declares)."""
    return _load(path)


def load_stack_specs(config: StackConfig, project_root: Path) -> list[ResolvedSpec]:
    """Every spec of the stack, resolved for its environment; all problems of all files in one error."""
    problems: list[SpecProblem] = []
    resolved: list[ResolvedSpec] = []
    for relative in config.specs:
        try:
            resolved.append(_load(project_root / relative).for_environment(config.environment))
        except SpecError as error:
            problems += error.problems
    if problems:
        raise SpecError(problems)
    seen: dict[str, Path] = {}
    for item in resolved:
        if item.name in seen:
            raise PlacementError(
                f"{item.source}: metadata.name: model '{item.name}' is also deployed by {seen[item.name]} "
                f"in stack '{config.stack}' (model names must be unique within a stack)"
            )
        seen[item.name] = item.source
    return resolved


def placement(resolved: ResolvedSpec, config: StackConfig) -> list[str]:
    """The targets this model deploys to in this stack: what its spec asks for, if the stack provides it."""
    missing = [target for target in resolved.spec.targets if target not in config.targets]
    if missing:
        raise PlacementError(
            f"{resolved.source}: targets: model '{resolved.name}' deploys to {', '.join(missing)} in "
            f"{config.environment}, but stack '{config.stack}' provides only {', '.join(config.targets)} "
            f"(add the target to stacks/Pulumi.{config.stack}.yaml or change environments.{config.environment}"
            ".targets in the spec)"
        )
    if (
        "onprem" in resolved.spec.targets
        and config.kubernetes.cluster == "eks"
        and resolved.spec.metadata.data_classification == "restricted"
    ):
        raise PlacementError(
            f"{resolved.source}: metadata.data_classification: model '{resolved.name}' is restricted, but the "
            f"Kubernetes target of stack '{config.stack}' is an EKS cluster in AWS (restricted models run only on "
            "an existing on-prem cluster: remove the spec from this stack)"
        )
    return list(resolved.spec.targets)


def compose(config: StackConfig, project_root: Path) -> dict[str, Any]:
    """Declare every resource of the stack; returns the stack outputs.

    Each target's translation is imported only when a model uses it, so a stack without Kubernetes never
    loads the Kubernetes SDK (and vice versa).
    """
    specs = load_stack_specs(config, project_root)
    placements = {item.name: placement(item, config) for item in specs}
    exemptions = [
        SpecExemptionEntry(item.name, entry.rule, entry.resource, entry.reason)
        for item in specs
        for entry in item.spec.security.exemptions
    ]
    if exemptions:
        # Before any resource is declared: a transformation applies to the resources declared after it.
        pulumi.runtime.register_stack_transformation(SpecExemptionTransformation(exemptions))
    needs_aws = any("aws" in targets for targets in placements.values()) or config.kubernetes.cluster == "eks"
    needs_kubernetes = any("onprem" in targets for targets in placements.values())
    account_id: pulumi.Output[str] = (
        pulumi.Output.from_input(aws.get_caller_identity().account_id) if needs_aws else pulumi.Output.from_input("")
    )
    context = StackContext(config=config, project_root=project_root, account_id=account_id, region=config.region)

    provider = None
    if needs_kubernetes:
        from stacks.kubernetes_cluster import kubernetes_provider

        provider = kubernetes_provider(context)

    models: dict[str, Any] = {}
    for item in specs:
        models[item.name] = {"version": item.spec.model.version, "targets": placements[item.name]}
        if "aws" in placements[item.name]:
            from stacks.aws_model import deploy_model_on_aws

            models[item.name]["aws"] = deploy_model_on_aws(item, context)
        if "onprem" in placements[item.name]:
            from stacks.kubernetes_model import deploy_model_on_kubernetes

            assert provider is not None
            models[item.name]["onprem"] = deploy_model_on_kubernetes(item, context, provider)
            if config.kubernetes.cluster == "eks":
                from stacks.eks_cluster import expose_model_on_alb

                models[item.name]["onprem"]["load_balancer"] = expose_model_on_alb(item, context, provider)
    return {"environment": config.environment, "models": models}
