"""Independent checks on the rendered manifests of every shipped stack's Kubernetes part:

The Kubernetes part is planned with only the Kubernetes provider (same stack file, specs and
translation), with package manifests in the project root as after `slipstack package`.
the official Kubernetes schemas (kubernetes-validate), Checkov's Kubernetes checks, and the policy pack.

Besides the shipped stacks, `dev-dask` is the dev stack with a spec whose drift job runs on an existing
Dask cluster (`monitoring.drift.dask_scheduler`), so that variant passes the same checks.

Each stack is planned once and Checkov runs once per stack (all in parallel).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.artifact_layout import MANIFEST_FILE, local_package_dir
from slipstack.plan.engine import run_program
from slipstack.plan.runner import kubernetes_manifests, write_plan

STACKS = {"dev": "dev", "staging": "staging", "prod": "prod", "dev-dask": "dev"}
DASK_SCHEDULER = "tcp://dask-scheduler.analytics.svc.cluster.local:8786"
MODELS = [("breast-cancer-screening", "1.0.0"), ("diabetes-progression", "2.1.0")]
# The cluster version the stacks target (EKS 1.33 in staging); kubernetes-validate ships its schemas.
KUBERNETES_VERSION = "1.33.0"
# Custom resources: no official schema exists for them, so they are reported as skipped, by kind.
CUSTOM_KINDS = {"Certificate", "ServiceMonitor", "PrometheusRule", "AlertmanagerConfig"}
CHECKOV = Path(__file__).resolve().parents[2] / ".venv-scan" / "bin" / "checkov"
SKIP_ANNOTATION = re.compile(r"^(CKV2?_K8S_[0-9]+)=(.+)$")



def package_manifests(root: Path, models: list[tuple[str, str]]) -> dict[str, str]:
    digests = {}
    for model, version in models:
        digest = "sha256:" + hashlib.sha256(f"{model}@{version}".encode()).hexdigest()
        folder = root / local_package_dir(model, version)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MANIFEST_FILE).write_text(json.dumps({"digest": digest}))
        digests[model] = digest
    return digests


def dask_spec(repo_root: Path, folder: Path) -> Path:
    """The diabetes model with its drift job on an existing Dask cluster."""
    text = (repo_root / "deployments" / "diabetes-progression.yaml").read_text()
    text = text.replace('    schedule: "30 */6 * * *"\n',
                        f'    schedule: "30 */6 * * *"\n    dask_scheduler: {DASK_SCHEDULER}\n')
    assert DASK_SCHEDULER in text
    path = folder / "diabetes-progression-dask.yaml"
    path.write_text(text.replace("../examples", str(repo_root / "examples")))
    return path


def kubernetes_program(stack: str, repo_root: Path, package_root: Path | None,
                       specs: list[Path] | None = None) -> Any:
    def program() -> dict[str, Any]:
        import pulumi
        import pulumi_kubernetes as k8s

        from slipstack.plan.runner import find_project, read_stack_config
        from stacks.composition import load_stack_specs, placement
        from stacks.config import stack_config_from_values
        from stacks.context import StackContext
        from stacks.kubernetes_model import deploy_model_on_kubernetes

        project = find_project(repo_root)
        config = stack_config_from_values(stack, read_stack_config(project, stack))
        if specs is not None:
            config = config.model_copy(update={"specs": [str(spec) for spec in specs]})
        context = StackContext(config=config, project_root=package_root or repo_root,
                               account_id=pulumi.Output.from_input("123456789012"), region=config.region)
        from stacks.protection import protect_stateful_resources

        protect_stateful_resources(config.environment)  # as stacks/program.py does before composing
        provider = k8s.Provider("kubernetes", context=config.kubernetes.context)
        outputs = {}
        for resolved in load_stack_specs(config, project.root):
            if "onprem" in placement(resolved, config):
                outputs[resolved.name] = deploy_model_on_kubernetes(resolved, context, provider)
        return outputs

    return program


def plan_document(stack: str, environment: str, run: Any) -> dict[str, Any]:
    """A plan document in `slipstack plan`'s format, for its manifest writer and the policy pack."""
    resources = []
    for resource in run.resources:
        resources.append({"urn": resource.urn, "type": resource.type, "name": resource.name,
                          "custom": resource.custom, "parent": resource.parent, "provider": resource.provider,
                          "dependencies": resource.dependencies, "inputs": resource.inputs,
                          **({"options": resource.options} if resource.options else {})})
    return {"format_version": 1, "project": "slipstack", "stack": stack, "environment": environment,
            "targets": ["onprem"], "region": "eu-west-1",
            "resources": sorted(resources, key=lambda r: r["urn"]), "outputs": run.outputs}


@dataclass
class StackPlan:
    stack: str
    document: dict[str, Any]
    k8s_dir: Path
    checkov: dict[str, Any] | None = None
    checkov_error: str | None = None


@pytest.fixture(scope="module")
def stack_plans(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> dict[str, StackPlan]:
    packages = tmp_path_factory.mktemp("packages")
    package_manifests(packages, MODELS)
    plans: dict[str, StackPlan] = {}
    for stack, environment in STACKS.items():
        shipped, _, variant = stack.partition("-")
        specs = [dask_spec(repo_root, packages)] if variant == "dask" else None
        run = run_program(kubernetes_program(shipped, repo_root, packages, specs), project="slipstack",
                          stack=shipped, config={})
        document = plan_document(stack, environment, run)
        out = tmp_path_factory.mktemp(f"k8s-{stack}") / stack
        write_plan(document, out)
        plans[stack] = StackPlan(stack, document, out / "k8s")
    if CHECKOV.exists():
        env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
        running = {
            stack: subprocess.Popen(
                [str(CHECKOV), "-d", str(plan.k8s_dir), "--framework", "kubernetes", "-o", "json", "--skip-download"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            for stack, plan in plans.items()
        }
        for stack, process in running.items():
            stdout, stderr = process.communicate(timeout=180)
            try:
                plans[stack].checkov = json.loads(stdout)
            except ValueError:
                plans[stack].checkov_error = f"exit {process.returncode}: {stderr[-2000:]}"
    return plans


def manifests(plan: StackPlan) -> list[tuple[str, dict[str, Any]]]:
    return [(path.name, yaml.safe_load(path.read_text())) for path in sorted(plan.k8s_dir.glob("*.yaml"))]


@pytest.mark.parametrize("stack", STACKS)
def test_every_manifest_validates_against_the_official_schemas(stack_plans: dict[str, StackPlan], stack: str) -> None:
    import kubernetes_validate
    from kubernetes_validate.utils import SchemaNotFoundError

    validated, skipped_kinds, failures = 0, set(), []
    for name, manifest in manifests(stack_plans[stack]):
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
            validated += 1
        except SchemaNotFoundError:
            skipped_kinds.add(manifest["kind"])
        except kubernetes_validate.ValidationError as error:
            failures.append(f"{name}: {'.'.join(map(str, error.path))}: {error.message}")
    assert failures == []
    # Only custom resources may lack a schema; anything else unknown would be an unvalidated core object.
    assert skipped_kinds <= CUSTOM_KINDS, f"skipped kinds without schema: {skipped_kinds - CUSTOM_KINDS}"
    assert validated >= 15


@pytest.mark.parametrize("stack", STACKS)
def test_checkov_reports_no_failures_and_every_skip_has_a_reason(
    stack_plans: dict[str, StackPlan], stack: str
) -> None:
    if not CHECKOV.exists():
        pytest.fail(f"Checkov is missing at {CHECKOV}: install it with `python -m venv .venv-scan && "
                    ".venv-scan/bin/pip install checkov` in the repository root")
    plan = stack_plans[stack]
    assert plan.checkov is not None, plan.checkov_error
    results = plan.checkov.get("results", {})
    failed = [(c["check_id"], c["resource"]) for c in results.get("failed_checks", [])]
    assert failed == []
    assert results.get("passed_checks"), "Checkov checked nothing"
    assert not results.get("parsing_errors")
    for skipped in results.get("skipped_checks", []):
        reason = (skipped.get("check_result") or {}).get("suppress_comment") or ""
        assert len(reason) >= 20 and reason != "No comment provided", skipped
    for name, manifest in manifests(plan):
        for key, value in (manifest["metadata"].get("annotations") or {}).items():
            if key.startswith("checkov.io/skip"):
                match = SKIP_ANNOTATION.match(value)
                assert match and len(match.group(2).strip()) >= 20, f"{name}: {key}: {value!r}"


@pytest.mark.parametrize("stack", STACKS)
def test_policy_pack_finds_no_mandatory_violation(stack_plans: dict[str, StackPlan], stack: str) -> None:
    from policies.offline import evaluate_plan

    report = evaluate_plan(stack_plans[stack].document)
    mandatory = [(v.policy, v.urn.rsplit("::", 1)[-1], v.message) for v in report.violations
                 if v.enforcement == "mandatory"]
    assert mandatory == []


def test_every_object_is_named_and_namespaced(stack_plans: dict[str, StackPlan]) -> None:
    for plan in stack_plans.values():
        for _name, manifest in kubernetes_manifests(plan.document):
            metadata = manifest["metadata"]
            assert metadata.get("name"), manifest
            if manifest["kind"] != "Namespace":
                assert metadata.get("namespace") not in (None, "", "default"), manifest


def test_dask_variant_wires_the_drift_job_to_the_scheduler(stack_plans: dict[str, StackPlan]) -> None:
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for _name, manifest in manifests(stack_plans["dev-dask"]):
        by_kind.setdefault(manifest["kind"], {})[manifest["metadata"]["name"]] = manifest
    drift = by_kind["CronJob"]["diabetes-progression-drift"]["spec"]["jobTemplate"]["spec"]
    command = drift["template"]["spec"]["containers"][0]["command"]
    assert command[command.index("--engine") + 1] == "dask"
    assert command[command.index("--scheduler") + 1] == DASK_SCHEDULER
    assert 600 <= drift["activeDeadlineSeconds"] < 6 * 3600
    dask = by_kind["NetworkPolicy"]["allow-drift-dask-egress"]["spec"]
    assert dask["podSelector"]["matchLabels"]["slipstack.dev/job"] == "drift"
    assert dask["egress"] == [{"ports": [{"port": 8786, "protocol": "TCP"}],
                               "to": [{"namespaceSelector": {"matchLabels": {
                                   "kubernetes.io/metadata.name": "analytics"}}}]}]
    # The shipped dev stack (no scheduler) has no such path.
    shipped = {m["metadata"]["name"] for _n, m in manifests(stack_plans["dev"]) if m["kind"] == "NetworkPolicy"}
    assert "allow-drift-dask-egress" not in shipped
