"""The stack's EKS cluster and load balancer, when `kubernetes.cluster` is `eks`.

One per stack: `stack_eks(context)` creates the KMS key for Kubernetes secrets, the cluster and node
group; `load_balancer_controller` creates, on first use, the AWS Load Balancer Controller (which
reconciles TargetGroupBindings) and with it the cluster's IAM OIDC provider; `expose_model_on_alb`
creates, on first use, the ALB (its HTTPS listener needs a certificate, which comes from the first
model's `security.tls.acm_certificate_arn`) and puts one model's Service behind it.
Per model: `model_pod_role` gives the model's ServiceAccount an IAM role (IRSA) limited to the
model's artifact and capture prefixes and its key.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from contracts import tags as tag_keys
from contracts.errors import SlipstackError
from deployment_spec import ResolvedSpec
from infra.aws.application_load_balancer import (
    ApplicationLoadBalancer,
    ApplicationLoadBalancerArgs,
    CognitoListenerAuthentication,
    ListenerAuthentication,
    OidcListenerAuthentication,
)
from infra.aws.eks_cluster import EksCluster, EksClusterArgs
from infra.aws.load_balancer_controller import LoadBalancerController, LoadBalancerControllerArgs
from infra.aws.load_balancer_web_acl import HostRateLimit, LoadBalancerWebAcl, LoadBalancerWebAclArgs
from infra.aws.model_kms_key import ModelKmsKey, ModelKmsKeyArgs
from infra.aws.service_account_role import ServiceAccountRole, ServiceAccountRoleArgs
from infra.k8s.cluster_monitoring import ClusterMonitoring, ClusterMonitoringArgs
from stacks.aws_model import stack_access_log_bucket
from stacks.checks import PROTECTED_CLASSES
from stacks.config import ALB_CLIENT_SECRET_KEY, NAMESPACE, EksSettings, StackConfig
from stacks.context import StackContext, aws_tags


class EksPlacementError(SlipstackError):
    exit_code = 2


@dataclass(frozen=True)
class ModelPodAccess:
    """What a model's pods read and write in its artifact store (keys without the bucket name)."""

    namespace: str
    service_account_name: str
    bucket_name: str
    artifact_prefixes: tuple[str, ...]  # models/<model>/<digest>/ of every version a pod fetches
    capture_write_prefixes: tuple[str, ...] = ()  # the server's capture prefix
    capture_read_prefixes: tuple[str, ...] = ()  # what the drift job lists and reads
    kms_key_alias: str | None = None  # the model's key, when the store is the model's AWS bucket


@dataclass
class StackEks:
    context: StackContext
    cluster: EksCluster
    load_balancer: ApplicationLoadBalancer | None = None
    controller: LoadBalancerController | None = None
    monitoring: ClusterMonitoring | None = None
    operator_provider: k8s.Provider | None = None


_CLUSTERS: dict[int, StackEks] = {}


def vpc_cni_version(settings: EksSettings, region: str) -> pulumi.Input[str]:
    """The VPC CNI add-on version, always explicit in the plan: the setting, else EKS's default for the version.

    Asked of EKS at preview/up time (a typed data source), so a reviewer sees the exact version the add-on runs and
    the diff shows when EKS's default moves; `eks.vpc_cni_version` pins it for good.
    """
    if settings.vpc_cni_version is not None:
        return settings.vpc_cni_version
    return aws.eks.get_addon_version_output(addon_name="vpc-cni", kubernetes_version=settings.kubernetes_version,
                                            most_recent=False, region=region).version


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
            log_retention_days=config.aws.log_retention_days, vpc_cni_version=vpc_cni_version(settings, context.region),
            tags=stack_tags,
        ),
    )
    entry = StackEks(context=context, cluster=cluster)
    _CLUSTERS[id(context)] = entry
    return entry


def load_balancer_controller(context: StackContext, provider: k8s.Provider) -> LoadBalancerController:
    """The stack's AWS Load Balancer Controller, created on first use; it owns the cluster's IAM OIDC provider."""
    eks = stack_eks(context)
    if eks.controller is None:
        config = context.config
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
    return eks.controller


def cluster_monitoring(context: StackContext, provider: k8s.Provider) -> ClusterMonitoring:
    """The Prometheus Operator stack and Pushgateway on the stack's EKS cluster, created on first use.

    An existing cluster brings its own (a stated prerequisite, see `slipstack preflight`); a cluster the stack
    creates has none, so the models' ServiceMonitors, PrometheusRules and AlertmanagerConfigs depend on this.
    """
    eks = stack_eks(context)
    if eks.monitoring is None:
        settings = context.config.kubernetes
        eks.monitoring = ClusterMonitoring(
            f"slipstack-{context.config.stack}-monitoring",
            ClusterMonitoringArgs(
                provider=provider,
                namespace=settings.prometheus_namespace,
                rule_labels=dict(settings.prometheus_rule_labels),
                alertmanager_config_labels=dict(settings.alertmanager.config_labels or settings.prometheus_rule_labels),
                depends_on=[load_balancer_controller(context, provider).release],
            ),
        )
    return eks.monitoring


def operator_kinds_provider(context: StackContext, provider: k8s.Provider) -> k8s.Provider:
    """A provider for objects of the Prometheus Operator's kinds that exists only once their CRDs do.

    A component's dependsOn does not reach its children, but its provider does: every ServiceMonitor,
    PrometheusRule and AlertmanagerConfig created through this provider waits for the operator's release.
    """
    eks = stack_eks(context)
    if eks.operator_provider is None:
        monitoring = cluster_monitoring(context, provider)
        eks.operator_provider = k8s.Provider(
            "kubernetes-after-operator-crds", kubeconfig=eks.cluster.kubeconfig, enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(depends_on=[*monitoring.crd_dependencies, monitoring.pushgateway]),
        )
    return eks.operator_provider


def model_pod_role(
    resolved: ResolvedSpec, context: StackContext, provider: k8s.Provider, access: ModelPodAccess
) -> ServiceAccountRole:
    """The IAM role the model's ServiceAccount assumes (IRSA), trusted through the cluster's one OIDC provider.

    IAM allows a single OIDC provider per issuer URL, so the model's role reuses the one created for the
    load balancer controller rather than declaring a second (which would fail with EntityAlreadyExists).
    """
    eks = stack_eks(context)
    controller = load_balancer_controller(context, provider)
    base = f"{resolved.name}-{context.environment}"
    return ServiceAccountRole(
        f"{resolved.name}-pod-role",
        ServiceAccountRoleArgs(
            role_name=f"{base}-eks-pods"[:64],
            oidc_provider_arn=controller.oidc_provider.arn,
            oidc_issuer_url=eks.cluster.oidc_issuer_url,
            namespace=access.namespace,
            service_account_name=access.service_account_name,
            account_id=context.account_id,
            region=context.region,
            bucket_name=access.bucket_name,
            read_prefixes=access.artifact_prefixes,
            write_prefixes=access.capture_write_prefixes,
            read_list_prefixes=access.capture_read_prefixes,
            kms_key_alias=access.kms_key_alias,
            tags=aws_tags(resolved, context),
        ),
    )


def listener_authentication(config: StackConfig) -> ListenerAuthentication | None:
    """The ALB's listener authentication from the stack settings; the OIDC client secret is a secret setting."""
    settings = config.aws.load_balancer.authentication
    if settings is None:
        return None
    common = {"on_unauthenticated_request": settings.on_unauthenticated_request,
              "session_timeout_seconds": settings.session_timeout_seconds}
    if settings.cognito is not None:
        cognito = settings.cognito
        return CognitoListenerAuthentication(
            user_pool_arn=cognito.user_pool_arn, user_pool_client_id=cognito.user_pool_client_id,
            user_pool_domain=cognito.user_pool_domain, **common,  # type: ignore[arg-type]
        )
    assert settings.oidc is not None  # the settings' validator: type oidc has its oidc section
    oidc = settings.oidc
    return OidcListenerAuthentication(
        issuer=oidc.issuer, authorization_endpoint=oidc.authorization_endpoint, token_endpoint=oidc.token_endpoint,
        user_info_endpoint=oidc.user_info_endpoint, client_id=oidc.client_id, scope=oidc.scope,
        client_secret=pulumi.Config(NAMESPACE).require_secret(ALB_CLIENT_SECRET_KEY),
        **common,  # type: ignore[arg-type]
    )


def _alb_rate_limits(context: StackContext) -> list[HostRateLimit]:
    """Each model host the stack's ALB serves, with its spec's rate limit (the ACL is declared once, first)."""
    from stacks.composition import load_stack_specs, placement

    limits: dict[str, int] = {}
    for resolved in load_stack_specs(context.config, context.project_root):
        tls = resolved.spec.security.tls
        if tls is not None and "onprem" in placement(resolved, context.config):
            limits[tls.host] = min(limits.get(tls.host, 2_000_000_000), resolved.spec.security.rate_limit_per_5_minutes)
    return [HostRateLimit(host, limit) for host, limit in sorted(limits.items())]


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
    settings = config.aws.load_balancer
    public = bool(config.aws.public_subnet_ids) and not settings.internal
    classification = spec.metadata.data_classification
    if public and not settings.waf and settings.authentication is None and classification in PROTECTED_CLASSES:
        # `slipstack validate` and `plan` report this at its lines first (stacks.checks); kept for `pulumi up`.
        raise EksPlacementError(
            f"{resolved.source}: metadata.data_classification: a {classification} model may not be served on an "
            f"internet-facing load balancer without a WAF or authentication (Pulumi.{config.stack}.yaml: set "
            "slipstack:aws.load_balancer.waf: true, add load_balancer.authentication, or load_balancer.internal: true)"
        )
    if eks.load_balancer is None:
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
                authentication=listener_authentication(config),
                tags={**config.tags, tag_keys.ENVIRONMENT: context.environment, tag_keys.MANAGED_BY: "slipstack"},
            ),
        )
        if public and settings.waf:
            LoadBalancerWebAcl(
                f"slipstack-{config.stack}-ingress-waf",
                LoadBalancerWebAclArgs(
                    name=f"slipstack-{config.stack}-ingress",
                    load_balancer_arn=eks.load_balancer.load_balancer.arn,
                    rate_limits=_alb_rate_limits(context),
                    tags={**config.tags, tag_keys.ENVIRONMENT: context.environment, tag_keys.MANAGED_BY: "slipstack"},
                ),
            )
    controller = load_balancer_controller(context, provider)
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
        opts=pulumi.ResourceOptions(provider=provider, depends_on=[controller.release]),
    )
    return {"host": tls.host, "load_balancer_dns": eks.load_balancer.load_balancer.dns_name}  # type: ignore[dict-item]
