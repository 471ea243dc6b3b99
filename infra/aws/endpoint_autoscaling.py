"""Application Auto Scaling for one SageMaker endpoint variant.

Creates: `aws.appautoscaling.Target` on `sagemaker:variant:DesiredInstanceCount` (min/max from the spec
and environment) and target-tracking `aws.appautoscaling.Policy`s with cooldowns:
- invocations per instance (SageMaker's predefined metric), always;
- CPU utilisation, when a CPU target is given;
- async endpoints: the backlog per instance instead of invocations, plus, when the minimum is zero, a
  step-scaling policy that starts the first instance when requests wait with no capacity (target
  tracking alone never scales out from zero: with no instance there is no per-instance metric).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class EndpointAutoscalingArgs:
    endpoint_name: pulumi.Input[str]
    variant_name: str
    min_capacity: int
    max_capacity: int
    target_invocations_per_instance: int
    target_cpu_percent: int | None = None  # per vCPU, as a person reads "70% busy"
    # CPUUtilization is summed over the instance's vCPUs (0-400% on 4): the target is scaled by this.
    instance_vcpus: int = 1
    scale_in_cooldown_seconds: int = 300
    scale_out_cooldown_seconds: int = 60
    async_backlog_per_instance: int | None = None  # set for async endpoints
    alarm_prefix: str = ""
    tags: dict[str, str] = field(default_factory=dict)


def target_tracking_policy(
    name: str, target: aws.appautoscaling.Target, configuration: Any, opts: pulumi.ResourceOptions
) -> aws.appautoscaling.Policy:
    """A target-tracking scaling policy on `target` (instance count or provisioned concurrency)."""
    return aws.appautoscaling.Policy(
        name,
        policy_type="TargetTrackingScaling",
        service_namespace=target.service_namespace,
        scalable_dimension=target.scalable_dimension,
        resource_id=target.resource_id,
        target_tracking_scaling_policy_configuration=configuration,
        opts=opts,
    )



class EndpointAutoscaling(pulumi.ComponentResource):
    target: aws.appautoscaling.Target

    def __init__(self, name: str, args: EndpointAutoscalingArgs, opts: pulumi.ResourceOptions | None = None):
        # Checked before registering, so bad arguments leave no half-declared component behind.
        if args.max_capacity < max(args.min_capacity, 1):
            raise ValueError(f"max_capacity {args.max_capacity} is below min_capacity {args.min_capacity}")
        super().__init__("slipstack:aws:EndpointAutoscaling", name, None, opts)
        resource_id = pulumi.Output.concat("endpoint/", args.endpoint_name, "/variant/", args.variant_name)
        self.target = aws.appautoscaling.Target(
            f"{name}-target",
            service_namespace="sagemaker",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            resource_id=resource_id,
            min_capacity=args.min_capacity,
            max_capacity=args.max_capacity,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_target = pulumi.ResourceOptions(parent=self, depends_on=[self.target])
        cooldowns: Any = {
            "scale_in_cooldown": args.scale_in_cooldown_seconds,
            "scale_out_cooldown": args.scale_out_cooldown_seconds,
        }
        if args.async_backlog_per_instance is None:
            target_tracking_policy(
                f"{name}-invocations",
                self.target,
                {
                    "target_value": args.target_invocations_per_instance,
                    "predefined_metric_specification": {
                        "predefined_metric_type": "SageMakerVariantInvocationsPerInstance"
                    },
                    **cooldowns,
                },
                on_target,
            )
        else:
            target_tracking_policy(
                f"{name}-backlog",
                self.target,
                {
                    "target_value": args.async_backlog_per_instance,
                    "customized_metric_specification": {
                        "metric_name": "ApproximateBacklogSizePerInstance",
                        "namespace": "AWS/SageMaker",
                        "dimensions": [{"name": "EndpointName", "value": args.endpoint_name}],
                        "statistic": "Average",
                    },
                    **cooldowns,
                },
                on_target,
            )
            if args.min_capacity == 0:
                from_zero = aws.appautoscaling.Policy(
                    f"{name}-from-zero",
                    policy_type="StepScaling",
                    service_namespace=self.target.service_namespace,
                    scalable_dimension=self.target.scalable_dimension,
                    resource_id=self.target.resource_id,
                    step_scaling_policy_configuration={
                        "adjustment_type": "ChangeInCapacity",
                        "cooldown": args.scale_out_cooldown_seconds,
                        "metric_aggregation_type": "Average",
                        "step_adjustments": [{"metric_interval_lower_bound": "0", "scaling_adjustment": 1}],
                    },
                    opts=on_target,
                )
                aws.cloudwatch.MetricAlarm(
                    f"{name}-backlog-without-capacity",
                    name=f"{args.alarm_prefix}-backlog-without-capacity",
                    alarm_description="requests wait while the async endpoint has no instance: start one",
                    namespace="AWS/SageMaker",
                    metric_name="HasBacklogWithoutCapacity",
                    dimensions={"EndpointName": args.endpoint_name},
                    statistic="Average",
                    comparison_operator="GreaterThanOrEqualToThreshold",
                    threshold=1,
                    period=60,
                    evaluation_periods=2,
                    treat_missing_data="missing",
                    actions_enabled=True,
                    alarm_actions=[from_zero.arn],
                    ok_actions=[],
                    tags=args.tags,
                    opts=pulumi.ResourceOptions(parent=self),
                )
        if args.target_cpu_percent is not None:
            target_tracking_policy(
                f"{name}-cpu",
                self.target,
                {
                    "target_value": args.target_cpu_percent * args.instance_vcpus,
                    "customized_metric_specification": {
                        "metric_name": "CPUUtilization",
                        "namespace": "/aws/sagemaker/Endpoints",
                        "dimensions": [
                            {"name": "EndpointName", "value": args.endpoint_name},
                            {"name": "VariantName", "value": args.variant_name},
                        ],
                        "statistic": "Average",
                    },
                    **cooldowns,
                },
                on_target,
            )
        self.register_outputs({"resource_id": self.target.resource_id})
