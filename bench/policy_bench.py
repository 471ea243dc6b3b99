"""Benchmark: `slipstack policy` on a synthetic plan of ~100 model specs (~5,000 resources).

Builds a plan from a mix of realistic resource props (a SageMaker model stack and a Kubernetes
model stack per spec, plus stack-level providers), writes it to a temporary file, then times
loading the plan and evaluating the full pack separately. Run: .venv/bin/python bench/policy_bench.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policies.catalog import all_rules
from policies.offline import evaluate_plan, load_plan

SHA = "ab" * 32
STATEMENT = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/models/*"}


def _res(
    stack: str, type_: str, name: str, inputs: dict[str, Any], deps: tuple[str, ...] | list[str] = ()
) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:{stack}::slipstack::{type_}::{name}",
        "type": type_,
        "name": name,
        "parent": None,
        "inputs": inputs,
        "dependencies": list(deps),
    }


def aws_model(stack: str, i: int) -> list[dict[str, Any]]:
    n = f"m{i}"
    tags = {"slipstack:artifact-sha256": SHA, "slipstack:data-classification": "internal"}
    out = [
        _res(
            stack,
            "aws:kms/key:Key",
            f"{n}-key",
            {
                "enableKeyRotation": True,
                "policy": json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": "arn:aws:iam::1:root"},
                                "Action": "kms:*",
                                "Resource": "*",
                            }
                        ]
                    }
                ),
                "tags": tags,
            },
        ),
        _res(stack, "aws:s3/bucket:Bucket", f"{n}-bucket", {"bucket": f"{n}-bucket", "tags": tags}),
    ]
    key, bucket = out[0]["urn"], out[1]["urn"]
    out += [
        _res(
            stack,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            f"{n}-pab",
            {
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            [bucket],
        ),
        _res(
            stack,
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            f"{n}-sse",
            {
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:k"},
                        "bucketKeyEnabled": True,
                    }
                ]
            },
            [bucket, key],
        ),
        _res(
            stack,
            "aws:s3/bucketVersioning:BucketVersioning",
            f"{n}-ver",
            {"versioningConfiguration": {"status": "Enabled"}},
            [bucket],
        ),
        _res(
            stack,
            "aws:s3/bucketPolicy:BucketPolicy",
            f"{n}-bp",
            {
                "policy": json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": ["arn:b", "arn:b/*"],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ]
                    }
                )
            },
            [bucket],
        ),
        _res(
            stack,
            "aws:s3/bucketLogging:BucketLogging",
            f"{n}-log",
            {"bucket": f"{n}-bucket", "targetBucket": "logs"},
            [bucket],
        ),
        _res(
            stack,
            "aws:iam/role:Role",
            f"{n}-role",
            {
                "assumeRolePolicy": json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "sagemaker.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"aws:SourceAccount": "1"}},
                            }
                        ]
                    }
                ),
                "inlinePolicies": [{"name": "p", "policy": json.dumps({"Statement": [STATEMENT]})}],
                "tags": tags,
            },
        ),
    ]
    role = out[-1]["urn"]
    out += [
        _res(
            stack,
            "aws:sagemaker/model:Model",
            f"{n}-model",
            {
                "executionRoleArn": "arn:r",
                "enableNetworkIsolation": True,
                "vpcConfig": {"subnets": ["a", "b"], "securityGroupIds": ["sg"]},
                "tags": tags,
            },
            [role],
        ),
        _res(
            stack,
            "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
            f"{n}-epc",
            {
                "kmsKeyArn": "arn:k",
                "productionVariants": [
                    {"variantName": "main", "instanceType": "ml.m5.large", "initialInstanceCount": 2}
                ],
                "dataCaptureConfig": {"enableCapture": True, "kmsKeyId": "arn:k"},
                "tags": tags,
            },
        ),
    ]
    epc = out[-1]["urn"]
    out.append(
        _res(
            stack,
            "aws:sagemaker/endpoint:Endpoint",
            f"{n}-ep",
            {"deploymentConfig": {"autoRollbackConfiguration": {"alarms": [{"alarmName": "a"}]}}, "tags": tags},
            [epc],
        )
    )
    ep = out[-1]["urn"]
    for metric in ("Invocation5XXErrors", "ModelLatency", "DriftScoreMax"):
        out.append(
            _res(
                stack,
                "aws:cloudwatch/metricAlarm:MetricAlarm",
                f"{n}-{metric}",
                {"metricName": metric, "alarmActions": ["arn:topic"], "actionsEnabled": True},
                [ep],
            )
        )
    out.append(
        _res(
            stack,
            "aws:appautoscaling/target:Target",
            f"{n}-aas",
            {"scalableDimension": "sagemaker:variant:DesiredInstanceCount", "minCapacity": 2, "maxCapacity": 6},
            [ep],
        )
    )
    out.append(
        _res(
            stack,
            "aws:appautoscaling/policy:Policy",
            f"{n}-aasp",
            {"policyType": "TargetTrackingScaling"},
            [out[-1]["urn"]],
        )
    )
    out.append(
        _res(stack, "aws:cloudwatch/logGroup:LogGroup", f"{n}-logs", {"retentionInDays": 30, "kmsKeyId": "arn:k"})
    )
    out.append(_res(stack, "aws:sns/topic:Topic", f"{n}-topic", {"kmsMasterKeyId": "arn:k"}))
    return out


def k8s_model(stack: str, i: int) -> list[dict[str, Any]]:
    ns = f"model-{i}"
    meta = {"namespace": ns, "name": f"m{i}", "annotations": {"slipstack.dev/artifact-sha256": SHA}}
    container = {
        "name": "model",
        "image": "registry/model:1@sha256:" + SHA,
        "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
        "readinessProbe": {"httpGet": {"path": "/v2/health/ready", "port": 8080}},
        "livenessProbe": {"httpGet": {"path": "/v2/health/live", "port": 8080}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    pod = {
        "serviceAccountName": "model",
        "automountServiceAccountToken": False,
        "containers": [container],
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
    }
    return [
        _res(
            stack,
            "kubernetes:core/v1:Namespace",
            ns,
            {"metadata": {"name": ns, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}},
        ),
        _res(
            stack,
            "kubernetes:core/v1:ServiceAccount",
            f"{ns}-sa",
            {"metadata": {"namespace": ns, "name": "model"}, "automountServiceAccountToken": False},
        ),
        _res(
            stack,
            "kubernetes:apps/v1:Deployment",
            f"{ns}-dep",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": meta,
                "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": f"m{i}"}}, "spec": pod}},
            },
        ),
        _res(
            stack,
            "kubernetes:core/v1:Service",
            f"{ns}-svc",
            {"metadata": {"namespace": ns}, "spec": {"type": "ClusterIP"}},
        ),
        _res(
            stack,
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            f"{ns}-deny",
            {"metadata": {"namespace": ns}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
        ),
        _res(
            stack,
            "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
            f"{ns}-hpa",
            {
                "metadata": {"namespace": ns},
                "spec": {"minReplicas": 2, "maxReplicas": 6, "scaleTargetRef": {"kind": "Deployment", "name": f"m{i}"}},
            },
        ),
        _res(
            stack,
            "kubernetes:policy/v1:PodDisruptionBudget",
            f"{ns}-pdb",
            {
                "metadata": {"namespace": ns},
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": f"m{i}"}}},
            },
        ),
        _res(
            stack,
            "kubernetes:rbac.authorization.k8s.io/v1:Role",
            f"{ns}-role",
            {
                "metadata": {"namespace": ns},
                "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
            },
        ),
        _res(
            stack, "kubernetes:core/v1:ConfigMap", f"{ns}-settings", {"metadata": {"namespace": ns}, "data": {"k": "v"}}
        ),
    ]


def synthetic_plan(specs: int) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for _spec in range(specs):
        # Each spec deploys to both targets and carries its own copies, as 100 stacks merged would.
        for _ in range(2):
            resources += aws_model("prod", len(resources))
        for _ in range(2):
            resources += k8s_model("prod", len(resources))
    return {
        "format_version": 1,
        "stack": "prod",
        "project": "slipstack",
        "environment": "prod",
        "targets": ["aws", "onprem"],
        "resources": resources,
        "outputs": {},
    }


def main() -> None:
    specs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    all_rules()  # import the rules once, as the CLI does before it reads the plan
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.json"
        path.write_text(json.dumps(synthetic_plan(specs)))
        size = path.stat().st_size
        start = time.perf_counter()
        plan = load_plan(path)
        loaded = time.perf_counter()
        report = evaluate_plan(plan)
        done = time.perf_counter()
    print(f"specs={specs} resources={len(plan['resources'])} plan_bytes={size} rules={report.policies_run}")
    print(f"load_s={loaded - start:.3f} evaluate_s={done - loaded:.3f} (target < 2 s)")
    print(f"violations={len(report.violations)} mandatory={len(report.mandatory)}")
    for violation in report.violations[:5]:
        print("  ", violation.policy, violation.urn.rsplit("::", 1)[-1], violation.message)


if __name__ == "__main__":
    main()
