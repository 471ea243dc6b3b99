"""The stack's EKS cluster and load balancer, when `kubernetes.cluster` is `eks`.

One per stack: `stack_eks(context)` creates the KMS key for Kubernetes secrets, the cluster and node
group; `expose_model_on_alb` creates, on first use, the ALB (its HTTPS listener needs a certificate, which
comes from the first model's `security.tls.acm_certificate_arn`) and the AWS Load Balancer Controller
(which reconciles TargetGroupBindings), and puts one model's Service behind the ALB.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from contracts import tags as tag_keys
from contracts.errors import SlipstackError
from deployment_spec import ResolvedSpec
from infra.aws.application_load_balancer import ApplicationLoadBalancer, ApplicationLoadBalancerArgs
from infra.aws.eks_cluster import EksCluster, EksClusterArgs
from infra.aws.load_balancer_controller import LoadBalancerController, LoadBalancerControllerArgs
from infra.aws.model_kms_key import ModelKmsKey, ModelKmsKeyArgs
from stacks.aws_model import stack_access_log_bucket
from stacks.context import StackContext, aws_tags


class EksPlacementError(SlipstackError):
    exit_code = 2


@dataclass
class StackEks:
    context: StackContext
    cluster: EksCluster
    load_balancer: ApplicationLoadBalancer | None = None
    controller: LoadBalancerController | None = None


_CLUSTERS: dict[int, StackEks] = {}


def stack_eks(context: StackContext) -> StackEks:
    entry = _CLUSTERS.get(id(context))
    if entry is not None and entry.context is context:
        return entry
    config = context.config
    settings = config.kubernetes.eks
    if not config.aws.vpc_id or len(config.aws.private_subnet_ids) < 2:
        raise EksPlacementError(
            f"Pulumi.{config.stack}.yaml: slipstack:aws: an EKS cluster needs vpc_id and at least two "
            "private_subnet_ids (add them, or set slipstack:kubernetes.cluster: existing)"
        )
    stack_tags = {**config.tags, tag_keys.ENVIRONMENT: context.environment, tag_keys.MANAGED_BY: "slipstack"}
    name = f"slipstack-{config.stack}"
    key = ModelKmsKey(
        f"{name}-eks-kms",
        ModelKmsKeyArgs(alias=f"slipstack/{name}-eks", account_id=context.account_id, region=context.region,
                        description=f"Slipstack: Kubernetes secrets and control-plane logs of {name}",
                        tags=stack_tags),
    )
    cluster = EksCluster(
        f"{name}-eks",
        EksClusterArgs(
            cluster_name=name, account_id=context.account_id, kubernetes_version=settings.kubernetes_version,
            subnet_ids=tuple(config.aws.private_subnet_ids), secrets_kms_key_arn=key.arn,
            public_access_cidrs=tuple(settings.public_access_cidrs), node_instance_type=settings.node_instance_type,
            node_min=settings.node_min, node_max=settings.node_max, node_desired=settings.node_desired,
            log_retention_days=config.aws.log_retention_days, tags=stack_tags,
        ),
    )
    entry = StackEks(context=context, cluster=cluster)
    _CLUSTERS[id(context)] = entry
    return entry


def expose_model_on_alb(resolved: ResolvedSpec, context: StackContext, provider: k8s.Provider) -> dict[str, str]:
    """Target group + host rule on the stack's ALB, and the TargetGroupBinding for the model Service."""
    spec = resolved.spec
    tls = spec.security.tls
    if tls is None or tls.acm_certificate_arn is None:
        raise EksPlacementError(
            f"{resolved.source}: security.tls.acm_certificate_arn: a model on the stack's EKS cluster is served "
            "through the HTTPS load balancer and needs an ACM certificate for its host (add tls.host and "
            "tls.acm_certificate_arn)"
        )
    eks = stack_eks(context)
    config = context.config
    if eks.load_balancer is None:
        public = bool(config.aws.public_subnet_ids)
        eks.load_balancer = ApplicationLoadBalancer(
            f"slipstack-{config.stack}-ingress",
            ApplicationLoadBalancerArgs(
                name=f"slipstack-{config.stack}"[:32],
                vpc_id=str(config.aws.vpc_id),
                subnet_ids=tuple(config.aws.public_subnet_ids if public else config.aws.private_subnet_ids),
                internet_facing=public,
                certificate_arn=tls.acm_certificate_arn,
                access_log_bucket=stack_access_log_bucket(context).bucket.bucket,
                node_security_group_id=eks.cluster.cluster_security_group_id,
                deletion_protection=context.environment == "prod",
                tags={**config.tags, tag_keys.ENVIRONMENT: context.environment, tag_keys.MANAGED_BY: "slipstack"},
            ),
        )
    if eks.controller is None:
        stack_tags = {**config.tags, tag_keys.ENVIRONMENT: context.environment, tag_keys.MANAGED_BY: "slipstack"}
        eks.controller = LoadBalancerController(
            f"slipstack-{config.stack}-lb-controller",
            LoadBalancerControllerArgs(
                cluster_name=eks.cluster.cluster.name,
                oidc_issuer_url=eks.cluster.oidc_issuer_url,
                account_id=context.account_id,
                region=context.region,
                vpc_id=str(config.aws.vpc_id),
                kubernetes_provider=provider,
                role_name=f"slipstack-{config.stack}-lb-controller"[:64],
                tags=stack_tags,
            ),
        )
    target_group = eks.load_balancer.attach_service(
        resolved.name, tls.host, tls.acm_certificate_arn, aws_tags(resolved, context)
    )
    namespace = f"{resolved.name}-{context.environment}"
    k8s.apiextensions.CustomResource(
        f"{resolved.name}-target-group-binding",
        api_version="elbv2.k8s.aws/v1beta1",
        kind="TargetGroupBinding",
        metadata={"name": resolved.name, "namespace": namespace},
        spec={"serviceRef": {"name": resolved.name, "port": "http"}, "targetGroupARN": target_group.arn,
              "targetType": "ip"},
        # The controller's chart installs the TargetGroupBinding CRD and reconciles bindings.
        opts=pulumi.ResourceOptions(provider=provider, depends_on=[eks.controller.release]),
    )
    return {"host": tls.host, "load_balancer_dns": eks.load_balancer.load_balancer.dns_name}  # type: ignore[dict-item]
