"""The model deployment spec: one pydantic model tree for `apiVersion: slipstack/v1, kind: ModelDeployment`.

Every field carries a description (it becomes the JSON Schema that editors autocomplete from) and its
bounds. Unknown keys are forbidden everywhere, so a typo is an error instead of a silently ignored
setting. Rules that relate several fields live in `deployment_spec.cross_checks`, where each can
name the exact field it blames.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from contracts.aws_network import JOB_VPC_SERVICES
from contracts.metrics import LATENCY_THRESHOLDS_MS
from contracts.sagemaker_instances import KNOWN_FAMILIES, VCPUS, allowed_sizes, instance_family
from deployment_spec import cron

API_VERSION = "slipstack/v1"
KIND = "ModelDeployment"
ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")

EnvironmentName = Literal["dev", "staging", "prod"]
Target = Literal["aws", "onprem"]
DataClassification = Literal["public", "internal", "confidential", "restricted"]
# pytorch: a TorchScript file (torch.jit.save); lightgbm: a Booster text file or a joblib-saved LightGBM model.
Framework = Literal["sklearn", "xgboost", "lightgbm", "pytorch", "onnx"]
DType = Literal["float32", "float64", "int32", "int64", "bool", "string"]

_DNS_LABEL = r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
_E164 = r"^\+[1-9][0-9]{6,14}$"
_HOSTNAME = r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
_K8S_QUANTITY_CPU = r"^([0-9]+m|[0-9]+(\.[0-9]+)?)$"
_K8S_QUANTITY_MEM = r"^[0-9]+(Ki|Mi|Gi|Ti|K|M|G|T)?$"
_SEMVER = r"^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$"
_SHA256_DIGEST = r"^sha256:[a-f0-9]{64}$"


class SpecModel(BaseModel):
    """Base of every spec section: unknown keys are errors and a loaded spec never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


def _cron(value: str) -> str:
    # Five fields, the form Kubernetes CronJobs and the drift scheduler take. The AWS stack converts it
    # to EventBridge's six-field cron(...) form itself (deployment_spec.cron), so users write one syntax
    # for both targets; what a target cannot run is a cross check, which knows the targets.
    cron.parse(value)
    return value


CronExpression = Annotated[str, AfterValidator(_cron)]


# --- metadata ------------------------------------------------------------------------------------


class Metadata(SpecModel):
    name: str = Field(
        pattern=_DNS_LABEL,
        description="Model name: a DNS label (lowercase letters, digits, '-'; at most 40 characters). "
        "It names the Kubernetes namespace, the SageMaker endpoint and every resource of the model.",
    )
    owner: str = Field(pattern=_EMAIL, description="E-mail address of the team or person accountable for the model.")
    team: str | None = Field(default=None, max_length=64, description="Owning team, for dashboards and tags.")
    cost_centre: str = Field(
        pattern=r"^[A-Za-z0-9_.:/=+@-]{1,64}$", description="Cost centre written into every resource's tags."
    )
    data_classification: DataClassification = Field(
        description="Sensitivity of the data the model sees. 'restricted' models may only deploy on-prem."
    )
    description: str = Field(default="", max_length=512, description="Free text shown in dashboards.")


# --- model ---------------------------------------------------------------------------------------


class FeatureSpec(SpecModel):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", description="Input column name.")
    dtype: DType = Field(default="float64", description="Element type of the column.")
    nullable: bool = Field(default=False, description="Whether missing values (null/NaN) are valid input.")
    categorical: bool = Field(
        default=False, description="Treat as categorical in drift profiles (category frequencies, not bins)."
    )


class OutputSpec(SpecModel):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", description="Output tensor name.")
    dtype: DType = Field(default="float64", description="Element type of the output.")
    shape: list[Annotated[int, Field(ge=-1)]] = Field(
        default_factory=list, description="Per-row shape of the output ([] for a scalar, [2] for two class scores)."
    )


class Signature(SpecModel):
    inputs: list[FeatureSpec] = Field(min_length=1, max_length=10_000, description="Input columns, in order.")
    outputs: list[OutputSpec] = Field(min_length=1, max_length=64, description="Outputs of one prediction.")

    @field_validator("inputs", "outputs")
    @classmethod
    def _unique_names(cls, items: list[Any]) -> list[Any]:
        seen: set[str] = set()
        for item in items:
            if item.name in seen:
                raise ValueError(f"name '{item.name}' appears twice (names must be unique)")
            seen.add(item.name)
        return items


class ModelSection(SpecModel):
    framework: Framework = Field(description="Training framework of the artifact.")
    framework_version: str = Field(
        pattern=r"^[0-9]+(\.[0-9]+){0,2}$", description="Framework version the model was trained with, e.g. '1.9.1'."
    )
    task: Literal["classification", "regression"] = Field(description="What the model predicts.")
    artifact: str = Field(
        min_length=1,
        description="The trained model: a path relative to this spec file, or an s3:// URI of a packaged artifact.",
    )
    version: str = Field(pattern=_SEMVER, description="Model version (semantic version, e.g. '1.4.0').")
    signature: Signature = Field(description="Input columns and outputs; requests are checked against it.")
    reference_sample: str | None = Field(
        default=None,
        description="Path (relative to this spec) of a CSV or Parquet sample of training inputs: the drift baseline.",
    )
    label_column: str | None = Field(
        default=None, description="Label column in the reference sample, used for quality baselines."
    )
    deterministic: bool = Field(
        default=True, description="Same input, same output. Only deterministic models may use the prediction cache."
    )
    serving_format: Literal["onnx", "native"] = Field(
        default="onnx",
        description="'onnx' converts the model for ONNX Runtime (fast, checked for parity); 'native' serves it as is.",
    )
    processing: str | None = Field(
        default=None, min_length=1, max_length=1024,
        description="Path (relative to this spec) of a Python file defining preprocess(features) -> features "
        "(same [rows, features] shape) and/or postprocess(outputs, features) -> outputs (same shapes), run around "
        "the model by both the Kubernetes server and the SageMaker handler. Packaged as code/processing.py, "
        "hashed in the manifest and covered by the parity check; standard library and numpy only.",
    )
    class_labels: list[Annotated[str, Field(min_length=1, max_length=256)]] | None = Field(
        default=None, min_length=2, max_length=10_000,
        description="Classification: the class names, in class-index order; answers carry a 'label_name' "
        "output beside the label index.",
    )
    @field_validator("class_labels")
    @classmethod
    def _labels_for_classifiers(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is not None and info.data.get("task") == "regression":
            raise ValueError("class_labels apply to task: classification only; remove them")
        if value is not None and len(set(value)) != len(value):
            raise ValueError("class_labels must be distinct (one name per class index)")
        return value

    quantize: bool = Field(
        default=False,
        description="Edge targets: dynamically quantize the ONNX model's weights to int8 (MatMul-based models such "
        "as neural networks; tree ensembles have nothing to quantize and are refused). Packaging reports the "
        "accuracy cost on the reference sample and fails when it exceeds the tolerance.",
    )


# --- serving -------------------------------------------------------------------------------------


def _instance_type(value: str) -> str:
    family = instance_family(value)
    if not family:
        raise ValueError(f"'{value}' is not a SageMaker instance type (form: ml.<family>.<size>, e.g. ml.m5.large)")
    if family not in KNOWN_FAMILIES:
        raise ValueError(
            f"unknown instance family '{family}' in '{value}' (known: {', '.join(sorted(KNOWN_FAMILIES))})"
        )
    if value not in VCPUS:
        # CPU alarms and scaling targets are scaled by the vCPU count (CloudWatch sums CPU over vCPUs).
        raise ValueError(
            f"unknown size '{value.split('.')[2]}' of ml.{family} in '{value}' "
            f"(SageMaker hosting sizes: {', '.join(allowed_sizes(value))})"
        )
    return value


InstanceType = Annotated[str, AfterValidator(_instance_type)]


class Resources(SpecModel):
    cpu: str = Field(default="500m", pattern=_K8S_QUANTITY_CPU, description="CPU request per pod (Kubernetes).")
    memory: str = Field(default="1Gi", pattern=_K8S_QUANTITY_MEM, description="Memory request and limit per pod.")
    cpu_limit: str | None = Field(
        default=None, pattern=_K8S_QUANTITY_CPU, description="CPU limit per pod; unset leaves CPU unthrottled."
    )


class Replicas(SpecModel):
    min: int = Field(default=1, ge=1, le=100, description="Fewest instances or pods.")
    max: int = Field(default=2, ge=1, le=1000, description="Most instances or pods autoscaling may reach.")


class Autoscaling(SpecModel):
    enabled: bool = Field(default=True, description="Scale between replicas.min and replicas.max.")
    target_invocations_per_instance: int = Field(
        default=100, ge=1, le=100_000, description="SageMaker target: invocations per instance per minute."
    )
    target_cpu_percent: int | None = Field(
        default=70, ge=10, le=95, description="Target average CPU utilisation (HPA on Kubernetes, optional on AWS)."
    )
    target_requests_per_second: float | None = Field(
        default=None, gt=0, le=100_000, description="Kubernetes: per-pod request rate target (custom metric)."
    )
    scale_in_cooldown_seconds: int = Field(default=300, ge=0, le=3600, description="Wait after scaling in.")
    scale_out_cooldown_seconds: int = Field(default=60, ge=0, le=3600, description="Wait after scaling out.")


class Serverless(SpecModel):
    memory_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144] = Field(
        default=2048, description="Memory of a serverless endpoint (SageMaker allows 1024-6144 in 1 GB steps)."
    )
    max_concurrency: int = Field(default=10, ge=1, le=200, description="Concurrent invocations (1-200).")
    provisioned_concurrency: int = Field(
        default=0, ge=0, le=200, description="Pre-warmed concurrency (0 = none); at most max_concurrency."
    )


class Batch(SpecModel):
    schedule: CronExpression = Field(description="When the batch transform runs (five-field cron, UTC).")
    input_uri: str = Field(
        pattern=r"^(s3|pvc|file)://.+",
        description="Where input files are read from: CSV, no header, one record per line in signature order. On "
        "AWS each run reads <input_uri><scheduled time>/ only (e.g. .../2026-12-02T02:00:00Z/).",
    )
    output_uri: str = Field(
        pattern=r"^(s3|pvc|file)://.+",
        description="Where predictions are written, one line per input record; on AWS under "
        "<output_uri><scheduled time>/ per run.",
    )
    instance_count: int = Field(default=1, ge=1, le=100, description="Transform instances (AWS) or parallelism (k8s).")
    max_payload_mb: int = Field(
        default=6, ge=1, le=100,
        description="Largest mini-batch sent to the model, in MB. The AWS stack lowers it where a mini-batch of "
        "the shortest possible records could exceed the handler's batch row cap (docs/serving-modes.md).",
    )


class AsyncSubscription(SpecModel):
    protocol: Literal["sqs", "lambda", "https", "email"] = Field(
        description="How the subscriber hears of a finished request: an SQS queue, a Lambda function, an HTTPS "
        "endpoint or an e-mail address (SNS subscription protocols)."
    )
    endpoint: str = Field(
        min_length=1,
        description="The queue or function ARN, the https:// URL or the e-mail address. The subscriber must accept "
        "SNS messages encrypted with the model's key (an SQS queue's key policy, a Lambda permission for SNS).",
    )

    @model_validator(mode="after")
    def _endpoint_fits_protocol(self) -> AsyncSubscription:
        patterns = {
            "sqs": (r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$", "an SQS queue ARN"),
            "lambda": (r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$",
                       "a Lambda function ARN"),
            "https": (r"^https://[^\s/]+(/\S*)?$", "an https:// URL"),
            "email": (_EMAIL, "an e-mail address"),
        }
        pattern, what = patterns[self.protocol]
        if not re.fullmatch(pattern, self.endpoint):
            raise ValueError(f"endpoint '{self.endpoint}' is not {what} (protocol {self.protocol})")
        return self


class AsyncNotifications(SpecModel):
    success: list[AsyncSubscription] = Field(
        default_factory=list, description="Subscribers of the success topic (a result was written)."
    )
    error: list[AsyncSubscription] = Field(
        default_factory=list, description="Subscribers of the error topic (a request failed)."
    )


class AsyncInference(SpecModel):
    input_uri: str | None = Field(
        default=None,
        pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/(.+/)?$",
        description="S3 prefix callers upload request bodies to (InvokeEndpointAsync's InputLocation); "
        "default: async-inputs/ in the model's artifact bucket. Ends with '/'.",
    )
    output_uri: str | None = Field(
        default=None,
        pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/(.+/)?$",
        description="S3 prefix SageMaker writes results to; default: async-results/ in the model's artifact bucket.",
    )
    failure_uri: str | None = Field(
        default=None,
        pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/(.+/)?$",
        description="S3 prefix SageMaker writes failed requests' errors to; default: async-failures/ in the "
        "model's artifact bucket.",
    )
    notifications: AsyncNotifications = Field(
        default_factory=lambda: AsyncNotifications(), description="Who hears of finished and failed requests."
    )
    max_concurrent_invocations_per_instance: int = Field(default=4, ge=1, le=1000, description="Per instance.")
    scale_to_zero: bool = Field(default=True, description="Let the endpoint scale to 0 instances when idle.")


class Image(SpecModel):
    repository: str = Field(
        pattern=r"^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9._-]+)*$",
        description="Container image repository of the model server (Kubernetes).",
    )
    tag: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", description="Image tag; 'latest' is refused.")
    digest: str | None = Field(default=None, pattern=_SHA256_DIGEST, description="sha256 digest to pin the image.")

    @field_validator("tag")
    @classmethod
    def _no_latest(cls, tag: str) -> str:
        if tag == "latest":
            raise ValueError("'latest' is not a pinned version (use a version tag, and a digest in prod)")
        return tag


class KubernetesOptions(SpecModel):
    service_type: Literal["ClusterIP", "LoadBalancer", "NodePort"] = Field(
        default="ClusterIP", description="Service type; anything but ClusterIP needs service_exposure_reason."
    )
    service_exposure_reason: str | None = Field(
        default=None, min_length=10, description="Why the service must be exposed outside the cluster."
    )
    privileged: bool = Field(
        default=False, description="Refused: the model server runs under the restricted Pod Security profile."
    )
    host_paths: list[str] = Field(
        default_factory=list, description="Refused: host path volumes break node isolation. Use a PVC or S3."
    )
    node_selector: dict[str, str] = Field(default_factory=dict, description="Node labels the pods must match.")
    storage_class: str | None = Field(default=None, description="Storage class for batch scratch volumes.")

    @field_validator("privileged")
    @classmethod
    def _not_privileged(cls, value: bool) -> bool:
        if value:
            raise ValueError(
                "privileged containers are refused: the model server runs under the 'restricted' Pod Security "
                "profile (remove the key)"
            )
        return value

    @field_validator("host_paths")
    @classmethod
    def _no_host_paths(cls, value: list[str]) -> list[str]:
        if value:
            raise ValueError(
                "host path volumes are refused: they break node isolation (use a PersistentVolumeClaim or S3)"
            )
        return value


class PredictionCache(SpecModel):
    enabled: bool = Field(
        default=False, description="Answer repeated inputs from memory. Only for models marked deterministic."
    )
    max_entries: int = Field(
        default=10_000, ge=1, le=10_000_000, description="Most cached predictions per server process (bounds memory)."
    )
    ttl_seconds: int = Field(default=300, ge=1, le=86_400, description="How long a cached prediction may be served.")


class Serving(SpecModel):
    mode: Literal["online", "serverless", "batch", "async"] = Field(
        default="online", description="Real-time endpoint, serverless endpoint, scheduled batch, or asynchronous."
    )
    instance_type: InstanceType = Field(default="ml.m5.large", description="SageMaker instance type (AWS).")
    resources: Resources = Field(default_factory=Resources, description="Pod resources (Kubernetes).")
    replicas: Replicas = Field(default_factory=Replicas, description="Instance or pod count bounds.")
    autoscaling: Autoscaling = Field(default_factory=Autoscaling, description="Autoscaling targets.")
    serverless: Serverless | None = Field(default=None, description="Settings for mode 'serverless'.")
    batch: Batch | None = Field(default=None, description="Settings for mode 'batch'.")
    async_inference: AsyncInference | None = Field(default=None, description="Settings for mode 'async'.")
    image: Image | None = Field(default=None, description="Model server image (Kubernetes); default: Slipstack's.")
    kubernetes: KubernetesOptions = Field(default_factory=KubernetesOptions, description="Kubernetes-only options.")
    cache: PredictionCache = Field(
        default_factory=PredictionCache, description="Prediction cache in the serving path (off by default)."
    )


# --- rollout -------------------------------------------------------------------------------------


class Candidate(SpecModel):
    version: str = Field(pattern=_SEMVER, description="Version of the candidate model receiving canary traffic.")
    artifact: str = Field(min_length=1, description="Path or s3:// URI of the candidate model.")


class Rollout(SpecModel):
    strategy: Literal["all_at_once", "canary", "linear"] = Field(
        default="all_at_once", description="How traffic moves to a new version (SageMaker blue/green guardrails)."
    )
    traffic_percent: int | None = Field(
        default=None, ge=1, le=100, description="Canary size, or linear step size, in percent of capacity."
    )
    bake_minutes: int = Field(default=10, ge=0, le=1440, description="Wait between traffic shifts, watching alarms.")
    termination_wait_minutes: int = Field(
        default=5, ge=0, le=60, description="Keep the old fleet this long after the shift, for a fast rollback."
    )
    auto_rollback: bool = Field(default=True, description="Roll back automatically when a watched alarm fires.")
    extra_alarms: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(
        default_factory=list, description="Names of further CloudWatch alarms the rollback watches."
    )
    candidate: Candidate | None = Field(
        default=None, description="Kubernetes canary: the new version served next to the current one."
    )


# --- monitoring ----------------------------------------------------------------------------------


class SecretKeyRef(SpecModel):
    name: str = Field(pattern=_DNS_LABEL, description="Secret name in the model's namespace.")
    key: str = Field(default="url", pattern=r"^[-._a-zA-Z0-9]+$", description="Key of the value in the secret.")


_DURATION = r"^[0-9]+(s|m|h)$"


class AlertRouting(SpecModel):
    group_wait: str = Field(default="30s", pattern=_DURATION, description="Wait before the first notification.")
    group_interval: str = Field(default="5m", pattern=_DURATION, description="Wait between updates of a group.")
    repeat_interval: str = Field(default="4h", pattern=_DURATION, description="Re-send a firing alert this often.")


class Notifications(SpecModel):
    emails: list[Annotated[str, Field(pattern=_EMAIL)]] = Field(
        default_factory=list, description="Who is e-mailed when an alarm fires."
    )
    sms: list[Annotated[str, Field(pattern=_E164)]] = Field(
        default_factory=list, description="Phone numbers in E.164 form (+4915112345678) for SMS alerts."
    )
    sms_webhook_secret: SecretKeyRef | None = Field(
        default=None,
        description="On-prem: Kubernetes secret holding the URL of the SMS gateway webhook Alertmanager posts to "
        "(the URL never appears in the manifests or the plan). Required when sms numbers are set on Kubernetes.",
    )
    routing: AlertRouting = Field(default_factory=lambda: AlertRouting(), description="How alerts are grouped.")


class Capture(SpecModel):
    enabled: bool = Field(default=False, description="Capture requests and responses for drift detection.")
    percentage: int = Field(default=20, ge=1, le=100, description="Share of requests captured.")


class Drift(SpecModel):
    enabled: bool = Field(default=True, description="Run the scheduled drift check.")
    features: list[str] = Field(default_factory=list, description="Features to check; empty means every input.")
    method: Literal["psi", "ks", "kl"] = Field(
        default="ks",
        description="Per-feature drift statistic. 'ks' (default, p_value with a Holm correction) catches a 0.1-sd "
        "mean shift that PSI at 0.1 misses; 'psi' and 'kl' use warn_threshold/alert_threshold.",
    )
    warn_threshold: float = Field(default=0.1, gt=0, le=10, description="Score at which drift is a warning.")
    alert_threshold: float = Field(default=0.2, gt=0, le=10, description="Score at which drift alerts.")
    p_value: float = Field(default=0.05, gt=0, lt=1, description="KS significance level (corrected for features).")
    min_window: int = Field(
        default=30,
        ge=2,
        le=1_000_000,
        description="Present values a feature needs in the window for a distribution test (KS, chi-square); with "
        "fewer its status is insufficient_data, which is published and shown but never alerts.",
    )
    missing_rate_min_effect: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="Smallest rise of a feature's missing rate over the reference's (0.01 = one percentage point) "
        "that alerts, when the rise is also statistically significant; an entirely missing feature always alerts.",
    )
    schedule: CronExpression = Field(default="0 * * * *", description="When the drift job runs (five-field cron).")
    dask_scheduler: str | None = Field(
        default=None,
        pattern=r"^(tcp|tls)://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[0-9]{1,5}$",
        description="Address of an existing Dask scheduler (tcp://host:8786 or tls://) the drift job computes its "
        "partial statistics on; unset: the job reads the capture data itself in one process.",
    )


class Quality(SpecModel):
    metric: Literal["accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse", "r2"] = Field(
        description="Quality metric compared with the threshold once labels arrive."
    )
    threshold: float = Field(description="Alert when the metric is worse than this.")
    label_delay_hours: int = Field(default=24, ge=0, le=720, description="How long labels take to arrive.")
    labels_uri: str | None = Field(default=None, description="Where delayed labels land (s3:// or path).")
    classes: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list,
        max_length=1000,
        description="The classifier's classes (as labels, e.g. ['0', '1']): two mean binary metrics of "
        "positive_label, more mean macro averages over all of them, whichever classes a window happens to hold. "
        "Empty: the classes seen in the window.",
    )
    positive_label: str | None = Field(
        default=None, min_length=1, max_length=128,
        description="Positive class of a binary classifier (default: '1', or the second of two declared classes).",
    )
    max_dropped_share: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Largest share of labelled predictions that may be missing or NaN (dropped from the metrics) "
        "before the quality check alerts.",
    )

    @model_validator(mode="after")
    def _positive_label_is_declared(self) -> Quality:
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f"classes {self.classes} name a class twice")
        # The scheduled job passes them as one comma-separated option (--classes), read back stripped.
        unpassable = [c for c in self.classes if "," in c or c != c.strip()]
        if unpassable:
            raise ValueError(f"classes {unpassable} contain a comma or surrounding spaces; use labels without them")
        if self.positive_label is not None and self.classes and self.positive_label not in self.classes:
            raise ValueError(f"positive_label '{self.positive_label}' is not one of classes {self.classes}")
        return self


class Monitoring(SpecModel):
    latency_p99_ms: int = Field(
        default=500, ge=1, le=60_000,
        description="Alarm when p99 latency exceeds this. One of the server's latency histogram bounds "
        "(contracts.metrics.LATENCY_THRESHOLDS_MS), since a p99 between two bounds cannot be measured.",
    )
    error_rate_percent: float = Field(default=1.0, gt=0, le=100, description="Alarm on this share of 5xx errors.")
    alarms_enabled: bool = Field(default=True, description="Create latency and error alarms.")
    notifications: Notifications = Field(default_factory=Notifications, description="Who hears about alarms.")
    capture: Capture = Field(default_factory=Capture, description="Data capture for drift detection.")
    drift: Drift = Field(default_factory=Drift, description="Scheduled drift check.")
    quality: Quality | None = Field(default=None, description="Model quality on delayed labels.")

    @field_validator("latency_p99_ms")
    @classmethod
    def _on_a_bucket_bound(cls, value: int) -> int:
        # `histogram_quantile` interpolates linearly inside a bucket: a threshold between bounds would fire
        # on requests inside the SLO and miss some real breaches.
        if value not in LATENCY_THRESHOLDS_MS:
            lower = max((b for b in LATENCY_THRESHOLDS_MS if b < value), default=None)
            upper = min((b for b in LATENCY_THRESHOLDS_MS if b > value), default=None)
            nearest = " or ".join(str(b) for b in (lower, upper) if b is not None)
            raise ValueError(
                f"{value} ms falls between the server's latency histogram bounds, where a p99 cannot be measured; "
                f"use {nearest} (allowed: {', '.join(map(str, LATENCY_THRESHOLDS_MS))})"
            )
        return value


# --- security ------------------------------------------------------------------------------------


class Vpc(SpecModel):
    subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        min_length=2, description="Private subnets in at least two availability zones."
    )
    security_group_ids: list[Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]] = Field(
        min_length=1, description="Security groups of the endpoint's network interfaces."
    )
    egress: Literal["vpc_endpoints", "nat", "existing_vpc_endpoints"] = Field(
        default="vpc_endpoints",
        description="How jobs in these subnets reach S3, CloudWatch, Logs, ECR and STS: 'vpc_endpoints' (the "
        "stack declares an S3 gateway endpoint on the subnets' route tables and interface endpoints for the "
        "others), 'nat' (the subnets route through nat_gateway_id), or 'existing_vpc_endpoints' (the VPC "
        "already has them, e.g. from a network stack; list them in existing_vpc_endpoint_services).",
    )
    nat_gateway_id: str | None = Field(
        default=None, pattern=r"^nat-[0-9a-f]{8,17}$", description="The NAT gateway the subnets route through."
    )
    existing_vpc_endpoint_services: list[Literal[JOB_VPC_SERVICES]] = Field(  # type: ignore[valid-type]
        default_factory=list,
        description="With egress existing_vpc_endpoints: the services the VPC already has endpoints for.",
    )


class Tls(SpecModel):
    host: str = Field(pattern=_HOSTNAME, description="Public host name of the model service.")
    secret_name: str | None = Field(
        default=None, pattern=_DNS_LABEL, description="Existing Kubernetes TLS secret holding the certificate."
    )
    cert_manager_issuer: str | None = Field(
        default=None, pattern=_DNS_LABEL, description="cert-manager ClusterIssuer that issues the certificate."
    )
    acm_certificate_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$",
        description="ACM certificate for the load balancer (AWS).",
    )


class Invoker(SpecModel):
    aws_role_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", description="IAM role that may invoke (AWS)."
    )
    kubernetes_namespace: str | None = Field(
        default=None, pattern=_DNS_LABEL, description="Namespace whose pods may call the service (Kubernetes)."
    )
    kubernetes_pod_labels: dict[str, str] = Field(
        default_factory=dict, description="Only pods with these labels in that namespace may call."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Invoker:
        if (self.aws_role_arn is None) == (self.kubernetes_namespace is None):
            raise ValueError("an invoker names exactly one of aws_role_arn or kubernetes_namespace")
        return self


class Exemption(SpecModel):
    rule: str = Field(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+)+$", description="Policy rule id, e.g. SM-MODEL-NETISO.")
    resource: str = Field(min_length=1, description="Logical name of the exempted resource.")
    reason: str = Field(min_length=10, description="Why the exemption is safe; shown in every policy report.")


class Security(SpecModel):
    network_isolation: bool = Field(
        default=True, description="SageMaker network isolation: the model container gets no network access."
    )
    vpc: Vpc | None = Field(default=None, description="Run the endpoint inside these private subnets (AWS).")
    tls: Tls | None = Field(default=None, description="TLS host and certificate for the model service.")
    invokers: list[Invoker] = Field(default_factory=list, description="Who may call the model.")
    exemptions: list[Exemption] = Field(default_factory=list, description="Reasoned policy exemptions.")
    rate_limit_per_5_minutes: int = Field(
        default=2000, ge=10, le=2_000_000_000,
        description="Requests one client IP may send to the model's host in 5 minutes through an internet-facing "
        "load balancer; more are blocked by its WAF web ACL (AWS).",
    )


# --- the document --------------------------------------------------------------------------------


class EnvironmentOverlay(SpecModel):
    """Values for one environment, merged key by key over the base sections (lists replace)."""

    targets: list[Target] | None = Field(default=None, description="Targets this environment deploys to.")
    model: dict[str, Any] | None = Field(default=None, description="Overrides of `model` (e.g. version).")
    serving: dict[str, Any] | None = Field(default=None, description="Overrides of `serving`.")
    rollout: dict[str, Any] | None = Field(default=None, description="Overrides of `rollout`.")
    monitoring: dict[str, Any] | None = Field(default=None, description="Overrides of `monitoring`.")
    security: dict[str, Any] | None = Field(default=None, description="Overrides of `security`.")


class ModelDeployment(SpecModel):
    api_version: Literal["slipstack/v1"] = Field(alias="apiVersion", description="Spec format version.")
    kind: Literal["ModelDeployment"] = Field(description="Document kind.")
    metadata: Metadata = Field(description="Identity, ownership and data classification.")
    model: ModelSection = Field(description="The trained model and its signature.")
    serving: Serving = Field(default_factory=Serving, description="How the model is served.")
    rollout: Rollout = Field(default_factory=Rollout, description="How new versions reach traffic.")
    monitoring: Monitoring = Field(default_factory=Monitoring, description="Alarms, notifications, drift.")
    security: Security = Field(default_factory=Security, description="Network, TLS, invokers, exemptions.")
    targets: list[Target] = Field(
        default_factory=lambda: list[Target](["aws"]),
        min_length=1,
        description="Where the model deploys unless overridden.",
    )
    environments: dict[EnvironmentName, EnvironmentOverlay] = Field(
        default_factory=dict, description="Per-environment overrides: dev, staging, prod."
    )

    @field_validator("targets")
    @classmethod
    def _unique_targets(cls, targets: list[str]) -> list[str]:
        if len(set(targets)) != len(targets):
            raise ValueError("a target is listed twice")
        return targets

    @property
    def name(self) -> str:
        return self.metadata.name
