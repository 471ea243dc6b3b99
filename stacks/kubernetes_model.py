"""Translate one resolved spec into the Kubernetes components of its model.

One namespace `<model>-<environment>` holds everything of the model: identity and RBAC, the server
Deployment (and a candidate's canary Deployment), Services, the TLS Ingress, network policies,
autoscaling and disruption budgets, monitoring, and the batch and drift CronJobs. The same
translation serves an existing on-prem cluster and the stack's EKS cluster; only the artifact
store's credentials differ (a named secret on-prem, the pod identity webhook on EKS).

Canary flow (all by editing the spec and running `slipstack plan` / `pulumi up`):
1. Try: set `rollout.strategy: canary`, `rollout.traffic_percent: N` and `rollout.candidate` (version,
   artifact) after packaging the candidate. The stack adds `<model>-canary` (Deployment, Service, HPA,
   PDB) and a canary Ingress that ingress-nginx weights at N% of the host's requests.
2. Watch: the PrometheusRule's alerts cover both tracks (same namespace, same model name).
3. Promote: set `model.version`/`model.artifact` to the candidate's and remove `rollout.candidate`: the
   stable Deployment rolls to the new artifact (surge 1, never below capacity); the canary objects go.
4. Roll back: remove `rollout.candidate` only: the canary objects go, stable never changed.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from contracts import tags
from contracts.artifact_layout import MANIFEST_FILE, local_package_dir
from deployment_spec import ResolvedSpec
from infra.k8s.model_access import ModelAccess, ModelAccessArgs
from infra.k8s.model_autoscaling import ModelAutoscaling, ModelAutoscalingArgs
from infra.k8s.model_cron_job import ModelCronJob, ModelCronJobArgs
from infra.k8s.model_ingress import CanaryRoute, ModelIngress, ModelIngressArgs
from infra.k8s.model_monitoring import DriftAlerting, ModelMonitoring, ModelMonitoringArgs, QualityAlerting
from infra.k8s.model_namespace import ContainerLimits, ModelNamespace, ModelNamespaceArgs, NamespaceQuota
from infra.k8s.model_network_policy import Invoker, ModelNetworkPolicy, ModelNetworkPolicyArgs
from infra.k8s.model_pod import ArtifactFetch, ContainerResources
from infra.k8s.model_server import METRICS_PORT_NAME, ModelServer, ModelServerArgs, ServerContract
from infra.k8s.model_service import ModelService, ModelServiceArgs
from model_packaging import serving_contract as contract
from stacks.context import StackContext, kubernetes_labels

DEFAULT_IMAGE_REPOSITORY = "ghcr.io/slipstack/model-server"
DEFAULT_IMAGE_TAG = "0.1.0"
# The on-prem S3-compatible store and the secret with its credentials file, when the stack has no AWS
# artifact bucket for the model. (StackConfig has no field for them yet: see the report to the lead.)
ONPREM_ARTIFACT_BUCKET = "slipstack-artifacts"
ARTIFACT_STORE_SECRET = "artifact-store-credentials"
# Where the drift job reads captured requests, under the artifact bucket.
CAPTURE_PREFIX = "capture"
PUSHGATEWAY_SERVICE = "prometheus-pushgateway"
PUSHGATEWAY_PORT = 9091
# The batch scorer the serving image runs (input and output locations from the spec).
BATCH_MODULE = "model_server.batch"
TRACK_LABEL = tags.K8S_PREFIX + "track"
COMPONENT_LABEL = "app.kubernetes.io/component"
# A digest that can never verify: an unpackaged model's pod fails at the init container, visibly.
UNPACKAGED_DIGEST = "unpackaged-run-slipstack-package"
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
    namespace = f"{model}-{environment}"
    labels = kubernetes_labels(resolved, context)
    opts = pulumi.ResourceOptions(provider=provider)
    serving = spec.serving
    is_prod = environment == "prod"

    # --- image, artifact, resources ------------------------------------------------------------
    image = serving.image
    repository, tag, image_digest = (
        (image.repository, image.tag, image.digest) if image else (DEFAULT_IMAGE_REPOSITORY, DEFAULT_IMAGE_TAG, None)
    )
    unpinned_reason = (
        None if image_digest else
        f"{environment} pins the server image by version tag {tag}; prod specs must give a digest "
        "(slipstack validate refuses prod without one)"
    )
    bucket = (
        f"{model}-{environment}-artifacts-{context.region}" if "aws" in spec.targets else ONPREM_ARTIFACT_BUCKET
    )
    credentials_secret = None if on_eks else ARTIFACT_STORE_SECRET

    def fetch_for(version: str) -> tuple[ArtifactFetch, str | None]:
        digest = packaged_digest(context.project_root, model, version)
        uri = f"s3://{bucket}/{contract.artifact_key(model, digest or UNPACKAGED_DIGEST)}"
        command = contract.fetch_command(uri, digest or UNPACKAGED_DIGEST, model)
        return ArtifactFetch(command=command, credentials_secret=credentials_secret,
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
    )
    model_dir = f"{contract.MODEL_MOUNT_ROOT}/{model}"

    # --- what runs -------------------------------------------------------------------------------
    runs_server = serving.mode != "batch"
    rollout = spec.rollout
    candidate = rollout.candidate if rollout.strategy != "all_at_once" and rollout.traffic_percent else None
    tracks = ["stable", "canary"] if runs_server and candidate else (["stable"] if runs_server else [])
    drift = spec.monitoring.drift
    runs_drift = drift.enabled
    batch = serving.batch
    server_selector = {"app.kubernetes.io/name": model, COMPONENT_LABEL: "server"}
    job_selector = {"app.kubernetes.io/name": model, COMPONENT_LABEL: "job"}
    min_replicas = serving.replicas.min
    max_replicas = serving.replicas.max

    # --- namespace, quota, limits ---------------------------------------------------------------
    # Every server pod of every track at its maximum plus one rolling-update surge each, plus the jobs.
    server_pods = sum(max_replicas + 1 for _ in tracks)
    job_pods = (batch.instance_count if batch else 0) + (1 if runs_drift else 0)
    pods = server_pods + job_pods
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
    cron_jobs = ([f"{model}-batch"] if batch else []) + ([f"{model}-drift"] if runs_drift else [])
    tls = spec.security.tls
    secret_names = ([credentials_secret] if credentials_secret else []) + (
        [tls.secret_name] if tls and tls.secret_name else ([f"{model}-tls"] if tls else [])
    )
    access = ModelAccess(
        f"{model}-access",
        ModelAccessArgs(
            namespace=namespace,
            service_account_name=model,
            deployments=deployments or [model],
            cron_jobs=cron_jobs,
            autoscalers=deployments if serving.autoscaling.enabled else [],
            secret_names=secret_names,
            deployer_groups=[f"{namespace}-deployers"],
            viewer_groups=[f"{namespace}-viewers"],
            labels=labels,
        ),
        opts=in_namespace,
    )

    # --- network --------------------------------------------------------------------------------
    ModelNetworkPolicy(
        f"{model}-netpol",
        ModelNetworkPolicyArgs(
            namespace=namespace,
            server_selector=server_selector,
            job_selector=job_selector,
            http_port=contract.HTTP_PORT,
            metrics_port=contract.METRICS_PORT,
            ingress_namespace=settings.ingress_namespace,
            prometheus_namespace=settings.prometheus_namespace,
            invokers=[Invoker(i.kubernetes_namespace, dict(i.kubernetes_pod_labels))
                      for i in spec.security.invokers if i.kubernetes_namespace],
            pushgateway_port=PUSHGATEWAY_PORT,
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

    # --- traffic ----------------------------------------------------------------------------------
    if runs_server and tls is not None:
        ModelIngress(
            f"{model}-ingress",
            ModelIngressArgs(
                name=model, namespace=namespace, host=tls.host, service_name=model, service_port_name="http",
                ingress_class_name=settings.ingress_class_name, tls_secret_name=tls.secret_name,
                cert_manager_issuer=tls.cert_manager_issuer if tls.secret_name is None else None,
                canary=CanaryRoute(f"{model}-canary", rollout.traffic_percent or 0) if candidate else None,
                labels=labels,
            ),
            opts=in_namespace,
        )
        outputs["ingress_host"] = tls.host
    else:
        outputs["ingress_host"] = None

    # --- monitoring -------------------------------------------------------------------------------
    routing = {"team": tags.k8s_label_value(spec.metadata.team or spec.metadata.owner.replace("@", "-at-")),
               "owner": tags.k8s_label_value(spec.metadata.owner.replace("@", "-at-"))}
    quality = spec.monitoring.quality
    ModelMonitoring(
        f"{model}-monitoring",
        ModelMonitoringArgs(
            name=model, namespace=namespace, model=model, environment=environment,
            service_selector=server_selector, metrics_port_name=METRICS_PORT_NAME,
            metrics_path=contract.METRICS_PATH, latency_p99_ms=spec.monitoring.latency_p99_ms,
            error_rate_percent=spec.monitoring.error_rate_percent,
            prometheus_labels=dict(settings.prometheus_rule_labels), routing_labels=routing,
            alerts_enabled=spec.monitoring.alarms_enabled,
            drift=DriftAlerting(drift.method, drift.warn_threshold, drift.alert_threshold,
                                3 * cron_interval_seconds(drift.schedule)) if runs_drift else None,
            quality=QualityAlerting(quality.metric, quality.threshold, quality.metric in HIGHER_IS_BETTER)
            if quality else None,
            labels=labels,
        ),
        opts=in_namespace,
    )

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
                command=["python", "-m", BATCH_MODULE, "--model-dir", model_dir, "--input", batch.input_uri,
                         "--output", batch.output_uri, "--max-payload-mb", str(batch.max_payload_mb)],
                labels={**job_labels, tags.K8S_PREFIX + "job": "batch"}, parallelism=batch.instance_count,
                **common_job,
            ),
            opts=in_namespace,
        )
    if runs_drift:
        command = [
            "slipstack", "drift",
            "--current", f"s3://{bucket}/{CAPTURE_PREFIX}/{model}/{environment}/",
            "--profile", f"{model_dir}/manifest.json",
            "--model", model, "--env", environment, "--method", drift.method,
            "--warn-threshold", f"{drift.warn_threshold:g}", "--alert-threshold", f"{drift.alert_threshold:g}",
            "--p-value", f"{drift.p_value:g}",
            "--pushgateway",
            f"http://{PUSHGATEWAY_SERVICE}.{settings.prometheus_namespace}.svc.cluster.local:{PUSHGATEWAY_PORT}",
            "--no-progress",
        ]
        if drift.features:
            command += ["--features", ",".join(drift.features)]
        ModelCronJob(
            f"{model}-drift",
            ModelCronJobArgs(
                name=f"{model}-drift", schedule=drift.schedule, command=command,
                labels={**job_labels, tags.K8S_PREFIX + "job": "drift"}, **common_job,
            ),
            opts=in_namespace,
        )
    return outputs
