"""The hardened pod template every model workload shares (server Deployment, batch and drift CronJobs).

Not a component: a pure function that builds the pod spec, so the server and the jobs cannot drift
apart in how they are hardened. Everything here satisfies the Pod Security Standards `restricted`
profile and Checkov's container checks: non-root with a high UID, read-only root filesystem, all
capabilities dropped, no privilege escalation, RuntimeDefault seccomp, requests and limits, and the
model fetched and checksum-verified by an init container before any other container starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

# The serving image's non-root user. Checkov's CKV_K8S_40 wants a UID >= 10000 so it cannot collide
# with a host account if a container ever escaped its user namespace.
DEFAULT_UID = 10001
MODELS_VOLUME = "models"
TMP_VOLUME = "tmp"
ARTIFACT_STORE_CREDENTIALS_VOLUME = "artifact-store-credentials"
ARTIFACT_STORE_CREDENTIALS_PATH = "/var/run/secrets/slipstack/artifact-store"
ARTIFACT_STORE_CA_VOLUME = "artifact-store-ca"
ARTIFACT_STORE_CA_PATH = "/etc/slipstack/artifact-store-ca"


@dataclass(frozen=True)
class CaBundle:
    """A ConfigMap key holding the PEM bundle that signs a private store's certificate (boto3's AWS_CA_BUNDLE)."""

    config_map: str
    key: str = "ca.crt"


@dataclass(frozen=True)
class ContainerResources:
    cpu_request: str
    memory: str  # request and limit: a memory limit above the request invites OOM kills under pressure
    cpu_limit: str | None = None

    def as_manifest(self) -> dict[str, Any]:
        limits = {"memory": self.memory}
        if self.cpu_limit:
            limits["cpu"] = self.cpu_limit
        return {"requests": {"cpu": self.cpu_request, "memory": self.memory}, "limits": limits}


@dataclass(frozen=True)
class ArtifactFetch:
    """The init container's job: download the artifact and refuse it unless its digest matches."""

    command: list[str]
    # Secret with an AWS-style credentials file for an on-prem S3-compatible store, or None on EKS, where the
    # pod identity webhook supplies credentials. When named it is required: a missing secret must stop the pod
    # at creation (CreateContainerConfigError), not surface later as boto3's "Unable to locate credentials".
    credentials_secret: str | None = None
    endpoint_url: str | None = None
    # A private store's CA: without it boto3 verifies against the public roots and every download fails.
    ca_bundle: CaBundle | None = None
    # The AWS region of a bucket read from outside AWS (no pod identity webhook sets it there).
    region: str | None = None
    resources: ContainerResources = field(default_factory=lambda: ContainerResources("100m", "512Mi", "1"))


def restricted_container_security_context(uid: int = DEFAULT_UID) -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def restricted_pod_security_context(uid: int = DEFAULT_UID) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        # The emptyDir volumes become group-writable for the image's user without a root init step.
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def image_reference(repository: str, tag: str, digest: Any) -> Any:
    """`repo:tag@sha256:...` when a digest is known: the tag stays readable, the digest is what is pulled.

    `digest` is a string, or an Output when the stack asks the registry (a data source) at preview/up time.
    """
    if digest is None:
        return f"{repository}:{tag}"
    if isinstance(digest, str):
        return f"{repository}:{tag}@{digest}"
    import pulumi

    return pulumi.Output.concat(repository, ":", tag, "@", digest)


def artifact_store_access(fetch: ArtifactFetch) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """The env and mounts a container needs to reach the artifact store (endpoint, credentials file).

    The init container always gets them; the server only when it writes captured requests, and the
    jobs because they read capture data or batch input. The pod spec mounts the secret volume once.
    """
    env: list[dict[str, str]] = []
    mounts: list[dict[str, Any]] = []
    if fetch.endpoint_url:
        env.append({"name": "AWS_ENDPOINT_URL_S3", "value": fetch.endpoint_url})
    if fetch.region:
        env.append({"name": "AWS_DEFAULT_REGION", "value": fetch.region})
    if fetch.ca_bundle:
        env.append({"name": "AWS_CA_BUNDLE", "value": f"{ARTIFACT_STORE_CA_PATH}/{fetch.ca_bundle.key}"})
        mounts.append({"name": ARTIFACT_STORE_CA_VOLUME, "mountPath": ARTIFACT_STORE_CA_PATH, "readOnly": True})
    if fetch.credentials_secret:
        env.append({"name": "AWS_SHARED_CREDENTIALS_FILE", "value": f"{ARTIFACT_STORE_CREDENTIALS_PATH}/credentials"})
        mounts.append(
            {"name": ARTIFACT_STORE_CREDENTIALS_VOLUME, "mountPath": ARTIFACT_STORE_CREDENTIALS_PATH, "readOnly": True}
        )
    return env, mounts


def _fetch_container(image: str, fetch: ArtifactFetch, models_mount: str, uid: int) -> dict[str, Any]:
    store_env, store_mounts = artifact_store_access(fetch)
    env = [{"name": "HOME", "value": "/tmp"}, *store_env]
    mounts: list[dict[str, Any]] = [
        {"name": MODELS_VOLUME, "mountPath": models_mount},
        {"name": TMP_VOLUME, "mountPath": "/tmp"},
        *store_mounts,
    ]
    return {
        "name": "fetch-model",
        "image": image,
        "imagePullPolicy": "Always",
        "command": list(fetch.command),
        "env": env,
        "resources": fetch.resources.as_manifest(),
        "securityContext": restricted_container_security_context(uid),
        "volumeMounts": mounts,
        # A checksum mismatch exits non-zero; this message is what `kubectl describe pod` shows.
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }


def model_pod_spec(
    *,
    containers: list[dict[str, Any]],
    image: str,
    fetch: ArtifactFetch,
    service_account_name: str,
    models_mount: str,
    models_size_limit: str = "2Gi",
    uid: int = DEFAULT_UID,
    restart_policy: str | None = None,
    termination_grace_period_seconds: int = 30,
    topology_spread: list[dict[str, Any]] | None = None,
    node_selector: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A restricted pod spec: the fetch init container first, then `containers` (hardened here too)."""
    hardened = []
    for container in containers:
        hardened.append(
            {
                "imagePullPolicy": "Always",
                **container,
                "securityContext": restricted_container_security_context(uid),
                "terminationMessagePolicy": "FallbackToLogsOnError",
            }
        )
    volumes: list[dict[str, Any]] = [
        {"name": MODELS_VOLUME, "emptyDir": {"sizeLimit": models_size_limit}},
        # The root filesystem is read-only; Python and MLServer need a scratch directory.
        {"name": TMP_VOLUME, "emptyDir": {"sizeLimit": "256Mi"}},
    ]
    if fetch.credentials_secret:
        volumes.append(
            {
                "name": ARTIFACT_STORE_CREDENTIALS_VOLUME,
                "secret": {"secretName": fetch.credentials_secret, "optional": False, "defaultMode": 0o440},
            }
        )
    if fetch.ca_bundle:
        volumes.append(
            {
                "name": ARTIFACT_STORE_CA_VOLUME,
                "configMap": {"name": fetch.ca_bundle.config_map, "optional": False, "defaultMode": 0o444,
                              "items": [{"key": fetch.ca_bundle.key, "path": fetch.ca_bundle.key}]},
            }
        )
    spec: dict[str, Any] = {
        "serviceAccountName": service_account_name,
        # No container talks to the Kubernetes API; a mounted token would only be something to steal.
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": restricted_pod_security_context(uid),
        "initContainers": [_fetch_container(image, fetch, models_mount, uid)],
        "containers": hardened,
        "volumes": volumes,
        "terminationGracePeriodSeconds": termination_grace_period_seconds,
    }
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    if topology_spread:
        spec["topologySpreadConstraints"] = topology_spread
    if node_selector:
        spec["nodeSelector"] = dict(node_selector)
    return spec


class PinnedWorkloadArgs(Protocol):
    """What a workload's scanner skips depend on: its image digest and CPU limit, and the reasons for gaps."""

    @property
    def name(self) -> str: ...

    @property
    def image_digest(self) -> Any: ...  # a digest, an Output of one (resolved from the registry), or None

    @property
    def resources(self) -> ContainerResources: ...

    @property
    def unpinned_digest_reason(self) -> str | None: ...

    @property
    def unlimited_cpu_reason(self) -> str | None: ...


def scanner_skip_annotations(args: PinnedWorkloadArgs) -> dict[str, str]:
    """Checkov skip annotations for the deliberate gaps of a workload (each with its reason).

    A gap without a reason is refused: a skip must say why, or the scanner's finding should stand.
    """
    skips: list[str] = []
    if args.image_digest is None:
        if not args.unpinned_digest_reason:
            raise ValueError(f"{args.name}: an image without a digest needs unpinned_digest_reason")
        skips.append(f"CKV_K8S_43={args.unpinned_digest_reason}")
    if args.resources.cpu_limit is None:
        if not args.unlimited_cpu_reason:
            raise ValueError(f"{args.name}: a container without a CPU limit needs unlimited_cpu_reason")
        skips.append(f"CKV_K8S_11={args.unlimited_cpu_reason}")
    return {f"checkov.io/skip{index}": skip for index, skip in enumerate(skips, start=1)}
