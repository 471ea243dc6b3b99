"""Application Auto Scaling of a serverless endpoint variant's provisioned concurrency.

Creates: `aws.appautoscaling.Target` on `sagemaker:variant:DesiredProvisionedConcurrency` (from the
spec's provisioned concurrency up to its max concurrency) and a target-tracking `aws.appautoscaling.Policy`
on SageMaker's predefined `SageMakerVariantProvisionedConcurrencyUtilization`, with cooldowns.
Provisioned concurrency is billed while it is provisioned: the floor keeps the pre-warmed capacity the
spec asked for, and tracking adds more only while it is busy (requests above it would cold-start).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra.aws.endpoint_autoscaling import target_tracking_policy

SCALABLE_DIMENSION = "sagemaker:variant:DesiredProvisionedConcurrency"
UTILISATION_METRIC = "SageMakerVariantProvisionedConcurrencyUtilization"


@dataclass(frozen=True)
class ServerlessConcurrencyAutoscalingArgs:
    endpoint_name: pulumi.Input[str]
    variant_name: str
    min_provisioned_concurrency: int  # the spec's provisioned_concurrency
    max_provisioned_concurrency: int  # at most the variant's max_concurrency
    # Fraction of provisioned concurrency in use that tracking aims for (AWS's examples use 0.5-0.8):
    # headroom for a burst while new concurrency warms up.
    target_utilisation: float = 0.7
    scale_in_cooldown_seconds: int = 300
    scale_out_cooldown_seconds: int = 60
    tags: dict[str, str] = field(default_factory=dict)


class ServerlessConcurrencyAutoscaling(pulumi.ComponentResource):
    target: aws.appautoscaling.Target
    policy: aws.appautoscaling.Policy

    def __init__(
        self, name: str, args: ServerlessConcurrencyAutoscalingArgs, opts: pulumi.ResourceOptions | None = None
    ):
        # Checked before registering anything, so a bad call leaves no half-built component behind.
        if args.min_provisioned_concurrency < 1:
            raise ValueError("provisioned concurrency autoscaling needs a provisioned concurrency of at least 1")
        if args.max_provisioned_concurrency < args.min_provisioned_concurrency:
            raise ValueError(
                f"max_provisioned_concurrency {args.max_provisioned_concurrency} is below "
                f"min_provisioned_concurrency {args.min_provisioned_concurrency}"
            )
        if not 0 < args.target_utilisation <= 1:
            raise ValueError(f"target_utilisation {args.target_utilisation} must be in (0, 1]")
        super().__init__("slipstack:aws:ServerlessConcurrencyAutoscaling", name, None, opts)
        self.target = aws.appautoscaling.Target(
            f"{name}-target",
            service_namespace="sagemaker",
            scalable_dimension=SCALABLE_DIMENSION,
            resource_id=pulumi.Output.concat("endpoint/", args.endpoint_name, "/variant/", args.variant_name),
            min_capacity=args.min_provisioned_concurrency,
            max_capacity=args.max_provisioned_concurrency,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.policy = target_tracking_policy(
            f"{name}-utilisation",
            self.target,
            {
                "target_value": args.target_utilisation,
                "predefined_metric_specification": {"predefined_metric_type": UTILISATION_METRIC},
                "scale_in_cooldown": args.scale_in_cooldown_seconds,
                "scale_out_cooldown": args.scale_out_cooldown_seconds,
            },
            pulumi.ResourceOptions(parent=self, depends_on=[self.target]),
        )
        self.register_outputs({"resource_id": self.target.resource_id})
