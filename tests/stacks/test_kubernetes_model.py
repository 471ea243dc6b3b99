"""The spec-to-Kubernetes translation: bounds per environment, canary weights, outputs, EKS vs on-prem,
and what an unpackaged model turns into."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts import type_tokens as t
from contracts.artifact_layout import MANIFEST_FILE, local_package_dir

DIGEST = "sha256:" + "d" * 64
CANDIDATE_DIGEST = "sha256:" + "e" * 64


def program(spec_path: Path, environment: str, project_root: Path, cluster: str = "existing") -> Callable[[], Any]:
    def run() -> dict[str, Any]:
        import pulumi
        import pulumi_kubernetes as k8s

        from deployment_spec import load_spec
        from stacks.config import StackConfig
        from stacks.context import StackContext
        from stacks.kubernetes_model import deploy_model_on_kubernetes

        config = StackConfig(stack=environment, environment=environment, specs=[str(spec_path)],
                             targets=["aws", "onprem"], kubernetes={"cluster": cluster})
        context = StackContext(config=config, project_root=project_root,
                               account_id=pulumi.Output.from_input("123456789012"), region=config.region)
        resolved = load_spec(spec_path).for_environment(environment)
        return deploy_model_on_kubernetes(resolved, context, k8s.Provider("kubernetes"))

    return run


def package(root: Path, model: str, version: str, digest: str) -> None:
    folder = root / local_package_dir(model, version)
    folder.mkdir(parents=True)
    (folder / MANIFEST_FILE).write_text(json.dumps({"digest": digest}))


@pytest.fixture
def canary_spec(tmp_path: Path, repo_root: Path) -> Path:
    text = (repo_root / "deployments" / "breast-cancer-screening.yaml").read_text()
    # The candidate goes to prod only (dev deploys all at once).
    prod = "  prod:\n    targets: [aws, onprem]\n"
    text = text.replace(prod, prod + "    rollout: {candidate: {version: 1.1.0, artifact: m.joblib}}\n")
    path = tmp_path / "spec.yaml"
    path.write_text(text.replace("../examples", str(repo_root / "examples")))
    package(tmp_path, "breast-cancer-screening", "1.0.0", DIGEST)
    package(tmp_path, "breast-cancer-screening", "1.1.0", CANDIDATE_DIGEST)
    return path


@pytest.mark.parametrize(("environment", "bounds"), [("staging", (1, 3)), ("prod", (2, 6))])
def test_hpa_bounds_follow_the_environment(pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path,
                                           environment: str, bounds: tuple[int, int]) -> None:
    spec = repo_root / "deployments" / "breast-cancer-screening.yaml"
    run = pulumi_run(program(spec, environment, tmp_path), stack=environment)
    hpa = run.one(t.K8S_HPA).inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == bounds
    pdb = run.one(t.K8S_PDB).inputs["spec"]
    assert pdb == ({"minAvailable": 1} if bounds[0] >= 2 else {"maxUnavailable": 1}) | {
        "selector": pdb["selector"], "unhealthyPodEvictionPolicy": "AlwaysAllow"}


def test_outputs_for_smoke_tests(pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path) -> None:
    spec = repo_root / "deployments" / "diabetes-progression.yaml"
    run = pulumi_run(program(spec, "prod", tmp_path), stack="prod")
    assert run.outputs["namespace"] == "diabetes-progression-prod"
    assert run.outputs["model_name"] == "diabetes-progression"
    assert run.outputs["service_url"] == "http://diabetes-progression.diabetes-progression-prod.svc.cluster.local:8080"
    assert run.outputs["ingress_host"] == "progression.models.internal.example.com"
    service = run.one(t.K8S_SERVICE).inputs
    assert service["metadata"]["name"] == "diabetes-progression"
    assert service["spec"]["ports"][0] == {"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}


def test_canary_gets_the_spec_share_and_its_own_verified_artifact(
    pulumi_run: Callable[..., Any], canary_spec: Path
) -> None:
    run = pulumi_run(program(canary_spec, "prod", canary_spec.parent), stack="prod")
    deployments = {r.inputs["metadata"]["name"]: r.inputs for r in run.of_type(t.K8S_DEPLOYMENT)}
    assert set(deployments) == {"breast-cancer-screening", "breast-cancer-screening-canary"}
    canary = deployments["breast-cancer-screening-canary"]
    assert canary["metadata"]["annotations"]["slipstack.dev/artifact-sha256"] == "e" * 64
    init = canary["spec"]["template"]["spec"]["initContainers"][0]["command"]
    assert init[init.index("--sha256") + 1] == CANDIDATE_DIGEST
    assert canary["spec"]["selector"]["matchLabels"]["slipstack.dev/track"] == "canary"
    ingresses = {r.inputs["metadata"]["name"]: r.inputs for r in run.of_type(t.K8S_INGRESS)}
    weight = ingresses["breast-cancer-screening-canary"]["metadata"]["annotations"]
    assert weight["nginx.ingress.kubernetes.io/canary-weight"] == "10"
    hpas = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in run.of_type(t.K8S_HPA)}
    # The canary keeps prod's floor of two pods and scales to its share of the stable ceiling.
    canary_hpa = hpas["breast-cancer-screening-canary"]
    assert (canary_hpa["minReplicas"], canary_hpa["maxReplicas"]) == (2, 2)
    assert len(run.of_type(t.K8S_PDB)) == 2


def test_unpackaged_model_fails_visibly_at_the_init_container(
    pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path
) -> None:
    spec = repo_root / "deployments" / "diabetes-progression.yaml"
    run = pulumi_run(program(spec, "dev", tmp_path), stack="dev")
    deployment = run.one(t.K8S_DEPLOYMENT).inputs
    assert "slipstack.dev/artifact-sha256" not in deployment["metadata"]["annotations"]
    assert "unpackaged" in deployment["metadata"]["annotations"]["slipstack.dev/artifact-status"]
    command = deployment["spec"]["template"]["spec"]["initContainers"][0]["command"]
    assert command[command.index("--sha256") + 1] == "unpackaged-run-slipstack-package"


@pytest.mark.parametrize(("cluster", "secret"), [("existing", True), ("eks", False)])
def test_artifact_store_credentials_on_prem_and_pod_identity_on_eks(
    pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path, cluster: str, secret: bool
) -> None:
    spec = repo_root / "deployments" / "breast-cancer-screening.yaml"
    run = pulumi_run(program(spec, "staging", tmp_path, cluster), stack="staging")
    pod = run.one(t.K8S_DEPLOYMENT).inputs["spec"]["template"]["spec"]
    volumes = {v["name"] for v in pod["volumes"]}
    assert ("artifact-store-credentials" in volumes) is secret
    command = pod["initContainers"][0]["command"]
    # Both targets read the model's artifact bucket of the cloud stack (the model deploys to aws too).
    assert command[command.index("--uri") + 1].startswith("s3://breast-cancer-screening-staging-artifacts-eu-west-1/")
    drift = run.one(t.K8S_CRON_JOB).inputs
    assert drift["spec"]["schedule"] == "0 * * * *"
    job_command = drift["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert job_command[:2] == ["slipstack", "drift"] and "--pushgateway" in job_command
