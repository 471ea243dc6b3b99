# mypy: disable-error-code="call-overload"
# (pulumi_kubernetes types each field as a TypedDict; manifests built as plain dicts cannot match them.)
"""A scheduled job of a model (batch scoring, the drift check), hardened exactly like the server.

It uses the same pod template (`model_pod.py`): the artifact is fetched and verified first, the
container runs non-root on a read-only root filesystem with every capability dropped. Jobs never
overlap, keep a short history, and are killed if they run past their deadline. The job container gets
the artifact store's endpoint and credentials (it reads capture data or batch input and writes
results there).

The drift job runs `monitoring.job_command.drift_job_command`. With `monitoring.drift.dask_scheduler`
in the spec it runs with `--engine dask --scheduler <address>`: the pod is only the Dask client (the
cluster's workers compute the partial statistics and the pod merges them), its NetworkPolicy
(`allow-drift-dask-egress`, model_network_policy.py) lets the drift pods alone reach that scheduler's
host and port, and `activeDeadlineSeconds` stops a run stuck on an unreachable or overloaded cluster
before the next run is due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.k8s.model_pod import (
    ArtifactFetch,
    ContainerResources,
    artifact_store_access,
    image_reference,
    model_pod_spec,
    scanner_skip_annotations,
)


@dataclass(frozen=True)
class ModelCronJobArgs:
    name: str
    namespace: str
    schedule: str  # five-field cron, UTC
    command: list[str]
    image_repository: str
    image_tag: str
    # A pinned digest, or an Output of the registry's digest for the tag (stacks/server_image.py); None: by tag.
    image_digest: pulumi.Input[str] | None
    fetch: ArtifactFetch
    models_mount: str
    service_account_name: str
    resources: ContainerResources
    labels: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    parallelism: int = 1
    active_deadline_seconds: int = 3600
    backoff_limit: int = 2
    node_selector: dict[str, str] = field(default_factory=dict)
    unpinned_digest_reason: str | None = None
    unlimited_cpu_reason: str | None = None


class ModelCronJob(pulumi.ComponentResource):
    cron_job: k8s.batch.v1.CronJob

    def __init__(self, name: str, args: ModelCronJobArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:k8s:ModelCronJob", name, None, opts)
        image = image_reference(args.image_repository, args.image_tag, args.image_digest)
        store_env, store_mounts = artifact_store_access(args.fetch)
        container: dict[str, Any] = {
            "name": "job",
            "image": image,
            "command": list(args.command),
            "env": [{"name": "HOME", "value": "/tmp"}, *store_env,
                    *({"name": k, "value": v} for k, v in sorted(args.env.items()))],
            "resources": args.resources.as_manifest(),
            "volumeMounts": [
                {"name": "models", "mountPath": args.models_mount, "readOnly": True},
                {"name": "tmp", "mountPath": "/tmp"},
                *store_mounts,
            ],
        }
        pod_spec = model_pod_spec(
            containers=[container],
            image=image,
            fetch=args.fetch,
            service_account_name=args.service_account_name,
            models_mount=args.models_mount,
            restart_policy="Never",
            node_selector=args.node_selector,
        )
        self.cron_job = k8s.batch.v1.CronJob(
            f"{name}-cron-job",
            metadata={"name": args.name, "namespace": args.namespace, "labels": args.labels,
                      "annotations": scanner_skip_annotations(args)},
            spec={
                "schedule": args.schedule,
                "timeZone": "Etc/UTC",
                # A run still going when the next is due means the data outgrew the schedule: don't pile up.
                "concurrencyPolicy": "Forbid",
                "startingDeadlineSeconds": 600,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": {
                    "metadata": {"labels": args.labels},
                    "spec": {
                        "parallelism": args.parallelism,
                        "backoffLimit": args.backoff_limit,
                        "activeDeadlineSeconds": args.active_deadline_seconds,
                        "ttlSecondsAfterFinished": 86400,
                        "template": {"metadata": {"labels": args.labels}, "spec": pod_spec},
                    },
                },
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
