"""`slipstack plan`: run a stack's Pulumi program offline and write what it would create.

Output folder (default build/plan/<stack>/):
- plan.json: the stack, its targets, every resource (urn, type, name, parent, inputs in the engine's
  camelCase names, dependencies) and the stack outputs; what a CrossGuard policy would see;
- k8s/: one manifest per Kubernetes object, ready for `kubectl apply` or a GitOps repository.
The folder is written under a temporary name and renamed at the end, so a failed plan never leaves a
half-written one behind, and a previous plan stays intact until the new one is complete.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contracts.errors import SlipstackError
from deployment_spec.loader import read_yaml_with_lines

PLAN_FORMAT_VERSION = 1
# libyaml's emitter when PyYAML was built with it: the pure-Python one dominated plans of many models.
_YAML_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
PROJECT_FILE = "Pulumi.yaml"


class PlanError(SlipstackError):
    exit_code = 2


@dataclass(frozen=True)
class Project:
    root: Path
    name: str
    stack_config_dir: Path

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        return sorted(
            path.name.removeprefix("Pulumi.").removesuffix(".yaml")
            for path in self.stack_config_dir.glob("Pulumi.*.yaml")
        )


def find_project(start: Path) -> Project:
    """The Pulumi project holding `start`: the nearest folder upwards with a Pulumi.yaml."""
    for folder in (start.resolve(), *start.resolve().parents):
        project_file = folder / PROJECT_FILE
        if project_file.is_file():
            data, _ = read_yaml_with_lines(project_file)
            if not isinstance(data, dict) or not isinstance(data.get("name"), str):
                raise PlanError(f"{project_file}: name: missing (a Pulumi project file needs a name)")
            config_dir = folder / str(data.get("stackConfigDir") or ".")
            return Project(root=folder, name=data["name"], stack_config_dir=config_dir)
    raise PlanError(f"no {PROJECT_FILE} in {start.resolve()} or above (run inside a Slipstack project)")


def read_stack_config(project: Project, stack: str) -> dict[str, Any]:
    """The stack file's config values (secret settings as a marker, never decrypted)."""
    from stacks.checks import read_stack_file

    path = project.stack_file(stack)
    if not path.is_file():
        known = project.stacks()
        close = difflib.get_close_matches(stack, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise PlanError(
            f"unknown stack '{stack}': {path} does not exist ({hint}stacks: {', '.join(known) or 'none'})"
        )
    stack_file = read_stack_file(path, stack)
    if stack_file.problems:
        raise PlanError("\n".join(stack_file.problems))
    return stack_file.values


def engine_config(values: dict[str, Any]) -> dict[str, str]:
    """Config as the engine passes it: strings stay strings, structured values become JSON."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}


@dataclass(frozen=True)
class Unpackaged:
    """A model of the stack with no package where the program looks: its resources lack the checksum."""

    model: str
    version: str
    spec: Path
    expected: Path  # the manifest `slipstack package` would write

    def command(self) -> str:
        from contracts.errors import shown_path

        return f"slipstack package --spec {shown_path(self.spec)}"


@dataclass(frozen=True)
class SpecExemption:
    """One `security.exemptions` entry of a spec in the stack, to check against the verdict."""

    model: str
    spec: Path
    index: int
    rule: str
    resource: str

    def covers(self, resource_name: str) -> bool:
        # The model's name covers all its resources, a component's its children (named `<component>-...`);
        # a resource name only itself. A name that matches no resource was written onto nothing.
        return resource_name == self.resource or resource_name.startswith(f"{self.resource}-")


@dataclass(frozen=True)
class Plan:
    document: dict[str, Any]
    out_dir: Path
    unpackaged: tuple[Unpackaged, ...] = ()
    spec_exemptions: tuple[SpecExemption, ...] = ()
    # URN -> the id and outputs the mock engine answered (ARNs, computed attributes); not in plan.json.
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def resources(self) -> list[dict[str, Any]]:
        return list(self.document["resources"])


def plan_stack(stack: str, project: Project, out_dir: Path | None = None) -> Plan:
    """Run the stack's program under the mock engine and write plan.json and k8s manifests."""
    from stacks.checks import check_stack, read_stack_file, stack_config
    from stacks.composition import cached_spec, load_stack_specs, placement

    values = read_stack_config(project, stack)
    stack_file = read_stack_file(project.stack_file(stack), stack)
    config = stack_config(stack_file)
    stack_specs = load_stack_specs(config, project.root)  # a spec that does not load: its own SpecError
    # Every problem `slipstack validate` finds in the stack, at its line, before the engine starts.
    problems = check_stack(project.root, stack_file, cached_spec)
    if problems:
        raise PlanError("\n".join(problems))
    from contracts.artifact_layout import MANIFEST_FILE, local_package_dir
    from stacks.artifact import resolve_artifact

    # Check every spec and placement before the engine starts, so errors read cleanly with no engine noise.
    unpackaged: list[Unpackaged] = []
    exemptions: list[SpecExemption] = []
    for resolved in stack_specs:
        placement(resolved, config)
        exemptions += [
            SpecExemption(resolved.name, resolved.source, index, item.rule, item.resource)
            for index, item in enumerate(resolved.spec.security.exemptions)
        ]
        if resolve_artifact(resolved, project.root).digest is None:
            version = resolved.spec.model.version
            expected = project.root / local_package_dir(resolved.name, version) / MANIFEST_FILE
            unpackaged.append(Unpackaged(resolved.name, version, resolved.source, expected))

    from slipstack.plan.engine import run_program
    from stacks.program import build

    run = run_program(
        lambda: build(project.root), project=project.name, stack=stack, config=engine_config(values)
    )
    document = {
        "format_version": PLAN_FORMAT_VERSION,
        "project": project.name,
        "stack": stack,
        "environment": config.environment,
        "targets": list(config.targets),
        "region": config.region,
        # Registration order depends on thread timing; URN order makes two plans of one program identical.
        "resources": sorted((resource.as_plan_entry() for resource in run.resources), key=lambda r: r["urn"]),
        "outputs": run.outputs,
    }
    destination = out_dir or project.root / "build" / "plan" / stack
    write_plan(document, destination)
    answers = {resource.urn: {"id": resource.id, **resource.outputs} for resource in run.resources}
    return Plan(document=document, out_dir=destination, unpackaged=tuple(unpackaged),
                spec_exemptions=tuple(exemptions), answers=answers)


# `kubectl apply -f DIR` applies files in name order: namespaces and identities before what uses them.
_APPLY_ORDER = [
    "Namespace", "ResourceQuota", "LimitRange", "ServiceAccount", "Secret", "ConfigMap", "Role", "ClusterRole",
    "RoleBinding", "ClusterRoleBinding", "NetworkPolicy", "Service", "Deployment", "StatefulSet", "Job", "CronJob",
    "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress",
]


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


def _manifest(inputs: dict[str, Any]) -> dict[str, Any]:
    """apiVersion, kind and metadata first, as people write manifests; every other key in sorted order."""
    head: dict[str, Any] = {
        key: _sorted_keys(inputs[key]) for key in ("apiVersion", "kind", "metadata") if key in inputs
    }
    return {**head, **{key: _sorted_keys(inputs[key]) for key in sorted(inputs) if key not in head}}


def kubernetes_manifests(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(file name, manifest) for every Kubernetes object of the plan, numbered in apply order."""
    objects = [
        r["inputs"] for r in document["resources"]
        if r["type"].startswith("kubernetes:") and "kind" in r["inputs"] and "apiVersion" in r["inputs"]
    ]

    def apply_rank(manifest: dict[str, Any]) -> tuple[int, str, str]:
        kind = manifest["kind"]
        metadata = manifest.get("metadata") or {}
        rank = _APPLY_ORDER.index(kind) if kind in _APPLY_ORDER else len(_APPLY_ORDER)
        return rank, str(metadata.get("namespace", "")), str(metadata.get("name", ""))

    manifests = []
    for index, manifest in enumerate(sorted(objects, key=apply_rank)):
        metadata = manifest.get("metadata") or {}
        namespace = metadata.get("namespace")
        stem = f"{index:03d}-{manifest['kind'].lower()}-{f'{namespace}-' if namespace else ''}{metadata.get('name')}"
        manifests.append((f"{stem}.yaml", _manifest(manifest)))
    return manifests


def write_plan(document: dict[str, Any], destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        (staging / "plan.json").write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        manifests = kubernetes_manifests(document)
        if manifests:
            (staging / "k8s").mkdir()
            for file_name, manifest in manifests:
                (staging / "k8s" / file_name).write_text(
                    yaml.dump(manifest, Dumper=_YAML_DUMPER, sort_keys=False, allow_unicode=True)
                )
        os.chmod(staging, 0o755)
        if destination.exists():
            previous = destination.with_name(f".{destination.name}.old")
            shutil.rmtree(previous, ignore_errors=True)
            destination.rename(previous)
            staging.rename(destination)
            shutil.rmtree(previous, ignore_errors=True)
        else:
            staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
