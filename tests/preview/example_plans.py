"""Plans of the example project before and after a pull request, in the shape `slipstack plan` writes.

Built in code rather than checked in as JSON so each test can vary one thing; the resources carry the
engine's type tokens and camelCase inputs, as the AWS and Kubernetes components register them.
The pull request: breast-cancer-screening 1.0.0 -> 1.1.0, prod gets a third instance, staging gains
an alarm and loses a debug config map, the token in a Kubernetes secret changes (masked).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

PROJECT = "slipstack"
MODEL = "breast-cancer-screening"


def urn(stack: str, type_: str, name: str, parents: tuple[str, ...] = ()) -> str:
    chain = "$".join((*parents, type_))
    return f"urn:pulumi:{stack}::{PROJECT}::{chain}::{name}"


def resource(
    stack: str,
    type_: str,
    name: str,
    inputs: dict[str, Any],
    *,
    parent: tuple[str, str] | None = None,
    dependencies: list[str] | None = None,
    custom: bool = True,
) -> dict[str, Any]:
    parent_urn = urn(stack, parent[0], parent[1]) if parent else None
    parents = (parent[0],) if parent else ()
    return {
        "urn": urn(stack, type_, name, parents),
        "type": type_,
        "name": name,
        "custom": custom,
        "parent": parent_urn,
        "provider": None,
        "dependencies": dependencies or [],
        "inputs": inputs,
    }


def aws_model(stack: str, version: str, instance_type: str, count: int) -> list[dict[str, Any]]:
    component = ("slipstack:aws:SageMakerModel", MODEL)
    key = resource(stack, "aws:kms/key:Key", f"{MODEL}-key", {"enableKeyRotation": True}, parent=component)
    bucket = resource(
        stack, "aws:s3/bucket:Bucket", f"{MODEL}-artifacts", {"bucket": f"{MODEL}-{stack}-artifacts"}, parent=component
    )
    role = resource(stack, "aws:iam/role:Role", f"{MODEL}-role", {"assumeRolePolicy": "{...}"}, parent=component)
    model = resource(
        stack,
        "aws:sagemaker/model:Model",
        f"{MODEL}-model",
        {
            "enableNetworkIsolation": True,
            "executionRoleArn": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
            "primaryContainer": {"modelDataUrl": f"s3://{MODEL}-{stack}-artifacts/{version}/model.tar.gz"},
            "tags": {"slipstack:model-version": version},
        },
        parent=component,
        dependencies=[role["urn"], bucket["urn"]],
    )
    config = resource(
        stack,
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        f"{MODEL}-config",
        {
            "kmsKeyArn": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
            "productionVariants": [
                {
                    "variantName": "AllTraffic",
                    "modelName": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
                    "instanceType": instance_type,
                    "initialInstanceCount": count,
                }
            ],
        },
        parent=component,
        dependencies=[model["urn"], key["urn"]],
    )
    endpoint = resource(
        stack,
        "aws:sagemaker/endpoint:Endpoint",
        f"{MODEL}-endpoint",
        {"endpointConfigName": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"},
        parent=component,
        dependencies=[config["urn"]],
    )
    comp = resource(stack, component[0], component[1], {}, custom=False)
    return [comp, key, bucket, role, model, config, endpoint]


def k8s_model(stack: str, version: str, replicas: int, token: str) -> list[dict[str, Any]]:
    component = ("slipstack:k8s:KubernetesModel", MODEL)
    namespace = f"{MODEL}-{stack}"
    ns = resource(
        stack,
        "kubernetes:core/v1:Namespace",
        f"{MODEL}-ns",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        parent=component,
    )
    secret = resource(
        stack,
        "kubernetes:core/v1:Secret",
        f"{MODEL}-pull",
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pull", "namespace": namespace},
         "stringData": {"token": token}},
        parent=component,
        dependencies=[ns["urn"]],
    )
    deployment = resource(
        stack,
        "kubernetes:apps/v1:Deployment",
        f"{MODEL}-server",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "server", "namespace": namespace, "labels": {"slipstack/model-version": version}},
            "spec": {
                "replicas": replicas,
                "template": {"spec": {"containers": [{"name": "server", "image": f"ghcr.io/slipstack/{MODEL}:{version}",
                                                       "env": [{"name": "API_TOKEN", "value": "[secret]"}]}]}},
            },
        },
        parent=component,
        dependencies=[ns["urn"], secret["urn"]],
    )
    service = resource(
        stack,
        "kubernetes:core/v1:Service",
        f"{MODEL}-service",
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "server", "namespace": namespace},
         "spec": {"ports": [{"port": 8080}]}},
        parent=component,
        dependencies=[deployment["urn"]],
    )
    comp = resource(stack, component[0], component[1], {}, custom=False)
    return [comp, ns, secret, deployment, service]


def eks_cluster(stack: str, desired: int) -> list[dict[str, Any]]:
    component = ("slipstack:aws:EksCluster", "models")
    cluster = resource(stack, "aws:eks/cluster:Cluster", "models-cluster", {"version": "1.31"}, parent=component)
    nodes = resource(
        stack,
        "aws:eks/nodeGroup:NodeGroup",
        "models-nodes",
        {"instanceTypes": ["m6i.large"], "scalingConfig": {"desiredSize": desired, "minSize": 2, "maxSize": 3}},
        parent=component,
        dependencies=[cluster["urn"]],
    )
    comp = resource(stack, component[0], component[1], {}, custom=False)
    return [comp, cluster, nodes]


def plan_document(stack: str, resources: list[dict[str, Any]], version: str) -> dict[str, Any]:
    targets = ["onprem"] if stack == "dev" else ["aws", "onprem"]
    return {
        "format_version": 1,
        "project": PROJECT,
        "stack": stack,
        "environment": stack,
        "targets": targets,
        "region": "eu-west-1",
        "resources": sorted(resources, key=lambda r: r["urn"]),
        "outputs": {"environment": stack, "models": {MODEL: {"version": version, "targets": targets}}},
    }


def example_plans(side: str) -> dict[str, dict[str, Any]]:
    """stack -> plan document, for side "base" or "head"."""
    head = side == "head"
    version = "1.1.0" if head else "1.0.0"
    token = "[secret]"
    dev = plan_document("dev", k8s_model("dev", version, 1, token), version)
    staging_resources = aws_model("staging", version, "ml.m5.large", 1) + eks_cluster("staging", 2)
    staging_resources += k8s_model("staging", version, 2, token)
    debug = resource(
        "staging",
        "kubernetes:core/v1:ConfigMap",
        f"{MODEL}-debug",
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {"LOG_LEVEL": "debug"}},
    )
    alarm = resource(
        "staging",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        f"{MODEL}-latency-p99",
        {"metricName": "ModelLatency", "threshold": 250000, "extendedStatistic": "p99"},
    )
    staging_resources.append(alarm if head else debug)
    staging = plan_document("staging", staging_resources, version)
    prod = plan_document(
        "prod", aws_model("prod", version, "ml.c5.xlarge", 3 if head else 2) + k8s_model("prod", version, 2, token),
        version,
    )
    if not head:
        # The base carried the registry token in plain text; the head marks it secret. Neither value may show.
        for document in (dev, staging, prod):
            for r in document["resources"]:
                if r["type"] == "kubernetes:core/v1:Secret":
                    r["inputs"]["stringData"]["token"] = "ghp_plaintextTokenThatMustNotLeak"
    return {"dev": dev, "staging": staging, "prod": prod}


def example_verdicts(side: str) -> dict[str, dict[str, Any] | None]:
    """stack -> policy.json content; None means the file is missing."""
    staging_urn = urn("staging", "aws:s3/bucket:Bucket", f"{MODEL}-artifacts", ("slipstack:aws:SageMakerModel",))
    staging = {
        "violations": [
            {
                "policy": "s3-access-logging",
                "enforcement": "advisory",
                "urn": staging_urn,
                "type": "aws:s3/bucket:Bucket",
                "message": "bucket has no access logging; add a BucketLogging to the access log bucket",
            }
        ],
        "policies_run": 40,
        "resources_checked": 19,
    }
    if side == "head":
        staging["violations"].append(
            {
                "policy": "sagemaker-endpoint-config-kms",
                "enforcement": "mandatory",
                "urn": urn(
                    "staging",
                    "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
                    f"{MODEL}-config",
                    ("slipstack:aws:SageMakerModel",),
                ),
                "type": "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
                "message": "kmsKeyArn is not set: set a customer-managed KMS key for the endpoint storage",
            }
        )
    return {
        "dev": None,
        "staging": staging,
        "prod": {"violations": [], "policies_run": 40, "resources_checked": 12},
    }


def write_plan_set(
    root: Path,
    plans: dict[str, dict[str, Any]],
    verdicts: dict[str, dict[str, Any] | None] | None = None,
) -> Path:
    for stack, document in plans.items():
        folder = root / stack
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "plan.json").write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        verdict = (verdicts or {}).get(stack)
        if verdict is not None:
            (folder / "policy.json").write_text(json.dumps(verdict, indent=2) + "\n")
    return root


def write_example(root: Path) -> tuple[Path, Path]:
    base = write_plan_set(root / "base", example_plans("base"), example_verdicts("base"))
    head = write_plan_set(root / "head", example_plans("head"), example_verdicts("head"))
    return base, head


def clone(document: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(document)
