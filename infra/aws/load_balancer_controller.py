"""The AWS Load Balancer Controller on an EKS cluster, with its own least-privilege IAM identity (IRSA).

Creates:
- `aws.iam.OpenIdConnectProvider` for the cluster's OIDC issuer (audience sts.amazonaws.com), so
  Kubernetes ServiceAccounts can assume IAM roles. No thumbprint: IAM trusts EKS issuers through its
  own CA library, and a pinned thumbprint would break at the next certificate rotation.
- `aws.iam.Role` assumable only with a web identity token of that provider, for exactly one
  ServiceAccount (`sub` condition) and only for STS (`aud` condition);
- `aws.iam.RolePolicy`: the controller's permissions, following the official policy of the pinned
  controller release (`docs/install/iam_policy.json`) action for action, with every resource it lets be
  scoped pinned to this account and region, and its tag conditions kept (the controller may only change
  load balancers and security groups that carry its `elbv2.k8s.aws/cluster` tag). Read-only Describe
  calls and a few list/subscription calls are authorised by AWS on Resource "*" only;
- `kubernetes:helm.sh/v3:Release` of the `aws-load-balancer-controller` chart from the eks-charts
  repository at a pinned version (its CRDs include TargetGroupBinding), through the given Kubernetes
  provider, with hardened pod settings.

`release` is what TargetGroupBindings must depend on: without a running controller (and its CRD) a
binding is never reconciled and the load balancer never gets targets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.aws.service_account_role import STS_AUDIENCE, trust_policy

CHART = "aws-load-balancer-controller"
CHART_REPOSITORY = "https://aws.github.io/eks-charts"
# Chart 1.14.0 installs controller v2.14.0; POLICY_STATEMENTS follow that release's iam_policy.json.
# Upgrade both together: a newer controller calls APIs an older policy does not grant.
CHART_VERSION = "1.14.0"
CLUSTER_TAG = "elbv2.k8s.aws/cluster"


@dataclass(frozen=True)
class LoadBalancerControllerArgs:
    cluster_name: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]  # https://oidc.eks.<region>.amazonaws.com/id/<id>
    account_id: pulumi.Input[str]
    region: str
    vpc_id: str
    kubernetes_provider: k8s.Provider
    role_name: str
    partition: str = "aws"
    namespace: str = "kube-system"
    service_account_name: str = "aws-load-balancer-controller"
    chart_version: str = CHART_VERSION
    replicas: int = 2  # a second replica keeps TargetGroupBindings reconciled through a node drain
    tags: dict[str, str] = field(default_factory=dict)


def policy_statements(partition: str, region: str, account: str, vpc_id: str) -> list[dict[str, Any]]:
    """The official controller policy's statements, scoped to one account, region and VPC where AWS allows."""
    arn = f"arn:{partition}"
    elb = f"{arn}:elasticloadbalancing:{region}:{account}"
    security_groups = f"{arn}:ec2:{region}:{account}:security-group/*"
    # Where the official policy says "*" for load balancer writes: every ELB resource of this account and
    # region (load balancers, listeners, rules, target groups, trust stores), nothing elsewhere.
    elb_here = f"{elb}:*"
    balancers_and_groups = [f"{elb}:targetgroup/*/*", f"{elb}:loadbalancer/net/*/*", f"{elb}:loadbalancer/app/*/*"]
    owned = {"Null": {f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}
    tagging_existing = {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "true", f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}
    return [
        {"Sid": "CreateElbServiceLinkedRole", "Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole"],
         "Resource": f"{arn}:iam::{account}:role/aws-service-role/elasticloadbalancing.amazonaws.com/"
                     "AWSServiceRoleForElasticLoadBalancing",
         "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}},
        # Describe/Get calls: AWS authorises these on "*" only (no resource-level permissions).
        {"Sid": "DescribeNetworkAndLoadBalancers", "Effect": "Allow", "Action": [
            "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
            "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
            "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
            "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools",
            "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools", "ec2:DescribeRouteTables",
            "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
            "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:DescribeListenerAttributes",
            "elasticloadbalancing:DescribeCapacityReservation",
        ], "Resource": "*"},
        {"Sid": "CertificatesWafAndShield", "Effect": "Allow", "Action": [
            "cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate",
            "iam:ListServerCertificates", "iam:GetServerCertificate",
            "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL",
            "waf-regional:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource",
            "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "shield:GetSubscriptionState",
            "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection",
        ], "Resource": "*"},
        {"Sid": "OpenPortsToTargets", "Effect": "Allow",
         "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
         "Resource": security_groups},
        {"Sid": "CreateSecurityGroupsInTheClusterVpc", "Effect": "Allow", "Action": ["ec2:CreateSecurityGroup"],
         "Resource": [security_groups, f"{arn}:ec2:{region}:{account}:vpc/{vpc_id}"]},
        {"Sid": "TagNewSecurityGroups", "Effect": "Allow", "Action": ["ec2:CreateTags"], "Resource": security_groups,
         "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"},
                       "Null": {f"aws:RequestTag/{CLUSTER_TAG}": "false"}}},
        {"Sid": "RetagOwnedSecurityGroups", "Effect": "Allow", "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
         "Resource": security_groups, "Condition": tagging_existing},
        {"Sid": "ManageOwnedSecurityGroups", "Effect": "Allow",
         "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"],
         "Resource": security_groups, "Condition": owned},
        {"Sid": "CreateTaggedLoadBalancers", "Effect": "Allow",
         "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
         "Resource": elb_here, "Condition": {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "false"}}},
        {"Sid": "ManageListenersAndRules", "Effect": "Allow", "Action": [
            "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule",
        ], "Resource": elb_here},
        {"Sid": "RetagOwnedLoadBalancers", "Effect": "Allow",
         "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
         "Resource": balancers_and_groups, "Condition": tagging_existing},
        {"Sid": "TagListenersAndRules", "Effect": "Allow",
         "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
         "Resource": [f"{elb}:listener/net/*/*/*", f"{elb}:listener/app/*/*/*", f"{elb}:listener-rule/net/*/*/*",
                      f"{elb}:listener-rule/app/*/*/*"]},
        {"Sid": "ModifyOwnedLoadBalancers", "Effect": "Allow", "Action": [
            "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
            "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
            "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyCapacityReservation",
            "elasticloadbalancing:ModifyIpPools",
        ], "Resource": elb_here, "Condition": owned},
        {"Sid": "TagOnCreate", "Effect": "Allow", "Action": ["elasticloadbalancing:AddTags"],
         "Resource": balancers_and_groups,
         "Condition": {"StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup",
                                                                               "CreateLoadBalancer"]},
                       "Null": {f"aws:RequestTag/{CLUSTER_TAG}": "false"}}},
        # What a TargetGroupBinding needs: register and deregister pod IPs in this account's target groups.
        {"Sid": "RegisterPodTargets", "Effect": "Allow",
         "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
         "Resource": f"{elb}:targetgroup/*/*"},
        {"Sid": "ManageListenerSettings", "Effect": "Allow", "Action": [
            "elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
            "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities",
        ], "Resource": elb_here},
    ]


def controller_values(args: LoadBalancerControllerArgs, role_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Chart values: IRSA, explicit region and VPC (no instance metadata lookups), hardened pods."""
    return {
        "clusterName": args.cluster_name,
        "region": args.region,
        "vpcId": args.vpc_id,
        "replicaCount": args.replicas,
        "serviceAccount": {
            "create": True,
            "name": args.service_account_name,
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
        },
        "podSecurityContext": {
            "fsGroup": 65534,
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "hostNetwork": False,
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "podDisruptionBudget": {"maxUnavailable": 1},
        # Services of type LoadBalancer are refused by policy (K8S-SVC-EXPOSURE): no need for the webhook
        # that would turn them into NLBs.
        "enableServiceMutatorWebhook": False,
        # Anything the controller creates is tagged like the rest of the stack.
        "defaultTags": dict(args.tags),
    }


class LoadBalancerController(pulumi.ComponentResource):
    oidc_provider: aws.iam.OpenIdConnectProvider
    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: LoadBalancerControllerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:LoadBalancerController", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=args.oidc_issuer_url,
            client_id_lists=[STS_AUDIENCE],
            tags=args.tags,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            assume_role_policy=pulumi.Output.all(self.oidc_provider.arn, args.oidc_issuer_url).apply(
                lambda values: trust_policy(
                    values[0], values[1], args.namespace, args.service_account_name, sid="ControllerServiceAccountOnly"
                )
            ),
            tags=args.tags,
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=pulumi.Output.from_input(args.account_id).apply(
                lambda account: json.dumps({"Version": "2012-10-17", "Statement": policy_statements(
                    args.partition, args.region, account, args.vpc_id)}, separators=(",", ":"))
            ),
            opts=child,
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=CHART,
            chart=CHART,
            version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            namespace=args.namespace,
            values=controller_values(args, self.role.arn),
            # Roll back a failed install or upgrade instead of leaving a half-configured controller.
            atomic=True,
            cleanup_on_fail=True,
            timeout=600,
            # The pods must be able to assume the role as soon as they start.
            opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[self.policy]),
        )
        self.register_outputs({"role_arn": self.role.arn, "release_status": self.release.status})
