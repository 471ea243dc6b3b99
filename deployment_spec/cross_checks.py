"""Rules that relate several spec fields, each a small pure function over a merged (per-environment) spec.

They run after the field-level validation succeeded, so they see a well-typed spec. Each returns the
problems it finds as (path, message) pairs in the merged spec's coordinates; the loader maps a path back
to the line of the file (base section or environment overlay) the blamed value came from. Several of
these encode what AWS or Kubernetes would reject at deploy time, so `slipstack validate` says it first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from contracts.aws_network import JOB_VPC_SERVICES
from deployment_spec import cron
from deployment_spec.model import ModelDeployment

Path = tuple[str | int, ...]
Problem = tuple[Path, str]
CrossCheck = Callable[[ModelDeployment, str], Iterable[Problem]]

CLASSIFICATION_METRICS = frozenset({"accuracy", "precision", "recall", "f1", "roc_auc"})
REGRESSION_METRICS = frozenset({"mae", "rmse", "r2"})
# SageMaker deployment guardrails: canary at most half the fleet, linear steps of 10-50%.
CANARY_MAX_PERCENT = 50
LINEAR_MIN_PERCENT, LINEAR_MAX_PERCENT = 10, 50


def replica_bounds(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    replicas = spec.serving.replicas
    if replicas.min > replicas.max:
        yield (
            ("serving", "replicas", "min"),
            f"min {replicas.min} is greater than max {replicas.max} (min must be at most max)",
        )


def prod_high_availability(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    # AWS Config's sagemaker-endpoint-config-prod-instance-count and the PDB rule both need two.
    if environment == "prod" and spec.serving.mode in ("online", "async") and spec.serving.replicas.min < 2:
        yield (
            ("serving", "replicas", "min"),
            f"prod needs at least 2 replicas for availability, got {spec.serving.replicas.min} "
            "(set environments.prod.serving.replicas.min: 2)",
        )


def serverless_limits(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    # SageMaker Serverless Inference excludes VPC placement, network isolation, data capture (and so the
    # drift and quality jobs that read it), GPUs and the blue/green deployment config with its rollback
    # alarms; CreateEndpointConfig or CreateEndpoint rejects each, so validate says it first.
    if spec.serving.mode != "serverless":
        return
    if spec.security.network_isolation and "aws" in spec.targets:
        yield (
            ("security", "network_isolation"),
            "serverless endpoints cannot run with network isolation (set security.network_isolation: false; in "
            "prod add a security.exemptions entry for SM-MODEL-NETISO with the reason, or use mode 'online')",
        )
    if spec.rollout.extra_alarms:
        yield (
            ("rollout", "extra_alarms"),
            "serverless endpoints take no blue/green deployment config, so no alarm can roll them back "
            "(remove extra_alarms, or use mode 'online' or 'async')",
        )
    if spec.security.vpc is not None:
        yield (("security", "vpc"), "serverless endpoints cannot run in a VPC (use mode 'online' or drop vpc)")
    if spec.monitoring.capture.enabled:
        yield (
            ("monitoring", "capture", "enabled"),
            "serverless endpoints do not support data capture (set it to false or use mode 'online')",
        )
    if spec.rollout.strategy != "all_at_once":
        yield (
            ("rollout", "strategy"),
            f"'{spec.rollout.strategy}' rollout is not available for serverless endpoints (allowed: all_at_once)",
        )
    if spec.serving.instance_type and spec.serving.instance_type.split(".")[1] in ("p3", "g4dn", "g5"):
        yield (("serving", "instance_type"), "serverless endpoints have no GPUs (drop instance_type)")
    serverless = spec.serving.serverless
    if serverless and serverless.provisioned_concurrency > serverless.max_concurrency:
        yield (
            ("serving", "serverless", "provisioned_concurrency"),
            f"{serverless.provisioned_concurrency} is more than max_concurrency {serverless.max_concurrency} "
            "(provisioned concurrency must be at most max_concurrency)",
        )


def mode_settings_present(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    if spec.serving.mode == "batch" and spec.serving.batch is None:
        yield (
            ("serving", "batch"),
            "mode 'batch' needs a batch section (schedule, input_uri, output_uri)",
        )
    if spec.serving.mode == "batch" and spec.rollout.strategy != "all_at_once":
        yield (("rollout", "strategy"), "batch jobs have no traffic to shift (allowed: all_at_once)")


def _schedules(spec: ModelDeployment) -> Iterable[tuple[Path, str]]:
    """The cron schedules a target will run: the batch transform's and the drift check's."""
    if spec.serving.mode == "batch" and spec.serving.batch is not None:
        yield ("serving", "batch", "schedule"), spec.serving.batch.schedule
    if spec.monitoring.drift.enabled and spec.monitoring.capture.enabled:
        yield ("monitoring", "drift", "schedule"), spec.monitoring.drift.schedule


def schedules_fit_their_targets(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    for path, expression in _schedules(spec):
        if "aws" in spec.targets:
            try:
                cron.to_eventbridge(expression)
            except cron.CronError as error:
                yield path, f"{error} (AWS runs schedules with EventBridge)"
        if "onprem" in spec.targets and cron.parse(expression).uses_eventbridge_extensions:
            yield (
                path,
                f"'{expression}' uses L, W or #, which Kubernetes CronJobs do not run (write the days out, e.g. "
                "'0 2 25-31 * *' for late in the month, or deploy this model to aws only)",
            )


def rollout_steps(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    rollout = spec.rollout
    if rollout.strategy == "canary":
        if rollout.traffic_percent is None:
            yield (("rollout", "traffic_percent"), "canary needs traffic_percent (1-50)")
        elif rollout.traffic_percent > CANARY_MAX_PERCENT:
            yield (
                ("rollout", "traffic_percent"),
                f"canary of {rollout.traffic_percent}% is more than half the fleet "
                f"(SageMaker allows at most {CANARY_MAX_PERCENT}%)",
            )
    if rollout.strategy == "linear":
        if rollout.traffic_percent is None:
            yield (("rollout", "traffic_percent"), f"linear needs traffic_percent ({LINEAR_MIN_PERCENT}-50)")
        elif not LINEAR_MIN_PERCENT <= rollout.traffic_percent <= LINEAR_MAX_PERCENT:
            yield (
                ("rollout", "traffic_percent"),
                f"linear step of {rollout.traffic_percent}% is outside {LINEAR_MIN_PERCENT}-{LINEAR_MAX_PERCENT}%",
            )
    if rollout.strategy == "all_at_once" and rollout.traffic_percent is not None:
        yield (("rollout", "traffic_percent"), "traffic_percent applies to canary and linear only (remove it)")


def aws_rollout_step_fits_fleet(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    """A canary or linear step, rounded up to whole instances, may be at most half the variant's fleet.

    SageMaker sizes a CAPACITY_PERCENT step in instances (rounded up) and refuses a step above 50% of the
    instances at update time: a 10% canary on one instance is one instance, the whole fleet. The fleet is
    checked at its smallest (replicas.min, where autoscaling may leave it and the endpoint starts).
    """
    rollout = spec.rollout
    if (
        "aws" not in spec.targets or spec.serving.mode not in ("online", "async")
        or rollout.strategy not in ("canary", "linear") or rollout.traffic_percent is None
        or rollout.traffic_percent > CANARY_MAX_PERCENT  # rollout_steps already says so
    ):
        return
    fleet = spec.serving.replicas.min
    step = math.ceil(fleet * rollout.traffic_percent / 100)
    if 2 * step > fleet:
        # At most 50%, so two instances always take a one-instance step.
        yield (
            ("serving", "replicas", "min"),
            f"a {rollout.traffic_percent}% {rollout.strategy} step on {fleet} instance(s) is {step} "
            f"instance(s), {100 * step // fleet}% of the fleet; SageMaker allows at most half (raise "
            f"serving.replicas.min in {environment} to at least 2, or use rollout.strategy: "
            "all_at_once there)",
        )




def _aws_jobs_run(spec: ModelDeployment) -> bool:
    capture = spec.monitoring.capture.enabled and spec.serving.mode in ("online", "async")
    quality = spec.monitoring.quality
    return capture and (spec.monitoring.drift.enabled or bool(quality and quality.labels_uri))


def aws_vpc_jobs_have_a_path(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    """Jobs in private subnets need a route to the services they call: endpoints the stack declares, a NAT
    gateway the spec names, or endpoints the VPC already has (all of those the jobs call)."""
    vpc = spec.security.vpc
    if vpc is None or "aws" not in spec.targets or not _aws_jobs_run(spec):
        return
    if vpc.egress == "nat" and vpc.nat_gateway_id is None:
        yield (
            ("security", "vpc", "egress"),  # the line that chose the NAT (the missing id has none)
            "'nat' needs the NAT gateway the subnets route through (nat_gateway_id: nat-...), or use "
            "egress: vpc_endpoints and the stack declares the endpoints the jobs need",
        )
    if vpc.egress == "existing_vpc_endpoints":
        missing = [name for name in JOB_VPC_SERVICES if name not in vpc.existing_vpc_endpoint_services]
        if missing:
            yield (
                ("security", "vpc", "existing_vpc_endpoint_services"),
                f"the drift/quality jobs in these subnets call {', '.join(missing)} and the VPC has no endpoint "
                "named for them (list every one of "
                f"{', '.join(JOB_VPC_SERVICES)}, or use egress: vpc_endpoints)",
            )
    if vpc.egress != "nat" and vpc.nat_gateway_id is not None:
        yield (("security", "vpc", "nat_gateway_id"), f"a NAT gateway is named but egress is '{vpc.egress}' "
               "(set egress: nat, or drop nat_gateway_id)")


def rollback_has_alarms(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    rollout = spec.rollout
    if rollout.auto_rollback and not spec.monitoring.alarms_enabled and not rollout.extra_alarms:
        yield (
            ("rollout", "auto_rollback"),
            "auto-rollback would watch no alarm (enable monitoring.alarms_enabled or list rollout.extra_alarms)",
        )


def restricted_stays_onprem(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    if spec.metadata.data_classification == "restricted" and "aws" in spec.targets:
        yield (
            ("targets",),
            "a model with data_classification 'restricted' may not deploy to 'aws' (allowed targets: onprem)",
        )


def drift_settings(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    drift = spec.monitoring.drift
    if drift.warn_threshold > drift.alert_threshold:
        yield (
            ("monitoring", "drift", "warn_threshold"),
            f"{drift.warn_threshold} is above alert_threshold {drift.alert_threshold} (warn must be at most alert)",
        )
    inputs = [feature.name for feature in spec.model.signature.inputs]
    for index, feature in enumerate(drift.features):
        if feature not in inputs:
            yield (
                ("monitoring", "drift", "features", index),
                f"'{feature}' is not an input of the model signature (inputs: {', '.join(inputs[:12])}"
                f"{', ...' if len(inputs) > 12 else ''})",
            )


def quality_metric_fits_task(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    quality = spec.monitoring.quality
    if quality is None:
        return
    allowed = CLASSIFICATION_METRICS if spec.model.task == "classification" else REGRESSION_METRICS
    if quality.metric not in allowed:
        yield (
            ("monitoring", "quality", "metric"),
            f"'{quality.metric}' does not measure a {spec.model.task} model (allowed: {', '.join(sorted(allowed))})",
        )


def label_column_is_not_an_input(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    label = spec.model.label_column
    if label and label in {feature.name for feature in spec.model.signature.inputs}:
        yield (("model", "label_column"), f"'{label}' is also an input column (the label must not be a feature)")


def service_exposure(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    options = spec.serving.kubernetes
    if options.service_type != "ClusterIP" and not options.service_exposure_reason:
        yield (
            ("serving", "kubernetes", "service_type"),
            f"a {options.service_type} Service exposes the model outside the cluster; add "
            "service_exposure_reason to opt in, or use ClusterIP behind the TLS ingress",
        )


def tls_certificate_source(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    tls = spec.security.tls
    if tls is None or "onprem" not in spec.targets:
        return
    if (tls.secret_name is None) == (tls.cert_manager_issuer is None):
        yield (
            ("security", "tls"),
            "name exactly one certificate source for the ingress: secret_name or cert_manager_issuer",
        )


def canary_candidate(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    candidate = spec.rollout.candidate
    if candidate is not None:
        if spec.rollout.strategy == "all_at_once":
            yield (("rollout", "candidate"), "a candidate needs strategy canary or linear to receive traffic")
        if candidate.version == spec.model.version:
            yield (
                ("rollout", "candidate", "version"),
                f"candidate version {candidate.version} equals the current model version (bump it)",
            )


def onprem_prod_image_digest(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    # K8S-IMAGE-PIN is mandatory in prod: a tag can be re-pushed, a digest cannot. The stack runs the image by
    # the spec's digest or, without one, by the digest the registry reports for the tag at preview/up time
    # (stacks/server_image.py); which build prod runs is still the spec's explicit, reviewed choice.
    if environment != "prod" or "onprem" not in spec.targets:
        return
    if spec.serving.image is None:
        yield (
            ("serving", "image"),
            "prod on Kubernetes needs the server image named explicitly (set serving.image with repository and "
            "the immutable tag the image workflow pushed; the stack pins it by the registry's digest, or add "
            "digest: sha256:... as `slipstack image-pin` writes it)",
        )


def _millicores(quantity: str) -> float:
    return float(quantity[:-1]) if quantity.endswith("m") else float(quantity) * 1000


def cpu_limit_not_below_request(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    # The API server rejects a pod whose limit is below its request.
    resources = spec.serving.resources
    if resources.cpu_limit is not None and _millicores(resources.cpu_limit) < _millicores(resources.cpu):
        yield (
            ("serving", "resources", "cpu_limit"),
            f"{resources.cpu_limit} is below the CPU request {resources.cpu} (Kubernetes rejects a limit below "
            "the request; raise cpu_limit or remove it)",
        )


def kubernetes_canary_needs_ingress(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    # On Kubernetes the canary's share is weighted at the ingress; without one it would get no traffic.
    if spec.rollout.candidate is not None and "onprem" in spec.targets and spec.security.tls is None:
        yield (
            ("rollout", "candidate"),
            "a Kubernetes canary is weighted at the TLS ingress: add security.tls (host and certificate source)",
        )


# --- AWS: what SageMaker or the prod policy rules would reject at deploy time ----------------------


def _exempted(spec: ModelDeployment, rule: str) -> bool:
    return any(item.rule == rule for item in spec.security.exemptions)


def aws_batch_uses_s3(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    batch = spec.serving.batch
    if spec.serving.mode != "batch" or batch is None or "aws" not in spec.targets:
        return
    for field in ("input_uri", "output_uri"):
        uri = getattr(batch, field)
        if not uri.startswith("s3://"):
            yield (
                ("serving", "batch", field),
                f"'{uri}' is not an s3:// URI; a SageMaker batch transform reads and writes S3 only "
                "(use s3://bucket/prefix/, or deploy batch to onprem only)",
            )


def aws_async_scale_to_zero_in_prod(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    settings = spec.serving.async_inference
    scale_to_zero = settings.scale_to_zero if settings else True
    if environment == "prod" and "aws" in spec.targets and spec.serving.mode == "async" and scale_to_zero:
        yield (
            ("serving", "async_inference", "scale_to_zero"),
            "prod endpoints keep at least 2 instances (AAS-SM-CAPACITY, SM-EPC-HA); "
            "set environments.prod.serving.async_inference.scale_to_zero: false",
        )


def aws_prod_autoscaling(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    if environment != "prod" or "aws" not in spec.targets or spec.serving.mode not in ("online", "async"):
        return
    if not spec.serving.autoscaling.enabled:
        yield (
            ("serving", "autoscaling", "enabled"),
            "prod SageMaker endpoints must autoscale (AAS-SM-CAPACITY); set it to true",
        )
    elif spec.serving.replicas.max <= spec.serving.replicas.min:
        yield (
            ("serving", "replicas", "max"),
            f"max {spec.serving.replicas.max} leaves autoscaling no room above min {spec.serving.replicas.min} "
            "in prod (AAS-SM-CAPACITY: max must be greater than min)",
        )


def aws_prod_alarms(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    if (
        environment == "prod" and "aws" in spec.targets and spec.serving.mode != "batch"
        and not spec.monitoring.alarms_enabled
    ):
        yield (
            ("monitoring", "alarms_enabled"),
            "prod endpoints need latency and 5xx alarms (CW-ENDPOINT-ALARMS); set it to true",
        )


def aws_prod_network(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    if environment != "prod" or "aws" not in spec.targets:
        return
    if spec.security.vpc is None and not _exempted(spec, "SM-MODEL-VPC"):
        yield (
            ("security", "vpc"),
            "prod SageMaker models run in private subnets (SM-MODEL-VPC): add security.vpc, or a "
            "security.exemptions entry for SM-MODEL-VPC with the reason (e.g. serverless endpoints)",
        )
    if not spec.security.network_isolation and not _exempted(spec, "SM-MODEL-NETISO"):
        yield (
            ("security", "network_isolation"),
            "prod SageMaker models run with network isolation (SM-MODEL-NETISO): set it to true, or add a "
            "security.exemptions entry for SM-MODEL-NETISO with the reason",
        )


def aws_serving_container(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    # SageMaker serves the artifact's native model file in its scikit-learn/XGBoost containers; none of
    # the prebuilt containers ships onnxruntime, and network isolation forbids installing it at start.
    if "aws" in spec.targets and spec.model.framework == "onnx":
        yield (
            ("model", "framework"),
            "'onnx' models cannot be served on the aws target: the SageMaker framework containers ship no "
            "onnxruntime and cannot install it under network isolation. Package the model from its training "
            "framework (model.framework: sklearn or xgboost; serving_format: onnx still serves ONNX on onprem), "
            "or deploy it to onprem only (targets: [onprem])",
        )


def cache_needs_determinism(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    if spec.serving.cache.enabled and not spec.model.deterministic:
        yield (
            ("serving", "cache", "enabled"),
            "the model is marked non-deterministic (model.deterministic: false), so a cached answer could differ "
            "from a fresh one (turn the cache off, or mark the model deterministic)",
        )


def sms_on_kubernetes_needs_a_gateway(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    notifications = spec.monitoring.notifications
    if notifications.sms and "onprem" in spec.targets and notifications.sms_webhook_secret is None:
        yield (
            ("monitoring", "notifications", "sms_webhook_secret"),
            "SMS alerts on Kubernetes go through a webhook gateway: name the secret holding its URL "
            "(sms_webhook_secret: {name: ..., key: url})",
        )


def exemption_rules_exist(spec: ModelDeployment, environment: str) -> Iterable[Problem]:
    """An exemption for a rule the pack does not have would waive nothing and pass unnoticed."""
    if not spec.security.exemptions:
        return
    import difflib

    # The pack's own catalog, read only when a spec has exemptions (it imports every rule module).
    from policies.catalog import rule_ids

    known = rule_ids()
    for index, item in enumerate(spec.security.exemptions):
        if item.rule not in known:
            close = difflib.get_close_matches(item.rule, known, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "`slipstack policy --list` lists the rule ids"
            yield ("security", "exemptions", index, "rule"), f"no policy rule '{item.rule}' ({hint})"


CROSS_CHECKS: tuple[CrossCheck, ...] = (
    replica_bounds,
    prod_high_availability,
    serverless_limits,
    mode_settings_present,
    schedules_fit_their_targets,
    rollout_steps,
    aws_rollout_step_fits_fleet,
    aws_vpc_jobs_have_a_path,
    rollback_has_alarms,
    restricted_stays_onprem,
    drift_settings,
    quality_metric_fits_task,
    label_column_is_not_an_input,
    service_exposure,
    tls_certificate_source,
    canary_candidate,
    onprem_prod_image_digest,
    cpu_limit_not_below_request,
    kubernetes_canary_needs_ingress,
    aws_batch_uses_s3,
    aws_async_scale_to_zero_in_prod,
    aws_prod_autoscaling,
    aws_prod_alarms,
    aws_prod_network,
    aws_serving_container,
    cache_needs_determinism,
    sms_on_kubernetes_needs_a_gateway,
    exemption_rules_exist,
)


def run_cross_checks(spec: ModelDeployment, environment: str) -> list[Problem]:
    return [problem for check in CROSS_CHECKS for problem in check(spec, environment)]
