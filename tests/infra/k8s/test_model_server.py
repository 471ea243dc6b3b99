"""ModelServer and ModelCronJob under the recording mock: every container, init containers included, is
hardened; the server has its probes; the artifact is verified before the server starts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contracts import type_tokens as t
from infra.k8s.model_cron_job import ModelCronJob, ModelCronJobArgs
from infra.k8s.model_pod import ArtifactFetch, ContainerResources
from infra.k8s.model_server import ModelServer, ModelServerArgs, ServerContract
from model_packaging import serving_contract as contract

DIGEST = "b" * 64
FETCH = ArtifactFetch(contract.fetch_command("s3://bucket/models/m/sha256:x/model.tar.gz", "sha256:" + DIGEST, "m"),
                      credentials_secret="artifact-store-credentials")
CONTRACT = ServerContract(8080, 8081, 8082, "/metrics", "/v2/health/live", "/v2/health/ready", "/mnt/models",
                          max_request_body_bytes=contract.MAX_REQUEST_BODY_BYTES,
                          max_request_body_env=contract.MAX_REQUEST_BODY_ENV)


def server_args(**changes: Any) -> ModelServerArgs:
    values: dict[str, Any] = dict(
        name="m", namespace="m-prod", model_name="m", model_dir="/mnt/models/m",
        command=contract.server_command("/mnt/models/m"),
        image_repository="ghcr.io/slipstack/model-server", image_tag="0.1.0", image_digest="sha256:" + "c" * 64,
        fetch=FETCH, contract=CONTRACT, service_account_name="m",
        resources=ContainerResources("500m", "1Gi", "2"), labels={"app.kubernetes.io/name": "m"},
        selector={"app.kubernetes.io/name": "m", "slipstack.dev/track": "stable"}, artifact_sha256=DIGEST,
        spread_required=True,
    )
    values.update(changes)
    return ModelServerArgs(**values)


def all_containers(pod_spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod_spec["initContainers"], *pod_spec["containers"]]


def assert_restricted(pod_spec: dict[str, Any]) -> None:
    assert pod_spec["automountServiceAccountToken"] is False
    assert pod_spec["serviceAccountName"] not in ("", "default")
    pod = pod_spec["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] >= 10000
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not {"hostNetwork", "hostPID", "hostIPC"} & set(pod_spec)
    assert all("hostPath" not in volume for volume in pod_spec["volumes"])
    for container in all_containers(pod_spec):
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False, container["name"]
        assert context["privileged"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["runAsNonRoot"] is True and context["runAsUser"] >= 10000
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]) and "memory" in resources["limits"]
        assert ":" in container["image"].rsplit("/", 1)[-1] and not container["image"].endswith(":latest")
        assert all("hostPort" not in port for port in container.get("ports", []))


def test_server_pod_is_restricted_and_verifies_the_artifact_first(pulumi_run: Callable[..., Any]) -> None:
    run = pulumi_run(lambda: ModelServer("m-server", server_args()) and None)
    deployment = run.one(t.K8S_DEPLOYMENT).inputs
    pod_spec = deployment["spec"]["template"]["spec"]
    assert_restricted(pod_spec)
    (init,) = pod_spec["initContainers"]
    assert init["command"][:3] == ["python", "-m", "model_packaging.fetch"]
    assert init["command"][init["command"].index("--sha256") + 1] == "sha256:" + DIGEST
    assert init["command"][init["command"].index("--dest") + 1] == "/mnt/models/m"
    server = pod_spec["containers"][0]
    # The server only reads what the init container verified.
    assert {"name": "models", "mountPath": "/mnt/models", "readOnly": True} in server["volumeMounts"]
    assert server["image"] == init["image"] == "ghcr.io/slipstack/model-server:0.1.0@sha256:" + "c" * 64
    assert deployment["metadata"]["annotations"]["slipstack.dev/artifact-sha256"] == DIGEST
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    assert "replicas" not in deployment["spec"]  # the HPA owns the count


def test_server_probes_hit_the_health_endpoints(pulumi_run: Callable[..., Any]) -> None:
    run = pulumi_run(lambda: ModelServer("m-server", server_args()) and None)
    pod_spec = run.one(t.K8S_DEPLOYMENT).inputs["spec"]["template"]["spec"]
    server = pod_spec["containers"][0]
    assert server["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": "http", "scheme": "HTTP"}
    assert server["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert server["startupProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert server["startupProbe"]["failureThreshold"] * server["startupProbe"]["periodSeconds"] >= 120
    assert [(p["name"], p["containerPort"]) for p in server["ports"]] == [("http", 8080), ("metrics", 8082)]
    assert server["lifecycle"]["preStop"]["sleep"]["seconds"] < pod_spec["terminationGracePeriodSeconds"]
    spread = {c["topologyKey"]: c["whenUnsatisfiable"] for c in pod_spec["topologySpreadConstraints"]}
    assert spread == {"kubernetes.io/hostname": "DoNotSchedule", "topology.kubernetes.io/zone": "ScheduleAnyway"}


def test_gaps_need_reasons_and_become_checkov_skips(pulumi_run: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match="unpinned_digest_reason"):
        pulumi_run(lambda: ModelServer("m-server", server_args(image_digest=None)) and None)
    with pytest.raises(ValueError, match="unlimited_cpu_reason"):
        pulumi_run(lambda: ModelServer("m-server", server_args(resources=ContainerResources("1", "1Gi"))) and None)
    run = pulumi_run(lambda: ModelServer("m-server", server_args(
        image_digest=None, unpinned_digest_reason="dev pins by tag; prod by digest",
        resources=ContainerResources("1", "1Gi"), unlimited_cpu_reason="throttling hurts p99 latency")) and None)
    annotations = run.one(t.K8S_DEPLOYMENT).inputs["metadata"]["annotations"]
    assert annotations["checkov.io/skip1"] == "CKV_K8S_43=dev pins by tag; prod by digest"
    assert annotations["checkov.io/skip2"] == "CKV_K8S_11=throttling hurts p99 latency"


def test_cron_job_is_hardened_like_the_server(pulumi_run: Callable[..., Any]) -> None:
    args = ModelCronJobArgs(
        name="m-drift", namespace="m-prod", schedule="0 * * * *", command=["slipstack", "drift"],
        image_repository="ghcr.io/slipstack/model-server", image_tag="0.1.0", image_digest="sha256:" + "c" * 64,
        fetch=FETCH, models_mount="/mnt/models", service_account_name="m",
        resources=ContainerResources("250m", "512Mi", "1"), labels={"app.kubernetes.io/component": "job"},
    )
    run = pulumi_run(lambda: ModelCronJob("m-drift", args) and None)
    cron = run.one(t.K8S_CRON_JOB).inputs
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    job = cron["spec"]["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] > 0 and job["backoffLimit"] >= 0
    pod_spec = job["template"]["spec"]
    assert pod_spec["restartPolicy"] == "Never"
    assert_restricted(pod_spec)
    assert pod_spec["initContainers"][0]["name"] == "fetch-model"
    assert "annotations" not in cron["metadata"] or not cron["metadata"]["annotations"]


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container["env"]}


def test_server_runs_the_image_entry_point_with_the_body_limit(pulumi_run: Callable[..., Any]) -> None:
    run = pulumi_run(lambda: ModelServer("m-server", server_args()) and None)
    server = run.one(t.K8S_DEPLOYMENT).inputs["spec"]["template"]["spec"]["containers"][0]
    # Not `mlserver start`: the entry point wraps it with the 413 body limit.
    assert server["command"] == ["python", "-m", "model_server.start", "/mnt/models/m"]
    assert env_of(server)["SLIPSTACK_MAX_REQUEST_BODY_BYTES"] == str(8 * 1024 * 1024)
    # Without capture the server never sees the artifact store's credentials.
    assert "AWS_SHARED_CREDENTIALS_FILE" not in env_of(server)
    assert all(m["name"] != "artifact-store-credentials" for m in server["volumeMounts"])


def test_capturing_server_gets_switches_and_store_credentials(pulumi_run: Callable[..., Any]) -> None:
    fetch = ArtifactFetch(FETCH.command, credentials_secret="store-creds", endpoint_url="https://minio.example.com")
    switches = {"SLIPSTACK_CACHE_ENABLED": "true", "SLIPSTACK_CAPTURE_URI": "s3://b/capture/m/prod"}
    run = pulumi_run(lambda: ModelServer("m-server", server_args(
        fetch=fetch, env=switches, artifact_store_writer=True)) and None)
    pod_spec = run.one(t.K8S_DEPLOYMENT).inputs["spec"]["template"]["spec"]
    server = pod_spec["containers"][0]
    env = env_of(server)
    assert switches.items() <= env.items()
    assert env["AWS_ENDPOINT_URL_S3"] == "https://minio.example.com"
    mount = next(m for m in server["volumeMounts"] if m["name"] == "artifact-store-credentials")
    assert mount["readOnly"] is True
    assert env["AWS_SHARED_CREDENTIALS_FILE"].startswith(mount["mountPath"] + "/")
    assert {"name": "artifact-store-credentials", "secret": {"secretName": "store-creds", "optional": False,
                                                             "defaultMode": 0o440}} in pod_spec["volumes"]
    assert_restricted(pod_spec)
    with pytest.raises(ValueError, match="may not override"):
        pulumi_run(lambda: ModelServer("m-server", server_args(env={"MLSERVER_HTTP_PORT": "1"})) and None)


def test_drift_job_reads_the_store_with_its_credentials(pulumi_run: Callable[..., Any]) -> None:
    args = ModelCronJobArgs(
        name="m-drift", namespace="m-prod", schedule="0 * * * *", command=["slipstack", "drift"],
        image_repository="ghcr.io/slipstack/model-server", image_tag="0.1.0", image_digest="sha256:" + "c" * 64,
        fetch=FETCH, models_mount="/mnt/models", service_account_name="m", active_deadline_seconds=3540,
        resources=ContainerResources("250m", "512Mi", "1"), labels={"app.kubernetes.io/component": "job"},
    )
    run = pulumi_run(lambda: ModelCronJob("m-drift", args) and None)
    job = run.one(t.K8S_CRON_JOB).inputs["spec"]["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] == 3540
    container = job["template"]["spec"]["containers"][0]
    assert "AWS_SHARED_CREDENTIALS_FILE" in env_of(container)
    assert any(m["name"] == "artifact-store-credentials" and m["readOnly"] for m in container["volumeMounts"])


@pytest.mark.parametrize(("sleep_action", "hook"), [
    (True, {"sleep": {"seconds": 5}}),
    # Before Kubernetes 1.30 the kubelet refuses `sleep`; the image's Python sleeps instead.
    (False, {"exec": {"command": ["python", "-c", "import time; time.sleep(5)"]}}),
])
def test_prestop_drain_uses_only_what_the_cluster_version_has(
    pulumi_run: Callable[..., Any], sleep_action: bool, hook: dict[str, Any]
) -> None:
    run = pulumi_run(lambda: ModelServer("m-server", server_args(prestop_sleep_action=sleep_action)) and None)
    server = run.one(t.K8S_DEPLOYMENT).inputs["spec"]["template"]["spec"]["containers"][0]
    assert server["lifecycle"]["preStop"] == hook


def test_topology_spread_honours_taints_and_spreads_each_revision(pulumi_run: Callable[..., Any]) -> None:
    run = pulumi_run(lambda: ModelServer("m-server", server_args(spread_required=True)) and None)
    constraints = run.one(t.K8S_DEPLOYMENT).inputs["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert [c["whenUnsatisfiable"] for c in constraints] == ["DoNotSchedule", "ScheduleAnyway"]
    for constraint in constraints:
        assert constraint["nodeTaintsPolicy"] == "Honor" and constraint["nodeAffinityPolicy"] == "Honor"
        assert constraint["matchLabelKeys"] == ["pod-template-hash"]
