"""An EKS cluster for the Kubernetes target on AWS: control plane, managed node group and their roles.

Creates: the cluster role (trusted by eks.amazonaws.com for this account only, AmazonEKSClusterPolicy)
with an inline policy to use the secrets key; the control-plane `aws.cloudwatch.LogGroup`
(`/aws/eks/<name>/cluster`, retention and KMS, created first so EKS does not create one that never
expires); `aws.eks.Cluster` (private API endpoint, public only for the given CIDRs, all five control-plane
log types, secrets envelope-encrypted with the KMS key, access entries with the creator as admin);
the node role (EKS worker, CNI and ECR read-only managed policies, the allowlisted ones) and an
`aws.eks.NodeGroup`. EC2 does not send `aws:SourceAccount` when it assumes an instance role, so the
node role's trust cannot carry that condition (IAM-TRUST asks it of the services that send it).
`oidc_issuer_url` is the cluster's OIDC issuer, which IRSA roles (see load_balancer_controller.py) trust.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
NODE_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
)


@dataclass(frozen=True)
class EksClusterArgs:
    cluster_name: str
    account_id: pulumi.Input[str]
    kubernetes_version: str
    subnet_ids: Sequence[str]
    secrets_kms_key_arn: pulumi.Input[str]
    public_access_cidrs: Sequence[str] = ()
    node_instance_type: str = "m6i.large"
    node_min: int = 2
    node_max: int = 4
    node_desired: int = 2
    log_retention_days: int = 90
    # The VPC CNI add-on version (v1.14+: the network policy agent); None: EKS's default for kubernetes_version.
    vpc_cni_version: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)


# The VPC CNI enforces NetworkPolicies only with its network policy agent switched on; without it every
# model namespace's default-deny is silently ignored.
VPC_CNI_CONFIGURATION = {"enableNetworkPolicy": "true"}


class EksCluster(pulumi.ComponentResource):
    cluster: aws.eks.Cluster

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:EksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster_role = aws.iam.Role(
            f"{name}-cluster-role",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(
                lambda account: json.dumps({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]})
            ),
            managed_policy_arns=["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"],
            tags=args.tags,
            opts=child,
        )
        key_use = aws.iam.RolePolicy(
            f"{name}-cluster-key",
            role=cluster_role.id,
            policy=pulumi.Output.from_input(args.secrets_kms_key_arn).apply(
                lambda key: json.dumps({"Version": "2012-10-17", "Statement": [{
                    "Sid": "EncryptSecrets", "Effect": "Allow",
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"],
                    "Resource": [key]}]})
            ),
            opts=child,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.secrets_kms_key_arn,
            tags=args.tags,
            opts=child,
        )
        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config={
                "subnet_ids": list(args.subnet_ids),
                "endpoint_private_access": True,
                "endpoint_public_access": bool(args.public_access_cidrs),
                "public_access_cidrs": list(args.public_access_cidrs) or None,
            },
            enabled_cluster_log_types=list(LOG_TYPES),
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": args.secrets_kms_key_arn}},
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": True},
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, key_use]),
        )
        node_role = aws.iam.Role(
            f"{name}-node-role",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
            tags=dict(args.tags),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(f"{name}-node-policy-{index}", role=node_role.name, policy_arn=arn,
                                         opts=child)
            for index, arn in enumerate(NODE_POLICIES)
        ]
        self.node_group = aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=self.cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=list(args.subnet_ids),
            instance_types=[args.node_instance_type],
            scaling_config={"min_size": args.node_min, "max_size": args.node_max,
                            "desired_size": args.node_desired},
            update_config={"max_unavailable": 1},
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )
        self.vpc_cni = aws.eks.Addon(
            f"{name}-vpc-cni",
            cluster_name=self.cluster.name,
            addon_name="vpc-cni",
            addon_version=args.vpc_cni_version,
            configuration_values=json.dumps(VPC_CNI_CONFIGURATION),
            # The cluster creates the add-on itself; take it over with our configuration instead of failing.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.node_group]),
        )
        self.kubeconfig = pulumi.Output.all(
            self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data
        ).apply(lambda v: kubeconfig(v[0], v[1], v[2]))
        self.cluster_security_group_id = self.cluster.vpc_config.cluster_security_group_id
        # The issuer IAM trusts for IRSA (ServiceAccounts assuming roles, e.g. the load balancer controller).
        self.oidc_issuer_url: pulumi.Output[str] = self.cluster.identities.apply(oidc_issuer)
        self.register_outputs({"cluster_name": self.cluster.name, "endpoint": self.cluster.endpoint,
                               "oidc_issuer_url": self.oidc_issuer_url})


def oidc_issuer(identities: Any) -> str:
    """The cluster's OIDC issuer URL from `identities[0].oidcs[0].issuer` (typed objects or plain dicts)."""
    def part(value: Any, key: str) -> Any:
        return value[key] if isinstance(value, dict) else getattr(value, key)

    return str(part(part(identities[0], "oidcs")[0], "issuer"))


def kubeconfig(cluster: str, endpoint: str, certificate_authority: str) -> str:
    """A kubeconfig that authenticates with `aws eks get-token` (no long-lived credentials in state)."""
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": cluster,
        "clusters": [{"name": cluster, "cluster": {"server": endpoint,
                                                    "certificate-authority-data": certificate_authority}}],
        "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": cluster}}],
        "users": [{"name": cluster, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster]}}}],
    })
