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

# --- prediction cache (model_server/prediction_cache.py) -------------------------------------------
# The Kubernetes stack sets these from the spec's serving.cache; `slipstack serve` sets them too. The
# cache is off unless SLIPSTACK_CACHE_ENABLED is "true" (also "1"/"yes"); the runtime refuses bad values
# at load, naming the variable.
CACHE_ENABLED_ENV = "SLIPSTACK_CACHE_ENABLED"
CACHE_MAX_ENTRIES_ENV = "SLIPSTACK_CACHE_MAX_ENTRIES"
CACHE_TTL_SECONDS_ENV = "SLIPSTACK_CACHE_TTL_SECONDS"
# Same defaults and bounds as the spec's serving.cache.
CACHE_DEFAULT_MAX_ENTRIES = 10_000
CACHE_DEFAULT_TTL_SECONDS = 300
CACHE_MAX_ENTRIES_LIMIT = 10_000_000
CACHE_TTL_SECONDS_LIMIT = 86_400

# --- request capture (model_server/request_capture.py) ---------------------------------------------
# Where sampled requests go: s3://bucket/capture/<model>/<environment> (what the drift CronJob reads) or
# a local directory. Files land at <uri>/<yyyy>/<mm>/<dd>/<hh>/<uuid>.jsonl in SageMaker's data-capture
# JSONL format. Unset or empty: no capture.
CAPTURE_URI_ENV = "SLIPSTACK_CAPTURE_URI"
# Share of requests captured, 1-100 (the spec's monitoring.capture.percentage). Default 100 when a URI is set.
CAPTURE_PERCENT_ENV = "SLIPSTACK_CAPTURE_PERCENT"
# Optional flush tuning: a file is written every this many records or seconds, whichever comes first.
CAPTURE_FLUSH_RECORDS_ENV = "SLIPSTACK_CAPTURE_FLUSH_RECORDS"
CAPTURE_FLUSH_SECONDS_ENV = "SLIPSTACK_CAPTURE_FLUSH_SECONDS"
CAPTURE_DEFAULT_FLUSH_RECORDS = 1000
CAPTURE_DEFAULT_FLUSH_SECONDS = 60


def capture_uri(bucket: str, capture_prefix: str, model_name: str, environment: str) -> str:
    """The capture destination of one model in one environment (the drift job reads this prefix)."""
    return f"s3://{bucket}/{capture_prefix.strip('/')}/{model_name}/{environment}"


# --- batch scoring (model_server/batch.py) ----------------------------------------------------------
# `python -m BATCH_MODULE --model-dir DIR --input URI --output URI [--max-payload-mb N]`; URIs are
# s3://bucket/prefix, file:///path, a plain path, or pvc://<claim>/<path>, which the job reads under
# BATCH_PVC_MOUNT_ROOT/<claim>/<path> (the CronJob must mount the claim there).
BATCH_MODULE = "model_server.batch"
BATCH_PVC_MOUNT_ROOT = "/mnt/pvc"


def batch_command(model_directory: str, input_uri: str, output_uri: str, max_payload_mb: int) -> list[str]:
    """The batch CronJob's command line."""
    return ["python", "-m", BATCH_MODULE, "--model-dir", model_directory, "--input", input_uri,
            "--output", output_uri, "--max-payload-mb", str(max_payload_mb)]

# --- request size limits per serving mode (model_packaging/inference_contract.py applies them) --------
# The SageMaker handler reads SERVING_MODE_ENV (set on the SageMaker model per spec serving.mode; default
# online) and takes its caps from this table, which packaging copies into manifest.json's runtime.limits
# (the container has no Slipstack to import it from). Byte caps follow what SageMaker delivers per mode:
# real-time invocations carry at most 6 MB, serverless 4 MB, an asynchronous request's S3 object up to
# 1 GB, a batch transform mini-batch at most MaxPayloadInMB (100 MB). Row caps bound the memory of one
# prediction: the online cap is the Kubernetes server's too; async and batch bodies are large by design.
SERVING_MODE_ENV = "SLIPSTACK_SERVING_MODE"
DEFAULT_SERVING_MODE = "online"
MODE_LIMITS: dict[str, dict[str, int]] = {
    "online": {"max_rows": 10_000, "max_bytes": 6 * 1000 * 1000},
    "serverless": {"max_rows": 10_000, "max_bytes": 4 * 1000 * 1000},
    "async": {"max_rows": 5_000_000, "max_bytes": 1000 * 1000 * 1000},
    "batch": {"max_rows": 1_000_000, "max_bytes": 100 * 1000 * 1000},
}
