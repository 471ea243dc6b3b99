"""LoadBalancerController: OIDC provider, IRSA trust, the scoped controller policy and the Helm release."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contracts import type_tokens as t

OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
VPC = "vpc-0123456789abcdef0"


@pytest.fixture
def run(pulumi_run: Any) -> Any:
    def program() -> dict[str, Any]:
        import pulumi_kubernetes as k8s

        from infra.aws.load_balancer_controller import LoadBalancerController, LoadBalancerControllerArgs

        provider = k8s.Provider("cluster", kubeconfig="{}")
        controller = LoadBalancerController("lbc", LoadBalancerControllerArgs(
            cluster_name="slipstack-staging", oidc_issuer_url=ISSUER, account_id="123456789012",
            region="eu-west-1", vpc_id=VPC, kubernetes_provider=provider, role_name="slipstack-staging-lbc",
            tags={"owner": "platform"}))
        return {"oidc_provider_arn": controller.oidc_provider.arn, "role_arn": controller.role.arn}

    return pulumi_run(program)


def test_oidc_provider_trusts_the_cluster_issuer_for_sts(run: Any) -> None:
    provider = run.one(OIDC_PROVIDER).inputs
    assert provider["url"] == ISSUER
    assert provider["clientIdLists"] == ["sts.amazonaws.com"]
    assert "thumbprintLists" not in provider  # IAM trusts EKS issuers through its CA library


def test_role_is_assumable_only_by_the_controller_service_account(run: Any) -> None:
    role = run.one(t.IAM_ROLE)
    assert run.outputs["oidc_provider_arn"].startswith("arn:aws:iam")
    assert run.outputs["role_arn"] == "arn:aws:iam::123456789012:role/slipstack-staging-lbc"
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Federated": run.outputs["oidc_provider_arn"]}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    issuer = ISSUER.removeprefix("https://")
    assert statement["Condition"] == {"StringEquals": {
        f"{issuer}:sub": "system:serviceaccount:kube-system:aws-load-balancer-controller",
        f"{issuer}:aud": "sts.amazonaws.com",
    }}
    assert role.inputs["name"] == "slipstack-staging-lbc"
    assert "managedPolicyArns" not in role.inputs


def _statements(run: Any) -> dict[str, dict[str, Any]]:
    document = json.loads(run.one(t.IAM_ROLE_POLICY).inputs["policy"])
    return {s["Sid"]: s for s in document["Statement"]}


def test_policy_follows_the_official_actions_without_wildcards(run: Any) -> None:
    statements = _statements(run)
    actions = {a for s in statements.values() for a in s["Action"]}
    assert not [a for a in actions if "*" in a]
    assert all(s["Effect"] == "Allow" for s in statements.values())
    # What a TargetGroupBinding needs, and what v2.14 added over older policies.
    assert {"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
            "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeListenerAttributes",
            "elasticloadbalancing:SetRulePriorities", "ec2:GetSecurityGroupsForVpc"} <= actions
    assert not {"iam:PassRole", "iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"} & actions
    # An inline role policy may hold 10,240 characters.
    assert len(run.one(t.IAM_ROLE_POLICY).inputs["policy"]) < 10_240


def test_policy_scopes_resources_to_this_account_region_and_vpc(run: Any) -> None:
    statements = _statements(run)
    elb = "arn:aws:elasticloadbalancing:eu-west-1:123456789012"
    assert statements["RegisterPodTargets"]["Resource"] == f"{elb}:targetgroup/*/*"
    assert statements["CreateSecurityGroupsInTheClusterVpc"]["Resource"] == [
        "arn:aws:ec2:eu-west-1:123456789012:security-group/*", f"arn:aws:ec2:eu-west-1:123456789012:vpc/{VPC}"]
    assert statements["CreateElbServiceLinkedRole"]["Resource"].startswith(
        "arn:aws:iam::123456789012:role/aws-service-role/elasticloadbalancing.amazonaws.com/")
    assert statements["CreateElbServiceLinkedRole"]["Condition"] == {
        "StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}
    for statement in statements.values():
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            assert resource == "*" or ":eu-west-1:123456789012:" in resource or "::123456789012:" in resource, (
                statement["Sid"], resource)
    # Only read-only and list calls (which AWS authorises on "*" only) keep Resource "*".
    assert sorted(sid for sid, s in statements.items() if s["Resource"] == "*") == [
        "CertificatesWafAndShield", "DescribeNetworkAndLoadBalancers"]
    assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in
               statements["DescribeNetworkAndLoadBalancers"]["Action"])


def test_policy_keeps_the_official_tag_conditions(run: Any) -> None:
    statements = _statements(run)
    owned = {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}
    assert statements["ModifyOwnedLoadBalancers"]["Condition"] == owned
    assert statements["ManageOwnedSecurityGroups"]["Condition"] == owned
    assert statements["CreateTaggedLoadBalancers"]["Condition"] == {
        "Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}}
    assert statements["TagNewSecurityGroups"]["Condition"]["StringEquals"] == {
        "ec2:CreateAction": "CreateSecurityGroup"}
    assert statements["TagOnCreate"]["Condition"]["StringEquals"] == {
        "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]}
    assert "elasticloadbalancing:DeleteLoadBalancer" in statements["ModifyOwnedLoadBalancers"]["Action"]


def test_release_is_pinned_uses_irsa_and_hardened_pods(run: Any) -> None:
    release = run.one(HELM_RELEASE)
    inputs = release.inputs
    assert inputs["chart"] == "aws-load-balancer-controller"
    assert inputs["repositoryOpts"] == {"repo": "https://aws.github.io/eks-charts"}
    assert inputs["version"] == "1.14.0"
    assert inputs["namespace"] == "kube-system" and inputs["atomic"] is True
    values = inputs["values"]
    assert (values["clusterName"], values["region"], values["vpcId"]) == ("slipstack-staging", "eu-west-1", VPC)
    assert values["serviceAccount"]["name"] == "aws-load-balancer-controller"
    assert values["serviceAccount"]["annotations"] == {"eks.amazonaws.com/role-arn": run.outputs["role_arn"]}
    container = values["securityContext"]
    assert container["readOnlyRootFilesystem"] is True and container["allowPrivilegeEscalation"] is False
    assert container["runAsNonRoot"] is True and container["capabilities"] == {"drop": ["ALL"]}
    assert values["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert values["hostNetwork"] is False and values["replicaCount"] == 2
    assert values["resources"]["limits"]["memory"] and values["resources"]["requests"]["cpu"]
    assert values["defaultTags"] == {"owner": "platform"}
    # Deployed through the cluster's provider, after the role can be assumed with its permissions.
    provider = next(r for r in run.resources if r.type == "pulumi:providers:kubernetes")
    assert release.provider.startswith(provider.urn)
    assert run.one(t.IAM_ROLE_POLICY).urn in release.dependencies


def test_partition_region_and_account_come_from_the_arguments() -> None:
    from infra.aws.load_balancer_controller import policy_statements

    statements = policy_statements("aws-cn", "cn-north-1", "210987654321", "vpc-1")
    text = json.dumps(statements)
    assert "arn:aws:" not in text and "arn:aws-cn:elasticloadbalancing:cn-north-1:210987654321:" in text
