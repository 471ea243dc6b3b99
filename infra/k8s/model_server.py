# mypy: disable-error-code="call-overload"
# (pulumi_kubernetes types each field as a TypedDict; manifests built as plain dicts cannot match them.)
"""The model server: a Deployment running MLServer (Open Inference Protocol V2) on the restricted profile.

The container runs the serving image's entry point (`python -m model_server.start <model dir>`:
MLServer plus the request body limit), never `mlserver start` directly, so a pod refuses oversized
bodies exactly like the image run anywhere else; the limit is also set explicitly, so the ingress in
front (proxy-body-size) and the server are configured from the same number. Feature switches of the
serving path (prediction cache, request capture) arrive as environment variables in `env`; a server
that writes captured requests also gets the artifact store's endpoint and credentials.

The artifact is downloaded and checksum-verified by an init container (`model_pod.py`) into an
emptyDir the server mounts read-only, so a pod whose artifact does not match its digest never starts
serving and shows the mismatch as an Init:Error. Used twice for a canary: once for the stable
version and once for the candidate, with different `track` labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from contracts.tags import K8S_ARTIFACT_SHA256
from infra.k8s.model_pod import (
    ArtifactFetch,
    ContainerResources,
    artifact_store_access,
    image_reference,
    model_pod_spec,
    scanner_skip_annotations,
)

HTTP_PORT_NAME = "http"
METRICS_PORT_NAME = "metrics"


@dataclass(frozen=True)
class ServerContract:
    """What the serving image promises: ports, health paths, where models are mounted."""

    http_port: int
    grpc_port: int
    metrics_port: int
    metrics_path: str
    liveness_path: str
    readiness_path: str
    models_mount: str
    # Largest request body the server accepts (413 above it), and the env var that sets it.
    max_request_body_bytes: int | None = None
    max_request_body_env: str = "SLIPSTACK_MAX_REQUEST_BODY_BYTES"


@dataclass(frozen=True)
class ModelServerArgs:
    name: str  # the Deployment's name
    namespace: str
    model_name: str  # the V2 model name served (and the folder under models_mount)
    model_dir: str  # the verified artifact folder MLServer loads, under contract.models_mount
    command: list[str]  # the serving image's entry point for model_dir (serving_contract.server_command)
    image_repository: str
    image_tag: str
    # A pinned digest, or an Output of the registry's digest for the tag (stacks/server_image.py); None: by tag.
    image_digest: pulumi.Input[str] | None
    fetch: ArtifactFetch
    contract: ServerContract
    service_account_name: str
    resources: ContainerResources
    labels: dict[str, str]
    # The labels the Deployment selects its pods by (a subset of pod labels; immutable once created).
    selector: dict[str, str]
    # None when an HPA owns the replica count (a fixed number would fight the autoscaler on every deploy).
    replicas: int | None = None
    # Spread over nodes strictly (prod: losing a node must not take every replica) or as a preference.
    spread_required: bool = False
    node_selector: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    # Lowercase hex sha256 of the artifact the init container verifies; written as an annotation (a
    # label value holds only 63 characters) on the Deployment and its pods, for policy and audits.
    artifact_sha256: str | None = None
    # A digest-less image or a missing CPU limit must be a reasoned choice, recorded in the manifest
    # as Checkov's skip annotation so a reviewer sees why (CKV_K8S_43 / CKV_K8S_11).
    unpinned_digest_reason: str | None = None
    unlimited_cpu_reason: str | None = None
    # Time to finish in-flight requests after the pod leaves the Service's endpoints.
    termination_grace_period_seconds: int = 30
    drain_seconds: int = 5
    # preStop `sleep` is a kubelet action from Kubernetes 1.30; older clusters refuse the manifest, so they
    # get an exec hook that sleeps in the image's Python instead (the slim image has no `sleep` we rely on).
    prestop_sleep_action: bool = True
    parallel_workers: int = 0
    # Serving-path switches (prediction cache, request capture), as the serving image reads them.
    env: dict[str, str] = field(default_factory=dict)
    # True when the server writes to the artifact store (request capture): it gets the store's
    # endpoint and credentials like the init container; otherwise it never sees them.
    artifact_store_writer: bool = False


def topology_spread(selector: dict[str, str], required: bool) -> list[dict[str, Any]]:
    # nodeTaintsPolicy Honor: nodes whose taints the pod does not tolerate (control plane, GPU pools) do not count
    # as domains, else DoNotSchedule waits forever for a replica there. matchLabelKeys: each ReplicaSet (rollout
    # revision) is spread on its own, so a rolling update is not skewed by the old revision's pods.
    common = {"nodeTaintsPolicy": "Honor", "nodeAffinityPolicy": "Honor", "matchLabelKeys": ["pod-template-hash"]}
    return [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "DoNotSchedule" if required else "ScheduleAnyway",
            "labelSelector": {"matchLabels": dict(selector)},
            **common,
        },
        # Zones are a preference: many on-prem clusters have one, and DoNotSchedule would strand pods.
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": dict(selector)},
            **common,
        },
    ]


def prestop_hook(args: ModelServerArgs) -> dict[str, Any]:
    if args.prestop_sleep_action:
        return {"sleep": {"seconds": args.drain_seconds}}
    return {"exec": {"command": ["python", "-c", f"import time; time.sleep({args.drain_seconds})"]}}


def server_container(args: ModelServerArgs, image: str) -> dict[str, Any]:
    contract = args.contract

    def http_get(path: str, port: str) -> dict[str, Any]:
        return {"path": path, "port": port, "scheme": "HTTP"}

    store_env, store_mounts = artifact_store_access(args.fetch) if args.artifact_store_writer else ([], [])
    body_limit = (
        [{"name": contract.max_request_body_env, "value": str(contract.max_request_body_bytes)}]
        if contract.max_request_body_bytes else []
    )
    reserved = {"MLSERVER_HOST", "MLSERVER_PARALLEL_WORKERS", "MLSERVER_HTTP_PORT", "MLSERVER_GRPC_PORT",
                "MLSERVER_METRICS_PORT", "MLSERVER_METRICS_ENDPOINT", "MLSERVER_METRICS_DIR", "HOME",
                contract.max_request_body_env}
    clash = reserved & set(args.env)
    if clash:
        raise ValueError(f"{args.name}: env may not override {sorted(clash)} (the contract sets them)")
    return {
        "name": "server",
        "image": image,
        "command": list(args.command),
        # MLServer keeps its metrics files in the working directory; the root filesystem is read-only.
        "workingDir": "/tmp",
        "env": [
            {"name": "MLSERVER_HOST", "value": "0.0.0.0"},
            # Inference in the server process: the packaging engineer's benchmark found it fastest.
            {"name": "MLSERVER_PARALLEL_WORKERS", "value": str(args.parallel_workers)},
            {"name": "MLSERVER_HTTP_PORT", "value": str(contract.http_port)},
            {"name": "MLSERVER_GRPC_PORT", "value": str(contract.grpc_port)},
            {"name": "MLSERVER_METRICS_PORT", "value": str(contract.metrics_port)},
            {"name": "MLSERVER_METRICS_ENDPOINT", "value": contract.metrics_path},
            # The root filesystem is read-only: MLServer's metrics and Python's caches go to /tmp.
            {"name": "MLSERVER_METRICS_DIR", "value": "/tmp/mlserver-metrics"},
            {"name": "HOME", "value": "/tmp"},
            *body_limit,
            *store_env,
            *({"name": key, "value": value} for key, value in sorted(args.env.items())),
        ],
        "ports": [
            {"name": HTTP_PORT_NAME, "containerPort": contract.http_port, "protocol": "TCP"},
            {"name": METRICS_PORT_NAME, "containerPort": contract.metrics_port, "protocol": "TCP"},
        ],
        "resources": args.resources.as_manifest(),
        # Loading a large model can take minutes: the startup probe holds liveness off until then,
        # instead of a long initialDelaySeconds that would also delay restarts of a hung server.
        "startupProbe": {"httpGet": http_get(contract.liveness_path, HTTP_PORT_NAME), "periodSeconds": 5,
                         "failureThreshold": 60, "timeoutSeconds": 2},
        "livenessProbe": {"httpGet": http_get(contract.liveness_path, HTTP_PORT_NAME), "periodSeconds": 10,
                          "failureThreshold": 3, "timeoutSeconds": 2},
        "readinessProbe": {"httpGet": http_get(contract.readiness_path, HTTP_PORT_NAME), "periodSeconds": 5,
                           "failureThreshold": 2, "timeoutSeconds": 2},
        # Endpoints are removed asynchronously: keep serving briefly after SIGTERM so no request is cut.
        "lifecycle": {"preStop": prestop_hook(args)},
        "volumeMounts": [
            {"name": "models", "mountPath": contract.models_mount, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
            *store_mounts,
        ],
    }


class ModelServer(pulumi.ComponentResource):
    deployment: k8s.apps.v1.Deployment
    deployment_name: pulumi.Output[str]

    def __init__(self, name: str, args: ModelServerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:k8s:ModelServer", name, None, opts)
        image = image_reference(args.image_repository, args.image_tag, args.image_digest)
        pod_labels = {**args.labels, **args.selector}
        artifact = {K8S_ARTIFACT_SHA256: args.artifact_sha256} if args.artifact_sha256 else {}
        pod_spec = model_pod_spec(
            containers=[server_container(args, image)],
            image=image,
            fetch=args.fetch,
            service_account_name=args.service_account_name,
            models_mount=args.contract.models_mount,
            termination_grace_period_seconds=args.termination_grace_period_seconds,
            topology_spread=topology_spread(args.selector, args.spread_required),
            node_selector=args.node_selector,
        )
        spec: dict[str, Any] = {
            "selector": {"matchLabels": dict(args.selector)},
            "revisionHistoryLimit": 5,
            # Never below the current capacity during a rollout: surge one pod, keep every old one until ready.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": pod_labels, "annotations": artifact}, "spec": pod_spec},
        }
        if args.replicas is not None:
            spec["replicas"] = args.replicas
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata={
                "name": args.name,
                "namespace": args.namespace,
                "labels": pod_labels,
                "annotations": {**args.annotations, **artifact, **scanner_skip_annotations(args)},
            },
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.deployment_name = self.deployment.metadata.apply(lambda m: m["name"])
        self.register_outputs({"deployment_name": self.deployment_name})
