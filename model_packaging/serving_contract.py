"""What the serving image promises the deployment stacks: ports, paths and the fetch command.

The Kubernetes stack imports these constants to build the init container, probes and Service, and
the serving image (model_server/Dockerfile) and `slipstack serve` use the same values, so the three
cannot drift apart. Standard library only: this module is imported where nothing else is installed.
"""

from __future__ import annotations

from contracts import artifact_layout

# Open Inference Protocol V2 over HTTP (MLServer's REST server).
HTTP_PORT = 8080
# MLServer always opens a gRPC server too; the stacks may expose or firewall it.
GRPC_PORT = 8081
# Prometheus metrics (MLServer's separate metrics server).
METRICS_PORT = 8082
METRICS_PATH = "/metrics"
LIVENESS_PATH = "/v2/health/live"
READINESS_PATH = "/v2/health/ready"


def model_ready_path(model_name: str) -> str:
    return f"/v2/models/{model_name}/ready"


def infer_path(model_name: str) -> str:
    return f"/v2/models/{model_name}/infer"


# The init container downloads and verifies the artifact into MODEL_MOUNT_ROOT/<model-name>; the
# server container mounts the same (read-only) volume and serves it.
MODEL_MOUNT_ROOT = "/mnt/models"
# `python -m FETCH_MODULE --uri <s3://bucket/key | path> --sha256 <digest> --dest MODEL_MOUNT_ROOT/<name>`
FETCH_MODULE = "model_packaging.fetch"
# The server process: MLServer's `mlserver start` plus the request body limit below (model_server/start.py).
# The serving image's ENTRYPOINT and the Kubernetes container command must both be this.
SERVER_MODULE = "model_server.start"
# Largest request body the server accepts; a larger one gets 413 before it is read. 8 MiB holds a
# 10,000-row request (the runtime's row limit) of ~40 float features as V2 JSON. Ingress in front of the
# server should refuse the same size (nginx: `nginx.ingress.kubernetes.io/proxy-body-size: "8m"`).
MAX_REQUEST_BODY_BYTES = 8 * 1024 * 1024
MAX_REQUEST_BODY_ENV = "SLIPSTACK_MAX_REQUEST_BODY_BYTES"
# The runtime class MLServer loads (named in each artifact's model-settings.json).
RUNTIME_IMPLEMENTATION = "model_server.runtime.SlipstackRuntime"
# The non-root user the serving image runs as (Pod securityContext.runAsUser / runAsGroup).
RUN_AS_USER = 10001
RUN_AS_GROUP = 10001
# Publish layout in the artifact bucket: content-addressed, with the pointer written last (one definition,
# shared with the stacks, in contracts.artifact_layout).
ARTIFACT_KEY_PREFIX = artifact_layout.ARTIFACT_KEY_PREFIX
ARCHIVE_NAME = artifact_layout.ARCHIVE_FILE
MANIFEST_NAME = artifact_layout.MANIFEST_FILE
CURRENT_POINTER_NAME = artifact_layout.CURRENT_POINTER_FILE
artifact_key = artifact_layout.artifact_key
current_pointer_key = artifact_layout.current_pointer_key


def fetch_command(uri: str, digest: str, model_name: str) -> list[str]:
    """The init container's command line."""
    return [
        "python", "-m", FETCH_MODULE, "--uri", uri, "--sha256", digest, "--dest", f"{MODEL_MOUNT_ROOT}/{model_name}",
    ]


def server_command(model_directory: str) -> list[str]:
    """The serving container's command line (what the image's ENTRYPOINT + CMD run)."""
    return ["python", "-m", SERVER_MODULE, model_directory]
