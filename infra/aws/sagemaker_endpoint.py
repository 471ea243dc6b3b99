"""A SageMaker endpoint for one model: Model, EndpointConfiguration and Endpoint with guarded rollout.

Creates:
- `aws.sagemaker.Model`: the serving image, the model data in S3, the execution role, network isolation
  and VPC placement;
- `aws.sagemaker.EndpointConfiguration`: one production variant named `primary` (instance-based,
  serverless, or instance-based with an async-inference config), data capture to the capture prefix
  (always KMS-encrypted), the KMS key on the ML volume unless the instance family has local NVMe
  storage (AWS rejects a key there: the volume is ephemeral and hardware-encrypted);
- `aws.sagemaker.Endpoint`: blue/green deployment config (all at once, canary or linear traffic
  shifting, bake time, termination wait) with auto-rollback on the CloudWatch alarms it is given; none
  for a serverless endpoint (AWS offers the guardrails for real-time and async endpoints only).

Models and endpoint configurations are immutable in SageMaker. Both get content-derived physical names
(a hash of everything that makes them: image, model data URL, role, network settings; the model name,
variant, capture, key and async settings), so any change creates a new model and configuration and
rolls the endpoint onto it through the blue/green deployment, instead of failing with "Cannot create
already existing endpoint configuration". The endpoint keeps its name; the variant keeps its name,
which blue/green and the autoscaling target require.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from contracts.sagemaker_instances import has_local_nvme

VARIANT_NAME = "primary"
NAME_HASH_LENGTH = 12
MAX_NAME_LENGTH = 63


@dataclass(frozen=True)
class ServerlessSettings:
    memory_mb: int
    max_concurrency: int
    provisioned_concurrency: int = 0


@dataclass(frozen=True)
class AsyncSettings:
    output_s3_uri: str
    success_topic_arn: pulumi.Input[str]
    error_topic_arn: pulumi.Input[str]
    max_concurrent_invocations_per_instance: int = 4
    failure_s3_uri: str = ""  # where failed requests' errors land (S3FailurePath); "" leaves them in CloudWatch


@dataclass(frozen=True)
class RolloutSettings:
    strategy: Literal["all_at_once", "canary", "linear"] = "all_at_once"
    traffic_percent: int | None = None
    bake_minutes: int = 10
    termination_wait_minutes: int = 5
    rollback_alarm_names: Sequence[str] = ()


@dataclass(frozen=True)
class SageMakerEndpointArgs:
    endpoint_name: str
    name_prefix: str  # physical names of model and config: f"{name_prefix}-{hash}" (<= 63 characters)
    execution_role_arn: pulumi.Input[str]
    image_uri: str
    model_data_url: str
    kms_key_arn: pulumi.Input[str]
    mode: Literal["online", "serverless", "async"] = "online"
    instance_type: str = "ml.m5.large"
    initial_instance_count: int = 1
    serverless: ServerlessSettings | None = None
    async_inference: AsyncSettings | None = None
    container_environment: Mapping[str, str] = field(default_factory=dict)
    network_isolation: bool = True
    subnet_ids: Sequence[str] = ()
    security_group_ids: Sequence[str] = ()
    capture_enabled: bool = False
    capture_percentage: int = 20
    capture_s3_uri: str = ""
    rollout: RolloutSettings = field(default_factory=RolloutSettings)
    tags: dict[str, str] = field(default_factory=dict)


def content_name(prefix: str, content: Any) -> str:
    """`<prefix>-<12 hex of sha256(content)>`, at most 63 characters (SageMaker's limit)."""
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    return f"{prefix[: MAX_NAME_LENGTH - NAME_HASH_LENGTH - 1].rstrip('-')}-{digest[:NAME_HASH_LENGTH]}"


def declare_sagemaker_model(
    name: str,
    parent: pulumi.Resource,
    *,
    name_prefix: str,
    container: Any,
    execution_role_arn: pulumi.Input[str],
    subnet_ids: Sequence[str],
    security_group_ids: Sequence[str],
    network_isolation: bool,
    tags: dict[str, str],
) -> aws.sagemaker.Model:
    """A SageMaker Model named after its content, so a changed image, artifact or network makes a new model.

    The endpoint and the batch transform schedule both serve through such a model.
    """
    vpc: Any = (
        {"subnets": list(subnet_ids), "security_group_ids": list(security_group_ids)} if subnet_ids else None
    )
    model_name = pulumi.Output.all(
        container=container, vpc=vpc, isolation=network_isolation, role=execution_role_arn
    ).apply(lambda content: content_name(name_prefix, content))
    return aws.sagemaker.Model(
        f"{name}-model",
        name=model_name,
        execution_role_arn=execution_role_arn,
        primary_container=container,
        vpc_config=vpc,
        enable_network_isolation=network_isolation,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def production_variant(args: SageMakerEndpointArgs, model_name: pulumi.Input[str]) -> dict[str, Any]:
    variant: dict[str, Any] = {"variant_name": VARIANT_NAME, "model_name": model_name}
    if args.mode == "serverless":
        settings = args.serverless or ServerlessSettings(memory_mb=2048, max_concurrency=10)
        serverless: dict[str, Any] = {
            "memory_size_in_mb": settings.memory_mb,
            "max_concurrency": settings.max_concurrency,
        }
        if settings.provisioned_concurrency:
            serverless["provisioned_concurrency"] = settings.provisioned_concurrency
        variant["serverless_config"] = serverless
    else:
        variant.update(
            instance_type=args.instance_type,
            initial_instance_count=args.initial_instance_count,
            initial_variant_weight=1.0,
        )
    return variant


def deployment_config(rollout: RolloutSettings) -> dict[str, Any]:
    routing: dict[str, Any] = {"type": rollout.strategy.upper(), "wait_interval_in_seconds": rollout.bake_minutes * 60}
    if rollout.strategy == "canary":
        routing["canary_size"] = {"type": "CAPACITY_PERCENT", "value": rollout.traffic_percent}
    elif rollout.strategy == "linear":
        routing["linear_step_size"] = {"type": "CAPACITY_PERCENT", "value": rollout.traffic_percent}
    config: dict[str, Any] = {
        "blue_green_update_policy": {
            "traffic_routing_configuration": routing,
            "termination_wait_in_seconds": rollout.termination_wait_minutes * 60,
            # The whole shift must finish (or roll back) within this; SageMaker's bound is 3 hours.
            "maximum_execution_timeout_in_seconds": 10800,
        }
    }
    if rollout.rollback_alarm_names:
        config["auto_rollback_configuration"] = {
            "alarms": [{"alarm_name": alarm} for alarm in rollout.rollback_alarm_names]
        }
    return config


class SageMakerEndpoint(pulumi.ComponentResource):
    model: aws.sagemaker.Model
    endpoint_config: aws.sagemaker.EndpointConfiguration
    endpoint: aws.sagemaker.Endpoint

    def __init__(self, name: str, args: SageMakerEndpointArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:SageMakerEndpoint", name, None, opts)
        if args.mode == "serverless" and (args.subnet_ids or args.capture_enabled or args.network_isolation):
            raise ValueError("serverless endpoints support neither a VPC, network isolation nor data capture")

        container: Any = {
            "image": args.image_uri,
            "model_data_url": args.model_data_url,
            "mode": "SingleModel",
            "environment": dict(args.container_environment),
        }
        self.model = declare_sagemaker_model(
            name,
            self,
            name_prefix=args.name_prefix,
            container=container,
            execution_role_arn=args.execution_role_arn,
            subnet_ids=args.subnet_ids,
            security_group_ids=args.security_group_ids,
            network_isolation=args.network_isolation,
            tags=args.tags,
        )

        key_on_volume = args.mode != "serverless" and not has_local_nvme(args.instance_type)
        capture: Any = None
        if args.capture_enabled:
            capture = {
                "enable_capture": True,
                "initial_sampling_percentage": args.capture_percentage,
                "destination_s3_uri": args.capture_s3_uri,
                "kms_key_id": args.kms_key_arn,
                "capture_options": [{"capture_mode": "Input"}, {"capture_mode": "Output"}],
                "capture_content_type_header": {"json_content_types": ["application/json"],
                                                "csv_content_types": ["text/csv"]},
            }
        async_config: Any = None
        if args.mode == "async":
            if args.async_inference is None:
                raise ValueError("mode 'async' needs async_inference settings")
            settings = args.async_inference
            async_config = {
                "output_config": {
                    "s3_output_path": settings.output_s3_uri,
                    **({"s3_failure_path": settings.failure_s3_uri} if settings.failure_s3_uri else {}),
                    "kms_key_id": args.kms_key_arn,
                    "notification_config": {
                        "success_topic": settings.success_topic_arn,
                        "error_topic": settings.error_topic_arn,
                    },
                },
                "client_config": {
                    "max_concurrent_invocations_per_instance": settings.max_concurrent_invocations_per_instance
                },
            }
        variant: Any = production_variant(args, self.model.name)
        config_content = pulumi.Output.all(
            variant=variant,
            capture=capture,
            key=args.kms_key_arn if key_on_volume else None,
            async_config=async_config,
        )
        self.endpoint_config = aws.sagemaker.EndpointConfiguration(
            f"{name}-config",
            name=config_content.apply(lambda content: content_name(args.name_prefix, content)),
            production_variants=[variant],
            kms_key_arn=args.kms_key_arn if key_on_volume else None,
            data_capture_config=capture,
            async_inference_config=async_config,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.model]),
        )
        # Blue/green deployment guardrails exist for instance-based (real-time and async) endpoints only;
        # UpdateEndpoint rejects a deployment config on a serverless one.
        endpoint_deployment: Any = deployment_config(args.rollout) if args.mode != "serverless" else None
        self.endpoint = aws.sagemaker.Endpoint(
            f"{name}-endpoint",
            name=args.endpoint_name,
            endpoint_config_name=self.endpoint_config.name,
            deployment_config=endpoint_deployment,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.endpoint_name = self.endpoint.name
        self.endpoint_arn = self.endpoint.arn
        self.register_outputs(
            {
                "endpoint_name": self.endpoint.name,
                "endpoint_arn": self.endpoint.arn,
                "endpoint_config_name": self.endpoint_config.name,
                "model_name": self.model.name,
            }
        )
