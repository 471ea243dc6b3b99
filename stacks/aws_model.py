"""Translate one resolved spec into the AWS components of its model.

Per model and environment (`<model>-<environment>`): a KMS key, the artifact bucket, the SageMaker
execution role, the alert topic, the model package group, the monitoring (alarms, log group,
dashboard) and, by serving mode, a real-time / serverless / async endpoint with autoscaling (instances;
for serverless, the provisioned concurrency) and an invoker policy, or a scheduled batch transform.
The stack's access-log bucket is shared by all models of a stack (one per stack, created in prod and
wherever an EKS load balancer needs it).
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Any

import pulumi
import pulumi_aws as aws

from contracts import tags as tag_keys
from contracts.artifact_layout import MANIFEST_FILE, SAGEMAKER_ARCHIVE, bucket_prefix
from contracts.errors import SlipstackError
from contracts.sagemaker_instances import vcpu_count
from deployment_spec import ResolvedSpec, cron
from infra.aws.access_log_bucket import S3_LOG_PREFIX, AccessLogBucket, AccessLogBucketArgs
from infra.aws.batch_transform_schedule import JOB_PREFIX_LENGTH, BatchTransformSchedule, BatchTransformScheduleArgs
from infra.aws.endpoint_autoscaling import EndpointAutoscaling, EndpointAutoscalingArgs
from infra.aws.endpoint_invoker_policy import EndpointInvokerPolicy, EndpointInvokerPolicyArgs
from infra.aws.model_artifact_bucket import ModelArtifactBucket, ModelArtifactBucketArgs
from infra.aws.model_drift_job import PARTIALS_PREFIX, RESULTS_PREFIX, ModelDriftJob, ModelDriftJobArgs
from infra.aws.model_kms_key import ModelKmsKey, ModelKmsKeyArgs
from infra.aws.model_monitoring import ModelMonitoring, ModelMonitoringArgs
from infra.aws.model_package_group import ModelPackageGroup, ModelPackageGroupArgs
from infra.aws.model_quality_job import RESULTS_PREFIX as QUALITY_RESULTS_PREFIX
from infra.aws.model_quality_job import ModelQualityJob, ModelQualityJobArgs
from infra.aws.model_server_repository import ModelServerRepository, ModelServerRepositoryArgs, image_reference
from infra.aws.notification_topic import NotificationTopic, NotificationTopicArgs
from infra.aws.processing_job_schedule import WINDOW_MANIFEST_PREFIX
from infra.aws.sagemaker_endpoint import (
    VARIANT_NAME,
    AsyncSettings,
    RolloutSettings,
    SageMakerEndpoint,
    SageMakerEndpointArgs,
    ServerlessSettings,
)
from infra.aws.sagemaker_execution_role import SageMakerExecutionRole, SageMakerExecutionRoleArgs
from infra.aws.serverless_concurrency_autoscaling import (
    ServerlessConcurrencyAutoscaling,
    ServerlessConcurrencyAutoscalingArgs,
)
from infra.aws.vpc_service_endpoints import VpcServiceEndpoints, VpcServiceEndpointsArgs
from monitoring.job_command import QUALITY_SCHEDULE
from stacks import serving_images
from stacks.artifact import resolve_artifact
from stacks.aws_serving_modes import (
    ASYNC_FAILURES_PREFIX,
    ASYNC_INPUT_PREFIX,
    ASYNC_RESULTS_PREFIX,
    S3Location,
    async_locations,
    batch_mini_batch,
    run_scoped_uri,
    serving_mode_environment,
)
from stacks.context import StackContext, aws_tags

CAPTURE_PREFIX = "data-capture/"
# The monitoring jobs' image when the stack config names none: the model-server image holds slipstack; the
# stack declares its repository, and the jobs run it by digest (the tag is immutable there).
MONITORING_IMAGE_TAG = "0.1.0"
# Framework container contract: the entry point the packaging step puts at code/inference.py.
CONTAINER_ENVIRONMENT = {
    "SAGEMAKER_PROGRAM": "inference.py",
    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
    "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
}


class AwsTranslationError(SlipstackError):
    """A spec that is valid in itself but cannot be deployed on AWS as written."""

    exit_code = 2


# --- serving image -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def serving_image_uri(framework: str, framework_version: str, region: str, instance_type: str) -> str:
    """The prebuilt SageMaker serving image for a framework version, from sagemaker-core's URI tables.

    A spec names the version it trained with (`1.9.1`); the tables name container versions
    (`1.9-0`, `1.4-2-py312`). The newest container of the same major.minor is chosen.
    """
    if framework == "onnx":
        raise AwsTranslationError(
            "model.framework: SageMaker has no prebuilt 'onnx' serving image (set model.framework to the "
            "training framework, sklearn or xgboost, and keep serving_format: onnx; or deploy to onprem)"
        )
    versions = serving_images.container_versions(framework)
    if versions is None:
        # Not in the snapshot: ask the SDK itself (imported only here: it takes seconds to import).
        from sagemaker.core import image_uris

        try:
            config = image_uris.config_for_framework(framework)
        except (FileNotFoundError, ValueError):
            raise AwsTranslationError(f"model.framework: no SageMaker serving images for '{framework}'") from None
        versions = list((config.get("inference") or config).get("versions", {}))
    major_minor = ".".join(framework_version.split(".")[:2])
    matching = [v for v in versions if re.match(rf"^{re.escape(major_minor)}(-|$)", v)]
    if not matching:
        raise AwsTranslationError(
            f"model.framework_version: SageMaker has no {framework} serving image for version "
            f"{framework_version} (container versions: {', '.join(versions)}); train with a listed version"
        )
    container_version = sorted(matching, key=lambda v: [int(p) if p.isdigit() else 0 for p in re.split(r"[.-]", v)])[-1]
    known = serving_images.image_uri(framework, container_version, region, instance_type)
    if known is not None:
        return known
    from sagemaker.core import image_uris

    try:
        return str(
            image_uris.retrieve(
                framework, region=region, version=container_version, image_scope="inference",
                instance_type=instance_type,
            )
        )
    except ValueError as error:
        raise AwsTranslationError(
            f"serving.instance_type: no {framework} {container_version} serving image for {instance_type} in "
            f"{region} ({error})"
        ) from None


def ecr_repository_arn(image_uri: str) -> str:
    """`<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>` -> the repository's ARN."""
    registry, _, rest = image_uri.partition("/")
    account, _, _, region = registry.split(".")[:4]
    repository = rest.split("@")[0].rsplit(":", 1)[0]
    return f"arn:aws:ecr:{region}:{account}:repository/{repository}"


# --- cron ---------------------------------------------------------------------------------------


def eventbridge_cron(expression: str, field: str = "serving.batch.schedule") -> str:
    """Five-field cron -> EventBridge's `cron(m h dom mon dow year)` (validate refuses what cannot convert)."""
    try:
        return cron.to_eventbridge(expression)
    except cron.CronError as error:
        raise AwsTranslationError(f"{field}: {error}") from None


# --- the stack's access-log bucket --------------------------------------------------------------

_LOG_BUCKETS: dict[int, tuple[StackContext, AccessLogBucket]] = {}


def stack_access_log_bucket(context: StackContext) -> AccessLogBucket:
    """One access-log bucket per stack (shared by every model's bucket and the EKS load balancer)."""
    entry = _LOG_BUCKETS.get(id(context))
    if entry is not None and entry[0] is context:
        return entry[1]
    config = context.config
    bucket = AccessLogBucket(
        f"{config.stack}-access-logs",
        AccessLogBucketArgs(
            bucket_name=f"slipstack-{config.stack}-access-logs-{context.region}",
            account_id=context.account_id,
            region=context.region,
            retention_days=config.aws.log_retention_days,
            tags={**config.tags, tag_keys.ENVIRONMENT: context.environment, tag_keys.MANAGED_BY: "slipstack"},
        ),
    )
    _LOG_BUCKETS[id(context)] = (context, bucket)
    return bucket


def needs_access_log_bucket(context: StackContext) -> bool:
    return context.environment == "prod" or context.config.kubernetes.cluster == "eks"


# --- the model -----------------------------------------------------------------------------------


def deploy_model_on_aws(resolved: ResolvedSpec, context: StackContext) -> dict[str, Any]:
    spec = resolved.spec
    model = resolved.name
    environment = context.environment
    region = context.region
    base = f"{model}-{environment}"
    serving = spec.serving
    mode = serving.mode
    artifact = resolve_artifact(resolved, context.project_root)
    model_tags = aws_tags(resolved, context)
    if artifact.digest:
        model_tags[tag_keys.ARTIFACT_SHA256] = artifact.digest

    def tagged(component: str) -> dict[str, str]:
        # The same tags on every component; spec exemptions are added per resource by the stack's
        # exemption transformation (stacks/spec_exemptions.py), which knows the resource names.
        return dict(model_tags)

    image_uri = serving_image_uri(spec.model.framework, spec.model.framework_version, region, serving.instance_type)
    bucket_name = f"{base}-artifacts-{region}"
    bucket_arn = f"arn:aws:s3:::{bucket_name}"
    # Content-addressed once packaged; before `slipstack package` the plan points at a version prefix
    # that `slipstack publish` never writes, and the missing checksum tag shows it in the policy report.
    model_prefix = bucket_prefix(model, artifact.digest or f"unpackaged-{spec.model.version}")
    model_data_url = f"s3://{bucket_name}/{model_prefix}{SAGEMAKER_ARCHIVE}"
    role_name = f"{base}-sagemaker"[:64]
    # Scheduled drift and quality jobs: only for an endpoint that captures its requests (drift) and a
    # spec whose quality section says where the labels land.
    runs_drift = (
        mode in ("online", "async") and spec.monitoring.capture.enabled and spec.monitoring.drift.enabled
    )
    quality_spec = spec.monitoring.quality
    runs_quality = mode in ("online", "async") and spec.monitoring.capture.enabled and bool(
        quality_spec and quality_spec.labels_uri
    )
    if runs_quality and quality_spec and not str(quality_spec.labels_uri).startswith("s3://"):
        raise AwsTranslationError(
            f"{resolved.source}: monitoring.quality.labels_uri: '{quality_spec.labels_uri}' is not an s3:// URI "
            "(the AWS quality job reads its labels from S3)"
        )
    job_roles = {
        kind: (f"{base}-{kind}-job"[:64], f"{base}-{kind}-sched"[:64])
        for kind, enabled in (("drift", runs_drift), ("quality", runs_quality))
        if enabled
    }
    uses_events = mode == "batch" or bool(job_roles)

    key = ModelKmsKey(
        f"{model}-kms",
        ModelKmsKeyArgs(
            alias=f"slipstack/{base}",
            account_id=context.account_id,
            region=region,
            description=f"Slipstack: artifacts, captured data, logs and alerts of {base}",
            user_role_names=(role_name, *(name for pair in job_roles.values() for name in pair)),
            service_principals=("events.amazonaws.com",) if uses_events else (),
            tags=tagged(f"{model}-kms"),
        ),
    )
    log_bucket = stack_access_log_bucket(context) if needs_access_log_bucket(context) else None
    bucket = ModelArtifactBucket(
        f"{model}-artifacts",
        ModelArtifactBucketArgs(
            bucket_name=bucket_name,
            kms_key_arn=key.arn,
            expiring_prefixes=(
                CAPTURE_PREFIX, ASYNC_INPUT_PREFIX, ASYNC_RESULTS_PREFIX, ASYNC_FAILURES_PREFIX,
                *((PARTIALS_PREFIX, RESULTS_PREFIX) if runs_drift else ()),
                *((WINDOW_MANIFEST_PREFIX,) if job_roles else ()),
                *((QUALITY_RESULTS_PREFIX,) if runs_quality else ()),
            ),
            expire_after_days=context.config.aws.artifact_retention_days,
            access_log_bucket=log_bucket.bucket.bucket if log_bucket else None,
            access_log_prefix=f"{S3_LOG_PREFIX}{bucket_name}/",
            tags=tagged(f"{model}-artifacts"),
        ),
    )
    topic = NotificationTopic(
        f"{model}-alerts",
        NotificationTopicArgs(
            topic_name=f"{base}-alerts",
            kms_key_arn=key.arn,
            account_id=context.account_id,
            publisher_services=("cloudwatch.amazonaws.com", *(("events.amazonaws.com",) if uses_events else ())),
            emails=tuple(spec.monitoring.notifications.emails),
            sms_numbers=tuple(spec.monitoring.notifications.sms),
            tags=tagged(f"{model}-alerts"),
        ),
    )
    registry = ModelPackageGroup(
        f"{model}-registry",
        ModelPackageGroupArgs(
            group_name=base,
            description=spec.metadata.description or f"Versions of {model}",
            deployed_version=spec.model.version,
            tags=tagged(f"{model}-registry"),
        ),
    )

    endpoint_name = None if mode == "batch" else base
    monitoring = ModelMonitoring(
        f"{model}-monitoring",
        ModelMonitoringArgs(
            model=model,
            environment=environment,
            alarm_prefix=base,
            topic_arn=topic.arn,
            kms_key_arn=key.arn,
            region=region,
            endpoint_name=endpoint_name if spec.monitoring.alarms_enabled else None,
            variant_name=VARIANT_NAME,
            mode=mode,
            latency_p99_ms=spec.monitoring.latency_p99_ms,
            error_rate_percent=spec.monitoring.error_rate_percent,
            missing_invocations_alarm=environment == "prod",
            # CloudWatch sums CPUUtilization over the vCPUs; the drift and quality alarms live with their jobs.
            instance_vcpus=vcpu_count(serving.instance_type),
            log_retention_days=context.config.aws.log_retention_days,
            tags=tagged(f"{model}-monitoring"),
        ),
    )
    rollback_alarms = (
        [*monitoring.rollback_alarm_names, *spec.rollout.extra_alarms] if spec.rollout.auto_rollback else []
    )

    vpc = spec.security.vpc
    subnets = tuple(vpc.subnet_ids) if vpc else ()
    security_groups = tuple(vpc.security_group_ids) if vpc else ()
    async_settings = serving.async_inference
    batch = serving.batch
    external_reads: tuple[str, ...] = ()
    external_writes: tuple[str, ...] = ()
    read_prefixes: tuple[str, ...] = (model_prefix,)
    write_prefixes: tuple[str, ...] = (CAPTURE_PREFIX,) if spec.monitoring.capture.enabled else ()
    async_paths = None
    if mode == "async":
        # The execution role reads what callers upload and writes results and failures, each in its own
        # prefix; in the model's bucket as prefixes, elsewhere as external locations.
        async_paths = async_locations(
            async_settings.input_uri if async_settings else None,
            async_settings.output_uri if async_settings else None,
            async_settings.failure_uri if async_settings else None,
            bucket_name, str(resolved.source),
        )

        def split(location: S3Location) -> tuple[tuple[str, ...], tuple[str, ...]]:
            return ((location.prefix,), ()) if location.bucket == bucket_name else ((), (location.uri,))

        (own_in, ext_in), (own_out, ext_out), (own_fail, ext_fail) = (
            split(async_paths.input), split(async_paths.output), split(async_paths.failure))
        read_prefixes += own_in
        write_prefixes += own_out + own_fail
        external_reads, external_writes = ext_in, ext_out + ext_fail
    if mode == "batch":
        assert batch is not None  # the spec requires it for mode batch
        for field, uri in (("input_uri", batch.input_uri), ("output_uri", batch.output_uri)):
            if not uri.startswith("s3://"):
                raise AwsTranslationError(
                    f"{resolved.source}: serving.batch.{field}: '{uri}' is not an s3:// URI (a SageMaker batch "
                    "transform reads and writes S3 only)"
                )
        external_reads = (S3Location.parse(batch.input_uri).uri,)
        external_writes = (S3Location.parse(batch.output_uri).uri,)

    async_topics: list[NotificationTopic] = []
    if mode == "async":
        subscribers = async_settings.notifications if async_settings else None
        for outcome in ("success", "error"):
            async_topics.append(
                NotificationTopic(
                    f"{model}-async-{outcome}",
                    NotificationTopicArgs(
                        topic_name=f"{base}-async-{outcome}",
                        kms_key_arn=key.arn,
                        account_id=context.account_id,
                        publisher_services=(),  # SageMaker publishes with the execution role
                        subscriptions=tuple(
                            (item.protocol, item.endpoint) for item in getattr(subscribers, outcome, [])
                        ) if subscribers else (),
                        tags=tagged(f"{model}-async-{outcome}"),
                    ),
                )
            )
    role = SageMakerExecutionRole(
        f"{model}-execution",
        SageMakerExecutionRoleArgs(
            role_name=role_name,
            account_id=context.account_id,
            region=region,
            artifact_bucket_arn=bucket_arn,
            kms_key_arn=key.arn,
            read_prefixes=read_prefixes,
            write_prefixes=write_prefixes,
            external_read_uris=external_reads,
            external_write_uris=external_writes,
            image_repository_arns=(ecr_repository_arn(image_uri),),
            log_group_names=(f"/aws/sagemaker/Endpoints/{endpoint_name}",) if endpoint_name
            else ("/aws/sagemaker/TransformJobs",),
            alarm_names=tuple(monitoring.rollback_alarm_names),
            publish_topic_arns=tuple(t.arn for t in async_topics),
            subnet_ids=subnets,
            security_group_ids=security_groups,
            tags=tagged(f"{model}-execution"),
        ),
        opts=pulumi.ResourceOptions(depends_on=[key]),
    )

    if vpc is not None and vpc.egress == "vpc_endpoints":
        # The subnets' way to S3, ECR, Logs, CloudWatch and STS (the spec chose endpoints over a NAT).
        stack_vpc_endpoints(context, subnets, security_groups)

    outputs: dict[str, Any] = {
        "region": region,
        "artifact_bucket": bucket.name,
        "kms_key_arn": key.arn,
        "topic_arn": topic.arn,
        "alarm_names": list(monitoring.alarm_names),
        "model_package_group": registry.group.model_package_group_name,
        "deployed_version": spec.model.version,
        "model_data_url": model_data_url,
        "execution_role_arn": role.arn,
    }
    container_environment = {**CONTAINER_ENVIRONMENT, "SAGEMAKER_REGION": region, **serving_mode_environment(mode)}
    if mode == "batch":
        assert batch is not None
        mini_batch = batch_mini_batch(len(spec.model.signature.inputs), batch.max_payload_mb)
        schedule = BatchTransformSchedule(
            f"{model}-batch",
            BatchTransformScheduleArgs(
                name_prefix=base,
                job_name_prefix=base[:JOB_PREFIX_LENGTH].rstrip("-"),
                account_id=context.account_id,
                region=region,
                execution_role_arn=role.arn,
                image_uri=image_uri,
                model_data_url=model_data_url,
                kms_key_arn=key.arn,
                schedule_expression=eventbridge_cron(batch.schedule),
                # Each run reads and writes the folder of its scheduled time, never the whole prefix.
                input_s3_uri=run_scoped_uri(batch.input_uri),
                output_s3_uri=run_scoped_uri(batch.output_uri),
                instance_type=serving.instance_type,
                instance_count=batch.instance_count,
                max_payload_mb=mini_batch.max_payload_mb,
                batch_strategy=mini_batch.strategy,
                container_environment=container_environment,
                network_isolation=spec.security.network_isolation,
                subnet_ids=subnets,
                security_group_ids=security_groups,
                failure_topic_arn=topic.arn,
                scheduler_role_name=f"{base}-scheduler"[:64],
                tags=tagged(f"{model}-batch"),
            ),
            opts=pulumi.ResourceOptions(depends_on=[role.policy]),
        )
        outputs.update(endpoint_name=None, endpoint_arn=None, invoke_url=None,
                       batch_schedule_arn=schedule.schedule.arn,
                       alarm_names=[*outputs["alarm_names"], *schedule.alarm_names],
                       batch_dead_letter_queue_url=schedule.dead_letter_queue.url)
        return outputs

    serverless = serving.serverless or (None if mode != "serverless" else _default_serverless())
    endpoint = SageMakerEndpoint(
        f"{model}-endpoint",
        SageMakerEndpointArgs(
            endpoint_name=base,
            name_prefix=base,
            execution_role_arn=role.arn,
            image_uri=image_uri,
            model_data_url=model_data_url,
            kms_key_arn=key.arn,
            mode=mode,
            instance_type=serving.instance_type,
            initial_instance_count=serving.replicas.min,
            serverless=ServerlessSettings(
                memory_mb=serverless.memory_mb,
                max_concurrency=serverless.max_concurrency,
                provisioned_concurrency=serverless.provisioned_concurrency,
            )
            if serverless
            else None,
            async_inference=AsyncSettings(
                output_s3_uri=async_paths.output.uri,
                failure_s3_uri=async_paths.failure.uri,
                success_topic_arn=async_topics[0].arn,
                error_topic_arn=async_topics[1].arn,
                max_concurrent_invocations_per_instance=(
                    async_settings.max_concurrent_invocations_per_instance if async_settings else 4
                ),
            )
            if async_paths is not None
            else None,
            container_environment=container_environment,
            network_isolation=spec.security.network_isolation,
            subnet_ids=subnets,
            security_group_ids=security_groups,
            capture_enabled=spec.monitoring.capture.enabled,
            capture_percentage=spec.monitoring.capture.percentage,
            capture_s3_uri=f"s3://{bucket_name}/{CAPTURE_PREFIX}",
            rollout=RolloutSettings(
                strategy=spec.rollout.strategy,
                traffic_percent=spec.rollout.traffic_percent,
                bake_minutes=spec.rollout.bake_minutes,
                termination_wait_minutes=spec.rollout.termination_wait_minutes,
                rollback_alarm_names=tuple(rollback_alarms),
            ),
            tags=tagged(f"{model}-endpoint"),
        ),
        # The role's policy must be in place before SageMaker pulls the image and the model data.
        opts=pulumi.ResourceOptions(depends_on=[role.policy, monitoring]),
    )
    autoscaling = serving.autoscaling
    if mode in ("online", "async") and autoscaling.enabled:
        scale_to_zero = mode == "async" and (async_settings.scale_to_zero if async_settings else True)
        EndpointAutoscaling(
            f"{model}-autoscaling",
            EndpointAutoscalingArgs(
                endpoint_name=endpoint.endpoint_name,
                variant_name=VARIANT_NAME,
                min_capacity=0 if scale_to_zero else serving.replicas.min,
                max_capacity=serving.replicas.max,
                target_invocations_per_instance=autoscaling.target_invocations_per_instance,
                target_cpu_percent=autoscaling.target_cpu_percent,
                instance_vcpus=vcpu_count(serving.instance_type),
                scale_in_cooldown_seconds=autoscaling.scale_in_cooldown_seconds,
                scale_out_cooldown_seconds=autoscaling.scale_out_cooldown_seconds,
                async_backlog_per_instance=(
                    async_settings.max_concurrent_invocations_per_instance if async_settings else 4
                ) if mode == "async" else None,
                alarm_prefix=base,
                tags=tagged(f"{model}-autoscaling"),
            ),
            opts=pulumi.ResourceOptions(depends_on=[endpoint]),
        )
    if mode == "serverless" and serverless and serverless.provisioned_concurrency > 0 and autoscaling.enabled:
        # Pre-warmed concurrency as the floor, tracked up to the variant's max concurrency.
        ServerlessConcurrencyAutoscaling(
            f"{model}-concurrency-autoscaling",
            ServerlessConcurrencyAutoscalingArgs(
                endpoint_name=endpoint.endpoint_name,
                variant_name=VARIANT_NAME,
                min_provisioned_concurrency=serverless.provisioned_concurrency,
                max_provisioned_concurrency=serverless.max_concurrency,
                scale_in_cooldown_seconds=autoscaling.scale_in_cooldown_seconds,
                scale_out_cooldown_seconds=autoscaling.scale_out_cooldown_seconds,
                tags=tagged(f"{model}-concurrency-autoscaling"),
            ),
            opts=pulumi.ResourceOptions(depends_on=[endpoint]),
        )
    invoker_roles = tuple(i.aws_role_arn for i in spec.security.invokers if i.aws_role_arn)
    EndpointInvokerPolicy(
        f"{model}-invokers",
        EndpointInvokerPolicyArgs(
            policy_name=f"{base}-invoke",
            endpoint_arn=endpoint.endpoint_arn,
            invoker_role_arns=invoker_roles,
            include_async=mode == "async",
            input_object_arns=(async_paths.input.objects_arn,) if async_paths else (),
            result_object_arns=(async_paths.output.objects_arn, async_paths.failure.objects_arn)
            if async_paths else (),
            kms_key_arn=key.arn if async_paths else None,
            tags=tagged(f"{model}-invokers"),
        ),
    )
    if job_roles:
        jobs = _monitoring_jobs(resolved, context, base, bucket_name, model_prefix, key, topic,
                                subnets, security_groups, job_roles, tagged, endpoint)
        # Each job declares the alarm on what it publishes.
        outputs["alarm_names"] = [*outputs["alarm_names"], *jobs.pop("alarm_names")]
        outputs.update(jobs)
    invoke_path = "async-invocations" if mode == "async" else "invocations"
    outputs.update(
        endpoint_name=endpoint.endpoint_name,
        endpoint_arn=endpoint.endpoint_arn,
        invoke_url=f"https://runtime.sagemaker.{region}.amazonaws.com/endpoints/{base}/{invoke_path}",
        endpoint_config_name=endpoint.endpoint_config.name,
    )
    return outputs


_REPOSITORIES: dict[int, tuple[StackContext, ModelServerRepository]] = {}
_VPC_ENDPOINTS: dict[tuple[int, tuple[str, ...]], tuple[StackContext, VpcServiceEndpoints]] = {}


def stack_vpc_endpoints(
    context: StackContext, subnets: tuple[str, ...], security_groups: tuple[str, ...]
) -> VpcServiceEndpoints:
    """One set of service endpoints per set of subnets in a stack (private DNS allows one per VPC).

    The VPC and the route tables are read from the subnets at deploy time (each subnet needs an explicit
    route table association, as private subnets have).
    """
    key = (id(context), tuple(sorted(subnets)))
    entry = _VPC_ENDPOINTS.get(key)
    if entry is not None and entry[0] is context:
        return entry[1]
    config = context.config
    first = aws.ec2.get_subnet_output(id=subnets[0])
    route_tables = pulumi.Output.all(
        *(aws.ec2.get_route_table_output(subnet_id=subnet).route_table_id for subnet in subnets)
    ).apply(lambda ids: sorted(set(ids)))
    endpoints = VpcServiceEndpoints(
        f"{config.stack}-vpce-{hashlib.sha256(','.join(key[1]).encode()).hexdigest()[:6]}",
        VpcServiceEndpointsArgs(
            vpc_id=first.vpc_id,
            subnet_ids=subnets,
            route_table_ids=route_tables,
            client_security_group_ids=security_groups,
            region=context.region,
            tags={**config.tags, tag_keys.ENVIRONMENT: context.environment, tag_keys.MANAGED_BY: "slipstack"},
        ),
    )
    _VPC_ENDPOINTS[key] = (context, endpoints)
    return endpoints


def model_server_repository_name(stack: str) -> str:
    """`slipstack/<stack>/model-server`: where CI pushes the image each stack's jobs run."""
    return f"slipstack/{stack}/model-server"


def stack_model_server_repository(context: StackContext) -> ModelServerRepository:
    """One model-server repository per stack (scan on push, immutable tags, its own KMS key)."""
    entry = _REPOSITORIES.get(id(context))
    if entry is not None and entry[0] is context:
        return entry[1]
    config = context.config
    repository = ModelServerRepository(
        f"{config.stack}-model-server",
        ModelServerRepositoryArgs(
            # Per stack: stacks sharing an account would otherwise fight over one repository's name.
            repository_name=model_server_repository_name(config.stack),
            account_id=context.account_id,
            region=context.region,
            key_alias=f"slipstack/{config.stack}-model-server-images",
            tags={**config.tags, tag_keys.ENVIRONMENT: context.environment, tag_keys.MANAGED_BY: "slipstack"},
        ),
    )
    _REPOSITORIES[id(context)] = (context, repository)
    return repository


def monitoring_image(context: StackContext) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
    """(image URI by digest, ECR repository ARN) of the monitoring jobs.

    A configured image must name its digest. Otherwise the stack's repository is used, with the digest from
    the stack setting `aws.monitoring_job.image_digest` (CI sets it after pushing), or, unset, the digest ECR
    reports for the immutable tag at deploy time: the push must come before `pulumi up`.
    """
    settings = context.config.aws.monitoring_job
    configured = settings.image
    if configured is not None:  # by digest: the stack settings refuse a tag
        return pulumi.Output.from_input(configured), pulumi.Output.from_input(ecr_repository_arn(configured))
    repository = stack_model_server_repository(context)
    url = repository.repository.repository_url
    if settings.image_digest is not None:
        digest: pulumi.Output[str] = pulumi.Output.from_input(settings.image_digest)
    else:
        digest = aws.ecr.get_image_output(
            repository_name=repository.repository.name, image_tag=MONITORING_IMAGE_TAG
        ).image_digest
    image = pulumi.Output.all(url, digest).apply(lambda v: image_reference(v[0], v[1]))
    return image, repository.repository.arn


def _monitoring_jobs(
    resolved: ResolvedSpec,
    context: StackContext,
    base: str,
    bucket_name: str,
    model_prefix: str,
    key: ModelKmsKey,
    topic: NotificationTopic,
    subnets: tuple[str, ...],
    security_groups: tuple[str, ...],
    job_roles: dict[str, tuple[str, str]],
    tagged: Any,
    endpoint: SageMakerEndpoint,
) -> dict[str, Any]:
    """The scheduled drift (sharded) and quality Processing jobs of an endpoint that captures data."""
    spec = resolved.spec
    model = resolved.name
    settings = context.config.aws.monitoring_job
    image, repository = monitoring_image(context)
    # SageMaker writes <endpoint>/<variant>/yyyy/mm/dd/hh/: the jobs list the window's hours under the variant.
    capture_prefix = f"{CAPTURE_PREFIX}{base}/{VARIANT_NAME}/"
    outputs: dict[str, Any] = {"alarm_names": []}
    common: dict[str, Any] = dict(
        model=model, environment=context.environment, name_prefix=base, account_id=context.account_id,
        region=context.region, image_uri=image, image_repository_arn=repository, kms_key_arn=key.arn,
        topic_arn=topic.arn, bucket_name=bucket_name, instance_type=settings.instance_type,
        subnet_ids=subnets, security_group_ids=security_groups,
        log_retention_days=context.config.aws.log_retention_days, tracing=settings.tracing,
    )
    if "drift" in job_roles:
        drift = spec.monitoring.drift
        job_role, scheduler_role = job_roles["drift"]
        drift_job = ModelDriftJob(
            f"{model}-drift",
            ModelDriftJobArgs(
                **common,
                capture_prefix=capture_prefix,
                profile_key=f"{model_prefix}{MANIFEST_FILE}",
                schedule_expression=eventbridge_cron(drift.schedule, "monitoring.drift.schedule"),
                schedule_cron=drift.schedule,
                shard_instances=settings.shard_instances,
                method=drift.method,
                warn_threshold=drift.warn_threshold,
                alert_threshold=drift.alert_threshold,
                p_value=drift.p_value,
                features=tuple(drift.features),
                min_window=drift.min_window,
                missing_rate_min_effect=drift.missing_rate_min_effect,
                job_role_name=job_role,
                scheduler_role_name=scheduler_role,
                tags=tagged(f"{model}-drift"),
            ),
            opts=pulumi.ResourceOptions(depends_on=[key, endpoint]),
        )
        outputs["drift_state_machine_arn"] = drift_job.jobs.state_machine.arn
        outputs["alarm_names"] += drift_job.alarm_names
    quality = spec.monitoring.quality
    if "quality" in job_roles and quality is not None and quality.labels_uri:
        job_role, scheduler_role = job_roles["quality"]
        # Labels arrive label_delay_hours late: check once a day, at 03:00 UTC.
        quality_job = ModelQualityJob(
            f"{model}-quality",
            ModelQualityJobArgs(
                **common,
                predictions_prefix=capture_prefix,
                labels_uri=quality.labels_uri.rstrip("/") + "/",
                task=spec.model.task,
                metric=quality.metric,
                threshold=quality.threshold,
                classes=tuple(quality.classes),
                positive_label=quality.positive_label,
                max_dropped_share=quality.max_dropped_share,
                schedule_expression=eventbridge_cron(QUALITY_SCHEDULE, "monitoring.quality"),
                schedule_cron=QUALITY_SCHEDULE,
                label_delay_hours=quality.label_delay_hours,
                job_role_name=job_role,
                scheduler_role_name=scheduler_role,
                tags=tagged(f"{model}-quality"),
            ),
            opts=pulumi.ResourceOptions(depends_on=[key, endpoint]),
        )
        outputs["quality_state_machine_arn"] = quality_job.jobs.state_machine.arn
        outputs["alarm_names"] += quality_job.alarm_names
    return outputs



def _default_serverless() -> Any:
    from deployment_spec.model import Serverless

    return Serverless()

