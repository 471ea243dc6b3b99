"""The shipped stacks' plans contain what the AWS issue lists (dev has no AWS target)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from contracts import type_tokens as t


def counts(plan: dict[str, Any]) -> Counter[str]:
    return Counter(resource["type"] for resource in plan["resources"])


def test_prod_plan_has_the_sagemaker_stack(shipped_plan: Any) -> None:
    found = counts(shipped_plan("prod"))
    for token in (t.KMS_KEY, t.KMS_ALIAS, t.S3_BUCKET, t.S3_LOGGING, t.IAM_ROLE, t.IAM_ROLE_POLICY, t.IAM_POLICY,
                  t.SM_MODEL, t.SM_ENDPOINT_CONFIG, t.SM_ENDPOINT, t.SM_MODEL_PACKAGE_GROUP, t.AAS_TARGET,
                  t.AAS_POLICY, t.SNS_TOPIC, t.SNS_TOPIC_POLICY, t.CW_LOG_GROUP, t.CW_DASHBOARD):
        assert found[token] >= 1, token
    assert found[t.CW_METRIC_ALARM] >= 7
    assert found[t.S3_BUCKET] == 2  # artifacts + the stack's access-log bucket
    endpoint = next(r for r in shipped_plan("prod")["resources"] if r["type"] == t.SM_ENDPOINT)
    assert endpoint["inputs"]["name"] == "breast-cancer-screening-prod"


def test_staging_plan_has_eks_and_the_load_balancer(shipped_plan: Any) -> None:
    plan = shipped_plan("staging")
    found = counts(plan)
    for token in (t.EKS_CLUSTER, t.EKS_NODE_GROUP, t.LB_LOAD_BALANCER, t.SM_ENDPOINT):
        assert found[token] == 1, token
    assert found[t.LB_LISTENER] == 2
    assert found["kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"] == 1
    cluster = next(r for r in plan["resources"] if r["type"] == t.EKS_CLUSTER)["inputs"]
    assert cluster["vpcConfig"]["endpointPublicAccess"] is False
    assert sorted(cluster["enabledClusterLogTypes"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"])
    assert cluster["encryptionConfig"]["resources"] == ["secrets"]
    listeners = [r["inputs"] for r in plan["resources"] if r["type"] == t.LB_LISTENER]
    https = next(listener for listener in listeners if listener["protocol"] == "HTTPS")
    assert https["sslPolicy"].startswith("ELBSecurityPolicy-TLS13") and https["certificateArn"]
    http = next(listener for listener in listeners if listener["protocol"] == "HTTP")
    assert http["defaultActions"][0]["redirect"]["protocol"] == "HTTPS"
    alb = next(r for r in plan["resources"] if r["type"] == t.LB_LOAD_BALANCER)["inputs"]
    assert alb["dropInvalidHeaderFields"] is True and alb["accessLogs"]["enabled"] is True


def test_dev_plan_creates_no_sagemaker(shipped_plan: Any) -> None:
    assert not [r for r in shipped_plan("dev")["resources"] if r["type"].startswith("aws:sagemaker")]


def test_staging_eks_installs_the_load_balancer_controller_before_the_bindings(shipped_plan: Any) -> None:
    resources = shipped_plan("staging")["resources"]
    by_type = counts(shipped_plan("staging"))
    assert by_type["aws:iam/openIdConnectProvider:OpenIdConnectProvider"] == 1
    # The other releases (Prometheus Operator, Pushgateway) are tests/stacks/test_eks_cluster.py's.
    (release,) = [r for r in resources if r["type"] == "kubernetes:helm.sh/v3:Release"
                  and r["inputs"]["chart"] == "aws-load-balancer-controller"]
    values = release["inputs"]["values"]
    assert values["clusterName"] == "slipstack-staging"
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].endswith(
        ":role/slipstack-staging-lb-controller")
    provider = next(r for r in resources if r["type"] == "pulumi:providers:kubernetes" and r["name"] == "kubernetes")
    assert release["provider"] == provider["urn"]
    (binding,) = [r for r in resources if r["type"] == "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"]
    assert release["urn"] in binding["dependencies"]
    cluster = next(r for r in resources if r["type"] == t.EKS_CLUSTER)
    oidc = next(r for r in resources if r["type"] == "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc["inputs"]["url"].startswith("https://oidc.eks.eu-west-1.amazonaws.com/id/")
    assert cluster["urn"] in oidc["dependencies"]
