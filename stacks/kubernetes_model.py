"""Translate one resolved spec into the Kubernetes components of its model.

One namespace `<model>-<environment>` holds everything of the model: identity and RBAC, the server
Deployment (and a candidate's canary Deployment), Services, the TLS Ingress, network policies,
autoscaling and disruption budgets, monitoring, and the batch and drift CronJobs. The same
translation serves an existing on-prem cluster and the stack's EKS cluster; only the artifact
store's credentials differ (a named secret on-prem; on EKS an IAM role the ServiceAccount assumes
through the pod identity webhook, limited to the model's artifact and capture prefixes).

Canary flow (all by editing the spec and running `slipstack plan` / `pulumi up`):
1. Try: set `rollout.strategy: canary`, `rollout.traffic_percent: N` and `rollout.candidate` (version,
   artifact) after packaging the candidate. The stack adds `<model>-canary` (Deployment, Service, HPA,
   PDB) and a canary Ingress that ingress-nginx weights at N% of the host's requests.
2. Watch: the PrometheusRule's alerts cover both tracks (same namespace, same model name).
3. Promote: set `model.version`/`model.artifact` to the candidate's and remove `rollout.candidate`: the
   stable Deployment rolls to the new artifact (surge 1, never below capacity); the canary objects go.
4. Roll back: remove `rollout.candidate` only: the canary objects go, stable never changed.

Alerts reach people through an AlertmanagerConfig (`model_alert_routing.py`) built from the spec's
`monitoring.notifications` (e-mail, SMS via a webhook secret) and the stack's SMTP settings. The drift
CronJob runs `drift_job_command`; with `monitoring.drift.dask_scheduler` it is a Dask client of that
scheduler, and only its pods may reach the scheduler's host and port.

Stack settings used here (stacks/config.py, `slipstack:kubernetes`): the on-prem artifact store
(`artifact_store_uri`, `artifact_store_endpoint`, `artifact_store_credentials_secret`, its CA bundle and
KMS key), or with `artifact_source: aws` the model's AWS bucket (`aws_s3_cidrs`, `aws_reader_role`,
`aws_credentials_secret`), the `pushgateway_url`, the RBAC `deployer_groups`/`viewer_groups` and the
`alertmanager` settings. The server image runs by digest (stacks/server_image.py).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_kubernetes as k8s

from contracts import tags
from contracts.artifact_layout import MANIFEST_FILE, bucket_prefix, local_package_dir
from contracts.errors import SlipstackError
from deployment_spec import ResolvedSpec
from infra.k8s.model_access import ModelAccess, ModelAccessArgs
from infra.k8s.model_alert_routing import (
    AlertTiming,
    ModelAlertRouting,
    ModelAlertRoutingArgs,
    SecretRef,
    SmtpSettings,
)
from infra.k8s.model_autoscaling import ModelAutoscaling, ModelAutoscalingArgs
from infra.k8s.model_cron_job import ModelCronJob, ModelCronJobArgs
from infra.k8s.model_ingress import CanaryRoute, ModelIngress, ModelIngressArgs
from infra.k8s.model_monitoring import DriftAlerting, ModelMonitoring, ModelMonitoringArgs, QualityAlerting
from infra.k8s.model_namespace import ContainerLimits, ModelNamespace, ModelNamespaceArgs, NamespaceQuota
from infra.k8s.model_network_policy import Invoker, ModelNetworkPolicy, ModelNetworkPolicyArgs, egress_target
from infra.k8s.model_pod import ArtifactFetch, CaBundle, ContainerResources, image_reference
from infra.k8s.model_server import METRICS_PORT_NAME, ModelServer, ModelServerArgs, ServerContract
from infra.k8s.model_service import ModelService, ModelServiceArgs
from model_packaging import serving_contract as contract
from monitoring.job_command import (
    QUALITY_SCHEDULE,
    DriftJobSettings,
    QualityJobSettings,
    drift_job_command,
    quality_job_command,
)
from stacks.config import KubernetesStackSettings, kubernetes_version
from stacks.context import StackContext, kubernetes_labels
from stacks.server_image import resolve_server_image

DEFAULT_IMAGE_REPOSITORY = "ghcr.io/slipstack/model-server"
DEFAULT_IMAGE_TAG = "0.1.0"
# Where the server writes captured requests and the drift job reads them, under the artifact store.
CAPTURE_PREFIX = "capture"
# The Pushgateway kube-prometheus-stack users install next to Prometheus, when the stack names none.
PUSHGATEWAY_SERVICE = "prometheus-pushgateway"
PUSHGATEWAY_PORT = 9091
# A drift run never runs into the next one (concurrencyPolicy Forbid would skip it), nor past this.
MAX_DRIFT_DEADLINE_SECONDS = 6 * 3600
MIN_DRIFT_DEADLINE_SECONDS = 600
TRACK_LABEL = tags.K8S_PREFIX + "track"
JOB_KIND_LABEL = tags.K8S_PREFIX + "job"  # "batch" or "drift" on a job's pods
COMPONENT_LABEL = "app.kubernetes.io/component"
# A digest that can never verify: an unpackaged model's pod fails at the init container, visibly.
UNPACKAGED_DIGEST = "unpackaged-run-slipstack-package"
PRESTOP_SLEEP_VERSION = (1, 30)
HIGHER_IS_BETTER = {"accuracy", "precision", "recall", "f1", "roc_auc", "r2"}

_CPU = re.compile(r"^(?P<number>[0-9]+(\.[0-9]+)?)(?P<milli>m)?$")
_MEMORY = re.compile(r"^(?P<number>[0-9]+)(?P<unit>Ki|Mi|Gi|Ti|K|M|G|T)?$")
_MEMORY_UNITS = {None: 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
                 "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def cpu_millicores(quantity: str) -> int:
    match = _CPU.match(quantity)
    if match is None:
        raise ValueError(f"'{quantity}' is not a CPU quantity")
    value = float(match["number"])
    return math.ceil(value if match["milli"] else value * 1000)


def memory_mebibytes(quantity: str) -> int:
    match = _MEMORY.match(quantity)
    if match is None:
        raise ValueError(f"'{quantity}' is not a memory quantity")
    return math.ceil(int(match["number"]) * _MEMORY_UNITS[match["unit"]] / 2**20)


def packaged_digest(project_root: Path, model: str, version: str) -> str | None:
    """The content digest `slipstack package` recorded for this version, or None if not packaged."""
    manifest = project_root / local_package_dir(model, version) / MANIFEST_FILE
    if not manifest.is_file():
        return None
    digest = json.loads(manifest.read_text()).get("digest")
    return digest if isinstance(digest, str) and digest else None


class KubernetesTranslationError(SlipstackError):
    """A spec and stack configuration that cannot be expressed on the cluster safely."""

    exit_code = 2


def pushgateway_url(settings: KubernetesStackSettings) -> str:
    return settings.pushgateway_url or (
        f"http://{PUSHGATEWAY_SERVICE}.{settings.prometheus_namespace}.svc.cluster.local:{PUSHGATEWAY_PORT}"
    )


def url_host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme in ("https", "tls") else 80
    return parts.hostname or "", parts.port or default


def split_s3_uri(uri: str) -> tuple[str, str]:
    """('bucket', 'prefix') of s3://bucket/prefix (prefix without slashes at either end)."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix.strip("/")


def drift_deadline_seconds(schedule: str) -> int:
    """Stop a drift run a minute before the next is due (an unreachable Dask cluster must not hold the slot)."""
    interval = cron_interval_seconds(schedule)
    return max(MIN_DRIFT_DEADLINE_SECONDS, min(interval - 60, MAX_DRIFT_DEADLINE_SECONDS))


def cron_interval_seconds(schedule: str) -> int:
    """Roughly how often a five-field cron fires: enough to tell a stale drift check from a late one."""
    minute, hour, day, _month, _weekday = schedule.split()
    if minute == "*" or minute.startswith("*/"):
        return 60 * (int(minute[2:]) if minute.startswith("*/") else 1)
    if hour == "*":
        return 3600
    if hour.startswith("*/"):
        return 3600 * int(hour[2:])
    if "," in hour:
        return 3600 * 24 // (hour.count(",") + 1)
    return 86400 if day == "*" else 86400 * 31


def deploy_model_on_kubernetes(
    resolved: ResolvedSpec, context: StackContext, provider: k8s.Provider
) -> dict[str, Any]:
    spec = resolved.spec
    model = resolved.name
    environment = context.environment
    settings = context.config.kubernetes
    on_eks = settings.cluster == "eks"
    cluster_version = kubernetes_version(settings.eks.kubernetes_version if on_eks else settings.minimum_version)
    namespace = f"{model}-{environment}"
    labels = kubernetes_labels(resolved, context)
    opts = pulumi.ResourceOptions(provider=provider)
    serving = spec.serving
    is_prod = environment == "prod"

    # --- image, artifact, resources ------------------------------------------------------------
    image = serving.image
    repository, tag, pinned_digest = (
        (image.repository, image.tag, image.digest) if image else (DEFAULT_IMAGE_REPOSITORY, DEFAULT_IMAGE_TAG, None)
    )
    # Every container runs the image by digest: the spec's pin, or what the registry reports for the immutable tag.
    server_image = resolve_server_image(repository, tag, pinned_digest)
    image_digest = server_image.digest
    unpinned_reason = None
    # On the stack's EKS cluster a model that also deploys to AWS shares the cloud stack's artifact bucket (pod
    # identity grants it). An existing (on-prem) cluster reads the stack's own store (its NetworkPolicy,
    # credentials secret and CA bundle are that store's, and `slipstack deploy` publishes there too: the
    # `artifact_store` output says where), unless the stack says it reads from AWS (artifact_source 'aws'): then
    # egress to S3's ranges, the reader role's access-key secret and a least-privilege policy on that role.
    reads_aws = not on_eks and settings.artifact_source == "aws" and "aws" in spec.targets
    uses_onprem_store = ("aws" not in spec.targets or not on_eks) and not reads_aws
    store_uri = (
        settings.artifact_store_uri.rstrip("/") if uses_onprem_store
        else f"s3://{model}-{environment}-artifacts-{context.region}"
    )
    store_endpoint = settings.artifact_store_endpoint.rstrip("/") if (
        uses_onprem_store and settings.artifact_store_endpoint) else None
    credentials_secret = None if on_eks else (
        settings.aws_credentials_secret if reads_aws else settings.artifact_store_credentials_secret)
    ca_bundle = (
        CaBundle(settings.artifact_store_ca_bundle.config_map, settings.artifact_store_ca_bundle.key)
        if uses_onprem_store and settings.artifact_store_ca_bundle else None
    )
    store_bucket, store_prefix = split_s3_uri(store_uri)
    capture_uri = contract.capture_uri(store_bucket, "/".join(filter(None, (store_prefix, CAPTURE_PREFIX))),
                                       model, environment)

    def artifact_prefix(version: str) -> str:
        """The key prefix (within the store's bucket) the init container fetches this version from."""
        digest = packaged_digest(context.project_root, model, version) or UNPACKAGED_DIGEST
        return "/".join(filter(None, (store_prefix, bucket_prefix(model, digest))))

    def fetch_for(version: str) -> tuple[ArtifactFetch, str | None]:
        digest = packaged_digest(context.project_root, model, version)
        uri = f"{store_uri}/{contract.artifact_key(model, digest or UNPACKAGED_DIGEST)}"
        command = contract.fetch_command(uri, digest or UNPACKAGED_DIGEST, model)
        return ArtifactFetch(command=command, credentials_secret=credentials_secret, endpoint_url=store_endpoint,
                             ca_bundle=ca_bundle, region=context.region if reads_aws else None,
                             resources=ContainerResources("100m", serving.resources.memory, "1")), digest

    resources = ContainerResources(serving.resources.cpu, serving.resources.memory, serving.resources.cpu_limit)
    unlimited_cpu_reason = (
        None if resources.cpu_limit else
        "the spec sets no cpu_limit: CFS throttling inflates tail latency; the CPU request reserves capacity "
        "and the namespace ResourceQuota bounds the total"
    )
    server_contract = ServerContract(
        http_port=contract.HTTP_PORT, grpc_port=contract.GRPC_PORT, metrics_port=contract.METRICS_PORT,
        metrics_path=contract.METRICS_PATH, liveness_path=contract.LIVENESS_PATH,
        readiness_path=contract.READINESS_PATH, models_mount=contract.MODEL_MOUNT_ROOT,
        max_request_body_bytes=contract.MAX_REQUEST_BODY_BYTES, max_request_body_env=contract.MAX_REQUEST_BODY_ENV,
    )
    model_dir = f"{contract.MODEL_MOUNT_ROOT}/{model}"
    capture = spec.monitoring.capture
    server_env = {
        contract.CACHE_ENABLED_ENV: "true" if serving.cache.enabled else "false",
        **({contract.CACHE_MAX_ENTRIES_ENV: str(serving.cache.max_entries),
            contract.CACHE_TTL_SECONDS_ENV: str(serving.cache.ttl_seconds)} if serving.cache.enabled else {}),
        **({contract.CAPTURE_URI_ENV: capture_uri,
            contract.CAPTURE_PERCENT_ENV: str(capture.percentage)} if capture.enabled else {}),
    }

    # --- what runs -------------------------------------------------------------------------------
    runs_server = serving.mode != "batch"
    rollout = spec.rollout
    candidate = rollout.candidate if resolved.canary_candidate() else None
    tracks = ["stable", "canary"] if runs_server and candidate else (["stable"] if runs_server else [])
    drift = spec.monitoring.drift
    runs_drift = drift.enabled
    # The quality job joins captured predictions with the delayed labels: it needs both (as on AWS).
    quality = spec.monitoring.quality
    runs_quality = bool(runs_server and capture.enabled and quality is not None and quality.labels_uri)
    if runs_drift and runs_server and not spec.monitoring.capture.enabled:
        # The drift job reads what the server captures; without capture it would check an empty prefix forever.
        raise KubernetesTranslationError(
            f"{resolved.source}: monitoring.drift is enabled but monitoring.capture is not, so the drift job would "
            "read no data; set monitoring.capture.enabled: true (and a percentage), or monitoring.drift.enabled: false"
        )
    batch = serving.batch
    server_selector = {"app.kubernetes.io/name": model, COMPONENT_LABEL: "server"}
    job_selector = {"app.kubernetes.io/name": model, COMPONENT_LABEL: "job"}
    min_replicas = serving.replicas.min
    max_replicas = serving.replicas.max

    # --- namespace, quota, limits ---------------------------------------------------------------
    # Every server pod of every track at its maximum plus one rolling-update surge each, plus the jobs.
    server_pods = sum(max_replicas + 1 for _ in tracks)
    job_pods = (batch.instance_count if batch else 0) + (1 if runs_drift else 0) + (1 if runs_quality else 0)
    peak_pods = server_pods + job_pods
    # A quota exactly full at peak refuses the cert-manager HTTP-01 solver pod, a debug pod and a retried
    # rollout: keep the stack's headroom (at least one pod) above the peak.
    pods = peak_pods + max(1, math.ceil(peak_pods * settings.quota_headroom_percent / 100))
    quota = NamespaceQuota(
        pods=pods,
        requests_cpu=f"{cpu_millicores(resources.cpu_request) * pods}m",
        requests_memory=f"{memory_mebibytes(resources.memory) * pods}Mi",
        limits_memory=f"{memory_mebibytes(resources.memory) * pods}Mi",
        load_balancers=1 if serving.kubernetes.service_type == "LoadBalancer" else 0,
        node_ports=2 if serving.kubernetes.service_type in ("LoadBalancer", "NodePort") else 0,
    )
    ns = ModelNamespace(
        f"{model}-ns",
        ModelNamespaceArgs(name=namespace, quota=quota, labels=labels,
                           limits=ContainerLimits(max_memory=f"{memory_mebibytes(resources.memory)}Mi")),
        opts=opts,
    )
    in_namespace = pulumi.ResourceOptions(provider=provider, depends_on=[ns])

    # --- identity -------------------------------------------------------------------------------
    deployments = [model if track == "stable" else f"{model}-canary" for track in tracks]
    cron_jobs = (([f"{model}-batch"] if batch else []) + ([f"{model}-drift"] if runs_drift else [])
                 + ([f"{model}-quality"] if runs_quality else []))
    tls = spec.security.tls
    secret_names = ([credentials_secret] if credentials_secret else []) + (
        [tls.secret_name] if tls and tls.secret_name else ([f"{model}-tls"] if tls else [])
    )
    # On EKS the pods get AWS credentials from their ServiceAccount's IAM role (IRSA); on-prem from the secret.
    pod_role = None
    if on_eks:
        from stacks.eks_cluster import ModelPodAccess, model_pod_role

        fetched_versions = sorted({spec.model.version, *([candidate.version] if candidate else [])})
        capture_prefix = split_s3_uri(capture_uri)[1] + "/"
        pod_role = model_pod_role(resolved, context, provider, ModelPodAccess(
            namespace=namespace,
            service_account_name=model,
            bucket_name=store_bucket,
            artifact_prefixes=tuple(artifact_prefix(version) for version in fetched_versions),
            capture_write_prefixes=(capture_prefix,) if runs_server and capture.enabled else (),
            capture_read_prefixes=(capture_prefix,) if runs_drift or runs_quality else (),
            # The model's key encrypts its AWS artifact bucket (stacks/aws_model.py names it the same way).
            kms_key_alias=None if uses_onprem_store else f"slipstack/{model}-{environment}",
        ))
    reader_policy = None
    if reads_aws:
        from infra.aws.onprem_artifact_reader import OnPremArtifactReader, OnPremArtifactReaderArgs

        fetched_versions = sorted({spec.model.version, *([candidate.version] if candidate else [])})
        capture_prefix = split_s3_uri(capture_uri)[1] + "/"
        reader_policy = OnPremArtifactReader(
            f"{model}-onprem-reader",
            OnPremArtifactReaderArgs(
                role_name=str(settings.aws_reader_role),
                policy_name=f"{model}-{environment}-onprem-pods"[:128],
                account_id=context.account_id,
                region=context.region,
                bucket_name=store_bucket,
                read_prefixes=tuple(artifact_prefix(version) for version in fetched_versions),
                write_prefixes=(capture_prefix,) if runs_server and capture.enabled else (),
                read_list_prefixes=(capture_prefix,) if runs_drift or runs_quality else (),
                kms_key_alias=f"slipstack/{model}-{environment}",
            ),
        ).policy
    access = ModelAccess(
        f"{model}-access",
        ModelAccessArgs(
            namespace=namespace,
            service_account_name=model,
            deployments=deployments or [model],
            cron_jobs=cron_jobs,
            autoscalers=deployments if serving.autoscaling.enabled else [],
            secret_names=secret_names,
            deployer_groups=settings.group_names(settings.deployer_groups, namespace, model, environment),
            viewer_groups=settings.group_names(settings.viewer_groups, namespace, model, environment),
            labels=labels,
            aws_role_arn=pod_role.arn if pod_role else None,
        ),
        # Pods start only once their role may read the artifact: a missing policy would fail the init container.
        opts=pulumi.ResourceOptions(provider=provider, depends_on=[
            ns, *([pod_role.policy] if pod_role else []), *([reader_policy] if reader_policy else [])]),
    )

    # --- network --------------------------------------------------------------------------------
    pushgateway = pushgateway_url(settings)
    pushgateway_host, pushgateway_port = url_host_port(pushgateway)
    pushgateway_target = egress_target(pushgateway_host, pushgateway_port)
    if store_endpoint:
        store_target = egress_target(*url_host_port(store_endpoint), settings.artifact_store_cidrs)
    elif reads_aws:
        store_target = egress_target("s3", 443, settings.aws_s3_cidrs)
    else:
        store_target = egress_target("s3", 443, settings.artifact_store_cidrs)
    dask_target = None
    if runs_drift and drift.dask_scheduler:
        try:
            dask_target = egress_target(*url_host_port(drift.dask_scheduler), settings.dask_scheduler_cidrs)
        except ValueError as error:
            raise KubernetesTranslationError(
                f"{resolved.source}: monitoring.drift.dask_scheduler: {error} (use the scheduler's in-cluster "
                f"Service name or IP address, or set dask_scheduler_cidrs under slipstack:kubernetes in "
                f"stacks/Pulumi.{context.config.stack}.yaml)"
            ) from None
    ModelNetworkPolicy(
        f"{model}-netpol",
        ModelNetworkPolicyArgs(
            namespace=namespace,
            server_selector=server_selector,
            job_selector=job_selector,
            http_port=contract.HTTP_PORT,
            metrics_port=contract.METRICS_PORT,
            ingress_namespace=None if on_eks else settings.ingress_namespace,
            # cert-manager writes the TLS secret when the spec names none (the Ingress's issuer annotation).
            acme_http01_solver=bool(not on_eks and runs_server and tls is not None and tls.secret_name is None),
            prometheus_namespace=settings.prometheus_namespace,
            invokers=[Invoker(i.kubernetes_namespace, dict(i.kubernetes_pod_labels))
                      for i in spec.security.invokers if i.kubernetes_namespace],
            # On EKS the ALB targets pod IPs directly (TargetGroupBinding, target type ip) from its subnets.
            server_ingress_cidrs=list(settings.eks.load_balancer_subnet_cidrs) if on_eks else [],
            artifact_store_cidrs=list(store_target.cidrs),
            artifact_store_port=store_target.port,
            artifact_store_namespace=store_target.namespace,
            pushgateway_port=pushgateway_port,
            pushgateway_namespace=pushgateway_target.namespace,
            drift_job_selector={**job_selector, JOB_KIND_LABEL: "drift"} if dask_target else {},
            dask_scheduler=dask_target,
            labels=labels,
        ),
        opts=in_namespace,
    )

    # --- servers, services, scaling ---------------------------------------------------------------
    outputs: dict[str, Any] = {"namespace": ns.name, "model_name": model}
    services: dict[str, ModelService] = {}
    artifact_digest: str | None = None
    for track in tracks:
        version = spec.model.version if track == "stable" else candidate.version  # type: ignore[union-attr]
        deployment_name = model if track == "stable" else f"{model}-canary"
        fetch, digest = fetch_for(version)
        if track == "stable":
            artifact_digest = digest
        track_labels = {**labels, tags.K8S_MODEL_VERSION: tags.k8s_label_value(version)}
        selector = {**server_selector, TRACK_LABEL: track}
        autoscale = serving.autoscaling.enabled
        ModelServer(
            f"{deployment_name}-server",
            ModelServerArgs(
                name=deployment_name, namespace=namespace, model_name=model, model_dir=model_dir,
                command=contract.server_command(model_dir), env=server_env, artifact_store_writer=capture.enabled,
                image_repository=repository, image_tag=tag, image_digest=image_digest, fetch=fetch,
                contract=server_contract, service_account_name=model, resources=resources,
                labels=track_labels, selector=selector,
                replicas=None if autoscale else min_replicas,
                spread_required=is_prod, node_selector=dict(serving.kubernetes.node_selector),
                annotations={} if digest else {
                    tags.K8S_PREFIX + "artifact-status": "unpackaged: run `slipstack package` and re-plan; "
                    "the init container refuses to start the server until then"},
                artifact_sha256=digest.removeprefix("sha256:") if digest else None,
                unpinned_digest_reason=unpinned_reason, unlimited_cpu_reason=unlimited_cpu_reason,
                prestop_sleep_action=cluster_version >= PRESTOP_SLEEP_VERSION,
            ),
            opts=pulumi.ResourceOptions(provider=provider, depends_on=[ns, access]),
        )
        services[track] = ModelService(
            f"{deployment_name}-svc",
            ModelServiceArgs(
                name=deployment_name, namespace=namespace, selector=selector, http_port=contract.HTTP_PORT,
                metrics_port=contract.METRICS_PORT, labels={**labels, **server_selector, TRACK_LABEL: track},
                service_type=serving.kubernetes.service_type if track == "stable" else "ClusterIP",
                exposure_reason=serving.kubernetes.service_exposure_reason,
            ),
            opts=in_namespace,
        )
        ModelAutoscaling(
            f"{deployment_name}-scaling",
            ModelAutoscalingArgs(
                name=deployment_name, namespace=namespace, deployment_name=deployment_name, selector=selector,
                # The canary keeps prod's two-pod floor (one node drain must not take it down) but never
                # needs the stable version's ceiling to serve its share.
                min_replicas=min_replicas,
                max_replicas=max_replicas if track == "stable" else max(min_replicas, math.ceil(
                    max_replicas * (rollout.traffic_percent or 100) / 100)),
                target_cpu_percent=serving.autoscaling.target_cpu_percent,
                target_requests_per_second=serving.autoscaling.target_requests_per_second,
                scale_in_cooldown_seconds=serving.autoscaling.scale_in_cooldown_seconds,
                scale_out_cooldown_seconds=serving.autoscaling.scale_out_cooldown_seconds,
                autoscale=autoscale, labels=labels,
            ),
            opts=in_namespace,
        )
    if runs_server:
        outputs["service_url"] = services["stable"].url
    outputs["artifact_sha256"] = artifact_digest
    outputs["image"] = image_reference(repository, tag, image_digest)
    # Where `slipstack deploy` publishes this model for this cluster before `pulumi up`: the on-prem store (with its
    # endpoint, encryption and whether its CA is private), or the model's AWS bucket, which the AWS publish writes.
    outputs["artifact_store"] = {
        "uri": store_uri, "endpoint": store_endpoint,
        "source": "onprem_store" if uses_onprem_store else "aws",
        "kms_key_id": settings.artifact_store_kms_key_id if uses_onprem_store else None,
        "private_ca": ca_bundle is not None,
    }

    # --- traffic ----------------------------------------------------------------------------------
    if runs_server and tls is not None and not on_eks:
        # On the stack's EKS cluster the ALB (stacks/eks_cluster.py) is the ingress path and terminates TLS with
        # the spec's ACM certificate: no nginx Ingress, no cert-manager Certificate, nothing without a controller.
        ModelIngress(
            f"{model}-ingress",
            ModelIngressArgs(
                name=model, namespace=namespace, host=tls.host, service_name=model, service_port_name="http",
                ingress_class_name=settings.ingress_class_name, tls_secret_name=tls.secret_name,
                cert_manager_issuer=tls.cert_manager_issuer if tls.secret_name is None else None,
                canary=CanaryRoute(f"{model}-canary", rollout.traffic_percent or 0) if candidate else None,
                max_request_body_bytes=contract.MAX_REQUEST_BODY_BYTES, labels=labels,
            ),
            opts=in_namespace,
        )
        outputs["ingress_host"] = tls.host
    else:
        outputs["ingress_host"] = None

    # --- monitoring -------------------------------------------------------------------------------
    # On a cluster the stack creates, the operator's CRDs come from its Helm release: objects wait for it.
    monitoring_opts = in_namespace
    if on_eks:
        from stacks.eks_cluster import operator_kinds_provider

        monitoring_opts = pulumi.ResourceOptions(provider=operator_kinds_provider(context, provider), depends_on=[ns])
    routing = {"team": tags.k8s_label_value(spec.metadata.team or spec.metadata.owner.replace("@", "-at-")),
               "owner": tags.k8s_label_value(spec.metadata.owner.replace("@", "-at-"))}
    ModelMonitoring(
        f"{model}-monitoring",
        ModelMonitoringArgs(
            name=model, namespace=namespace, model=model, environment=environment,
            service_selector=server_selector, metrics_port_name=METRICS_PORT_NAME,
            metrics_path=contract.METRICS_PATH, latency_p99_ms=spec.monitoring.latency_p99_ms,
            error_rate_percent=spec.monitoring.error_rate_percent,
            prometheus_labels=dict(settings.prometheus_rule_labels), routing_labels=routing,
            alerts_enabled=spec.monitoring.alarms_enabled,
            # Alerts on what a job publishes exist exactly when the job does (the CronJobs below).
            drift=DriftAlerting(drift.method, drift.warn_threshold, drift.alert_threshold,
                                3 * cron_interval_seconds(drift.schedule), f"{model}-drift") if runs_drift else None,
            quality=QualityAlerting(quality.metric, quality.threshold, quality.metric in HIGHER_IS_BETTER,
                                    f"{model}-quality") if runs_quality and quality else None,
            request_rate_rule=runs_server and serving.autoscaling.enabled
            and serving.autoscaling.target_requests_per_second is not None,
            cache_enabled=runs_server and serving.cache.enabled,
            labels=labels,
        ),
        opts=monitoring_opts,
    )
    notifications = spec.monitoring.notifications
    # The spec's cross checks refuse SMS numbers on Kubernetes without the gateway secret.
    sms_webhook = (SecretRef(notifications.sms_webhook_secret.name, notifications.sms_webhook_secret.key)
                   if notifications.sms and notifications.sms_webhook_secret else None)
    outputs["alert_receivers"] = []
    if spec.monitoring.alarms_enabled and (notifications.emails or sms_webhook):
        smtp = settings.alertmanager
        routing_args = ModelAlertRoutingArgs(
            name=model, namespace=namespace, model=model, environment=environment,
            emails=list(notifications.emails), sms_webhook=sms_webhook,
            smtp=SmtpSettings(
                smarthost=smtp.smarthost, from_address=smtp.from_address, auth_username=smtp.auth_username,
                auth_password=SecretRef(smtp.auth_password_secret.name, smtp.auth_password_secret.key)
                if smtp.auth_password_secret else None,
                require_tls=smtp.require_tls,
            ),
            timing=AlertTiming(notifications.routing.group_wait, notifications.routing.group_interval,
                               notifications.routing.repeat_interval),
            selector_labels=dict(smtp.config_labels if smtp.config_labels is not None
                                 else settings.prometheus_rule_labels),
            labels=labels,
        )
        ModelAlertRouting(f"{model}-alert-routing", routing_args, opts=monitoring_opts)
        outputs["alert_receivers"] = (["email"] if notifications.emails else []) + (["sms"] if sms_webhook else [])

    # --- jobs -------------------------------------------------------------------------------------
    job_fetch, _ = fetch_for(spec.model.version)
    job_labels = {**labels, **job_selector}
    common_job: dict[str, Any] = dict(
        namespace=namespace, image_repository=repository, image_tag=tag, image_digest=image_digest,
        fetch=job_fetch, models_mount=contract.MODEL_MOUNT_ROOT, service_account_name=model,
        resources=resources, node_selector=dict(serving.kubernetes.node_selector),
        unpinned_digest_reason=unpinned_reason, unlimited_cpu_reason=unlimited_cpu_reason,
    )
    if batch is not None:
        ModelCronJob(
            f"{model}-batch",
            ModelCronJobArgs(
                name=f"{model}-batch", schedule=batch.schedule,
                command=contract.batch_command(model_dir, batch.input_uri, batch.output_uri, batch.max_payload_mb),
                labels={**job_labels, JOB_KIND_LABEL: "batch"}, parallelism=batch.instance_count,
                **common_job,
            ),
            opts=in_namespace,
        )
    if runs_drift:
        command = drift_job_command(DriftJobSettings(
            model=model, environment=environment, current=f"{capture_uri}/",
            profile=f"{model_dir}/{MANIFEST_FILE}", method=drift.method, warn_threshold=drift.warn_threshold,
            alert_threshold=drift.alert_threshold, p_value=drift.p_value, features=tuple(drift.features),
            engine="dask" if drift.dask_scheduler else "local", dask_scheduler=drift.dask_scheduler,
            min_window=drift.min_window, missing_rate_min_effect=drift.missing_rate_min_effect,
            pushgateway=pushgateway, schedule=drift.schedule,
            # The CronJob's alert is the pushed drift status (PrometheusRule), never a failed Job.
            fail_on_alert=False,
        ))
        ModelCronJob(
            f"{model}-drift",
            ModelCronJobArgs(
                name=f"{model}-drift", schedule=drift.schedule, command=command,
                labels={**job_labels, JOB_KIND_LABEL: "drift"},
                active_deadline_seconds=drift_deadline_seconds(drift.schedule), **common_job,
            ),
            opts=in_namespace,
        )
        outputs["drift_engine"] = f"dask {drift.dask_scheduler}" if drift.dask_scheduler else "local"
    if runs_quality and quality is not None and quality.labels_uri:
        # The same command and label source options as the AWS quality job; it publishes to the Pushgateway
        # and exits 0 on a bad score (the ModelQualityDegraded alert does the alerting).
        ModelCronJob(
            f"{model}-quality",
            ModelCronJobArgs(
                name=f"{model}-quality", schedule=QUALITY_SCHEDULE,
                command=quality_job_command(QualityJobSettings(
                    model=model, environment=environment, predictions=f"{capture_uri}/",
                    labels=quality.labels_uri, task=spec.model.task, metric=quality.metric,
                    threshold=quality.threshold, classes=tuple(quality.classes),
                    positive_label=quality.positive_label, max_dropped_share=quality.max_dropped_share,
                    pushgateway=pushgateway, fail_on_alert=False,
                    schedule=QUALITY_SCHEDULE, label_delay_hours=quality.label_delay_hours,
                )),
                labels={**job_labels, JOB_KIND_LABEL: "quality"},
                active_deadline_seconds=drift_deadline_seconds(QUALITY_SCHEDULE), **common_job,
            ),
            opts=in_namespace,
        )
    return outputs
