"""Monitoring of one model on AWS: CloudWatch alarms, the endpoint's log group and a dashboard.

Creates:
- `aws.cloudwatch.LogGroup` `/aws/sagemaker/Endpoints/<endpoint>` (created before SageMaker writes to
  it, so it has a retention and the model's KMS key instead of SageMaker's never-expiring default);
- `aws.cloudwatch.MetricAlarm`s per endpoint and variant on the `AWS/SageMaker` metrics: ModelLatency
  p99, Invocation5XXErrors and Invocation4XXErrors (SageMaker emits 1 or 0 per request, so the
  Average is the error rate), CPU and memory utilisation (instance-based variants), and in prod a
  missing-invocations alarm (no traffic for an hour usually means a broken caller, not a quiet day).
  SageMaker publishes CPUUtilization summed over the instance's vCPUs (0-400% on 4 vCPUs), so the CPU
  threshold is the spec's per-core percentage times `instance_vcpus`; MemoryUtilization is 0-100%.
The alarms on the drift and quality metrics our jobs publish are not here: `ModelDriftJob` and
`ModelQualityJob` declare them next to the job that publishes them (`job_metric_alarm` below), so an
alarm never exists without its publisher.
- `aws.cloudwatch.Dashboard` with the endpoint's traffic, latency, errors, utilisation and drift.
Every alarm sends both ALARM and OK notifications to the given topic. `rollback_alarm_names` are the
alarms the endpoint's blue/green deployment watches: latency and 5xx errors (a new model that is slow
or failing); 4xx errors are the callers' mistakes and do not roll back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from contracts import metrics

SAGEMAKER_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"


def job_metric_alarm(
    resource_name: str,
    *,
    alarm_name: str,
    description: str,
    metric_name: str,
    dimensions: dict[str, str],
    threshold: float,
    comparison: str,
    statistic: str,
    topic_arn: pulumi.Input[str],
    period: int,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """An alarm on a metric one of our jobs publishes (namespace `contracts.metrics.CLOUDWATCH_NAMESPACE`).

    Missing data is not breaching: a run that found too little data to judge publishes no verdict metric
    (`monitoring.publish`), and that must not page. A job that stops running is caught by its own
    executions-failed alarm and the schedule's failure notification.
    """
    return aws.cloudwatch.MetricAlarm(
        resource_name,
        name=alarm_name,
        alarm_description=description,
        namespace=metrics.CLOUDWATCH_NAMESPACE,
        metric_name=metric_name,
        dimensions=dimensions,
        statistic=statistic,
        comparison_operator=comparison,
        threshold=threshold,
        period=period,
        evaluation_periods=1,
        datapoints_to_alarm=1,
        treat_missing_data="notBreaching",
        actions_enabled=True,
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def model_dimensions(model: str, environment: str) -> dict[str, str]:
    """The dimensions our jobs publish their per-model aggregates with (`monitoring.publish` uses the same)."""
    return {metrics.DIMENSION_MODEL: model, metrics.DIMENSION_ENVIRONMENT: environment}


@dataclass(frozen=True)
class ModelMonitoringArgs:
    model: str
    environment: str
    alarm_prefix: str  # alarm names: f"{alarm_prefix}-<what>"
    topic_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    region: str
    endpoint_name: str | None = None  # None: batch (no endpoint; drift and quality alarms only)
    variant_name: str = "primary"
    mode: Literal["online", "serverless", "async", "batch"] = "online"
    latency_p99_ms: int = 500
    error_rate_percent: float = 1.0
    client_error_rate_percent: float = 10.0
    utilisation_percent: float = 90.0  # per vCPU, as a person reads "90% busy"
    instance_vcpus: int = 1  # contracts.sagemaker_instances.vcpu_count(instance type)
    missing_invocations_alarm: bool = False
    log_retention_days: int = 90
    tags: dict[str, str] = field(default_factory=dict)


class ModelMonitoring(pulumi.ComponentResource):
    alarm_names: list[str]
    rollback_alarm_names: list[str]

    def __init__(self, name: str, args: ModelMonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:ModelMonitoring", name, None, opts)
        self._name = name
        self._args = args
        self.alarm_names = []
        self.rollback_alarm_names = []
        endpoint_dimensions: dict[str, str] = {}
        if args.endpoint_name is not None:
            endpoint_dimensions = {"EndpointName": args.endpoint_name, "VariantName": args.variant_name}
            self.log_group: aws.cloudwatch.LogGroup | None = aws.cloudwatch.LogGroup(
                f"{name}-endpoint-logs",
                name=f"/aws/sagemaker/Endpoints/{args.endpoint_name}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.kms_key_arn,
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            latency = self._alarm(
                "latency-p99", "ModelLatency", SAGEMAKER_NAMESPACE, endpoint_dimensions,
                threshold=args.latency_p99_ms * 1000,  # ModelLatency is reported in microseconds
                extended_statistic="p99",
                description=f"p99 model latency above {args.latency_p99_ms} ms for 3 minutes",
            )
            errors = self._alarm(
                "5xx-errors", "Invocation5XXErrors", SAGEMAKER_NAMESPACE, endpoint_dimensions,
                threshold=args.error_rate_percent / 100, statistic="Average",
                description=f"more than {args.error_rate_percent}% of invocations fail with 5xx",
            )
            self.rollback_alarm_names = [latency, errors]
            self._alarm(
                "4xx-errors", "Invocation4XXErrors", SAGEMAKER_NAMESPACE, endpoint_dimensions,
                threshold=args.client_error_rate_percent / 100, statistic="Average",
                description=f"more than {args.client_error_rate_percent}% of requests are rejected (4xx)",
                evaluation_periods=5,
            )
            if args.mode != "serverless":
                # Serverless variants publish no instance metrics.
                cpu_threshold = args.utilisation_percent * args.instance_vcpus
                self._alarm(
                    "cpu-utilisation", "CPUUtilization", INSTANCE_NAMESPACE, endpoint_dimensions,
                    threshold=cpu_threshold, statistic="Average", evaluation_periods=5,
                    description=f"CPUUtilization above {args.utilisation_percent:g}% of {args.instance_vcpus} "
                    f"vCPUs ({cpu_threshold:g} of {100 * args.instance_vcpus}) for 5 minutes",
                )
                self._alarm(
                    "memory-utilisation", "MemoryUtilization", INSTANCE_NAMESPACE, endpoint_dimensions,
                    threshold=args.utilisation_percent, statistic="Average", evaluation_periods=5,
                    description=f"MemoryUtilization above {args.utilisation_percent:g}% for 5 minutes",
                )
            if args.missing_invocations_alarm:
                self._alarm(
                    "no-invocations", "Invocations", SAGEMAKER_NAMESPACE, endpoint_dimensions,
                    threshold=1, statistic="Sum", comparison="LessThanThreshold", period=3600,
                    evaluation_periods=1, treat_missing_data="breaching",
                    description="no invocations for an hour",
                )
        else:
            self.log_group = None
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"{args.alarm_prefix}"[:255],
            dashboard_body=json.dumps(
                self._dashboard(endpoint_dimensions, model_dimensions(args.model, args.environment))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"alarm_names": self.alarm_names, "rollback_alarm_names": self.rollback_alarm_names})

    def _alarm(
        self,
        key: str,
        metric_name: str,
        namespace: str,
        dimensions: dict[str, str],
        *,
        threshold: float,
        description: str,
        statistic: str | None = None,
        extended_statistic: str | None = None,
        comparison: str = "GreaterThanThreshold",
        period: int = 60,
        evaluation_periods: int = 3,
        treat_missing_data: str = "notBreaching",
    ) -> str:
        args = self._args
        alarm_name = f"{args.alarm_prefix}-{key}"
        aws.cloudwatch.MetricAlarm(
            f"{self._name}-{key}",
            name=alarm_name,
            alarm_description=f"{args.model} ({args.environment}): {description}",
            namespace=namespace,
            metric_name=metric_name,
            dimensions=dimensions,
            statistic=statistic,
            extended_statistic=extended_statistic,
            comparison_operator=comparison,
            threshold=threshold,
            period=period,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=evaluation_periods,
            treat_missing_data=treat_missing_data,
            actions_enabled=True,
            alarm_actions=[args.topic_arn],
            ok_actions=[args.topic_arn],
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alarm_names.append(alarm_name)
        return alarm_name

    def _dashboard(self, endpoint: dict[str, str], model: dict[str, str]) -> dict[str, Any]:
        region = self._args.region

        def widget(title: str, metric_rows: Sequence[list[Any]], stat: str) -> dict[str, Any]:
            return {
                "type": "metric",
                "width": 12,
                "height": 6,
                "properties": {"title": title, "region": region, "stat": stat, "period": 60,
                               "metrics": list(metric_rows)},
            }

        def row(namespace: str, metric: str, dimensions: dict[str, str]) -> list[Any]:
            return [namespace, metric, *(part for pair in dimensions.items() for part in pair)]

        widgets = []
        if endpoint:
            widgets += [
                widget("Invocations", [row(SAGEMAKER_NAMESPACE, "Invocations", endpoint)], "Sum"),
                widget("Model latency p99 (µs)", [row(SAGEMAKER_NAMESPACE, "ModelLatency", endpoint)], "p99"),
                widget(
                    "Error rate",
                    [row(SAGEMAKER_NAMESPACE, "Invocation5XXErrors", endpoint),
                     row(SAGEMAKER_NAMESPACE, "Invocation4XXErrors", endpoint)],
                    "Average",
                ),
            ]
            if self._args.mode != "serverless":
                widgets.append(
                    widget(
                        "Utilisation (%)",
                        [row(INSTANCE_NAMESPACE, "CPUUtilization", endpoint),
                         row(INSTANCE_NAMESPACE, "MemoryUtilization", endpoint)],
                        "Average",
                    )
                )
        widgets.append(
            widget("Drifted features", [row(metrics.CLOUDWATCH_NAMESPACE, metrics.DRIFTED_FEATURES, model)], "Maximum")
        )
        return {"widgets": widgets}
