"""EndpointAutoscaling (instances) and ServerlessConcurrencyAutoscaling (provisioned concurrency)."""

from __future__ import annotations

from typing import Any

import pytest

from contracts import type_tokens as t


def run_scaling(pulumi_run: Any, **overrides: Any) -> Any:
    def program() -> None:
        from infra.aws.endpoint_autoscaling import EndpointAutoscaling, EndpointAutoscalingArgs

        arguments: dict[str, Any] = {
            "endpoint_name": "churn-score-prod", "variant_name": "primary", "min_capacity": 2, "max_capacity": 8,
            "target_invocations_per_instance": 250, "alarm_prefix": "churn-score-prod",
        }
        EndpointAutoscaling("scaling", EndpointAutoscalingArgs(**{**arguments, **overrides}))

    return pulumi_run(program)


def policies(run: Any) -> dict[str, dict[str, Any]]:
    return {p.name.removeprefix("scaling-"): p.inputs for p in run.of_type(t.AAS_POLICY)}


# The environments' bounds as the shipped stack config gives them (dev/staging 1..3, prod 2..8).
@pytest.mark.parametrize(("minimum", "maximum"), [(1, 3), (2, 8)])
def test_target_bounds_and_invocations_policy(pulumi_run: Any, minimum: int, maximum: int) -> None:
    run = run_scaling(pulumi_run, min_capacity=minimum, max_capacity=maximum, scale_in_cooldown_seconds=600,
                      scale_out_cooldown_seconds=30)
    target = run.one(t.AAS_TARGET).inputs
    assert target["serviceNamespace"] == "sagemaker"
    assert target["scalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert target["resourceId"] == "endpoint/churn-score-prod/variant/primary"
    assert (target["minCapacity"], target["maxCapacity"]) == (minimum, maximum)
    found = policies(run)
    assert set(found) == {"invocations"}  # no CPU policy unless a CPU target is given
    invocations = found["invocations"]
    assert invocations["policyType"] == "TargetTrackingScaling"
    assert invocations["resourceId"] == target["resourceId"]
    tracking = invocations["targetTrackingScalingPolicyConfiguration"]
    assert tracking["targetValue"] == 250
    assert tracking["predefinedMetricSpecification"] == {
        "predefinedMetricType": "SageMakerVariantInvocationsPerInstance"}
    assert (tracking["scaleInCooldown"], tracking["scaleOutCooldown"]) == (600, 30)
    assert run.one(t.AAS_TARGET).urn in run.named("scaling-invocations").dependencies


def test_cpu_policy_when_configured(pulumi_run: Any) -> None:
    run = run_scaling(pulumi_run, target_cpu_percent=65, instance_vcpus=4)
    cpu = policies(run)["cpu"]["targetTrackingScalingPolicyConfiguration"]
    assert cpu["targetValue"] == 260  # CPUUtilization is summed over the 4 vCPUs: 65% busy is 260 of 400
    metric = cpu["customizedMetricSpecification"]
    assert (metric["metricName"], metric["namespace"], metric["statistic"]) == (
        "CPUUtilization", "/aws/sagemaker/Endpoints", "Average")
    assert metric["dimensions"] == [{"name": "EndpointName", "value": "churn-score-prod"},
                                    {"name": "VariantName", "value": "primary"}]
    assert (cpu["scaleInCooldown"], cpu["scaleOutCooldown"]) == (300, 60)


def test_async_tracks_the_backlog_and_starts_from_zero(pulumi_run: Any) -> None:
    run = run_scaling(pulumi_run, min_capacity=0, max_capacity=4, async_backlog_per_instance=5)
    assert run.one(t.AAS_TARGET).inputs["minCapacity"] == 0
    found = policies(run)
    assert set(found) == {"backlog", "from-zero"}
    backlog = found["backlog"]["targetTrackingScalingPolicyConfiguration"]
    assert backlog["targetValue"] == 5
    assert backlog["customizedMetricSpecification"]["metricName"] == "ApproximateBacklogSizePerInstance"
    step = found["from-zero"]["stepScalingPolicyConfiguration"]
    assert step["adjustmentType"] == "ChangeInCapacity"
    assert step["stepAdjustments"] == [{"metricIntervalLowerBound": "0", "scalingAdjustment": 1}]
    alarm = run.one(t.CW_METRIC_ALARM).inputs
    assert alarm["name"] == "churn-score-prod-backlog-without-capacity"
    assert (alarm["metricName"], alarm["threshold"]) == ("HasBacklogWithoutCapacity", 1)
    assert alarm["dimensions"] == {"EndpointName": "churn-score-prod"}
    assert len(alarm["alarmActions"]) == 1 and alarm["alarmActions"][0].startswith("arn:aws:")


def test_async_with_a_floor_needs_no_wake_up_alarm(pulumi_run: Any) -> None:
    run = run_scaling(pulumi_run, min_capacity=2, max_capacity=4, async_backlog_per_instance=5)
    assert set(policies(run)) == {"backlog"} and not run.of_type(t.CW_METRIC_ALARM)


def test_max_below_min_is_refused() -> None:
    from infra.aws.endpoint_autoscaling import EndpointAutoscaling, EndpointAutoscalingArgs

    with pytest.raises(ValueError, match="max_capacity 1 is below min_capacity 2"):
        EndpointAutoscaling("bad", EndpointAutoscalingArgs(
            endpoint_name="e", variant_name="primary", min_capacity=2, max_capacity=1,
            target_invocations_per_instance=10))


def test_serverless_provisioned_concurrency_tracks_utilisation(pulumi_run: Any) -> None:
    def program() -> None:
        from infra.aws.serverless_concurrency_autoscaling import (
            ServerlessConcurrencyAutoscaling,
            ServerlessConcurrencyAutoscalingArgs,
        )

        ServerlessConcurrencyAutoscaling("concurrency", ServerlessConcurrencyAutoscalingArgs(
            endpoint_name="churn-score-dev", variant_name="primary", min_provisioned_concurrency=3,
            max_provisioned_concurrency=20, target_utilisation=0.6, scale_in_cooldown_seconds=900))

    run = pulumi_run(program)
    target = run.one(t.AAS_TARGET).inputs
    assert target["scalableDimension"] == "sagemaker:variant:DesiredProvisionedConcurrency"
    assert target["resourceId"] == "endpoint/churn-score-dev/variant/primary"
    assert (target["minCapacity"], target["maxCapacity"]) == (3, 20)
    policy = run.one(t.AAS_POLICY).inputs
    assert policy["scalableDimension"] == "sagemaker:variant:DesiredProvisionedConcurrency"
    tracking = policy["targetTrackingScalingPolicyConfiguration"]
    assert tracking == {
        "targetValue": 0.6,
        "predefinedMetricSpecification": {"predefinedMetricType": "SageMakerVariantProvisionedConcurrencyUtilization"},
        "scaleInCooldown": 900,
        "scaleOutCooldown": 60,
    }


@pytest.mark.parametrize(
    ("minimum", "maximum", "utilisation", "message"),
    [(0, 5, 0.7, "at least 1"), (5, 4, 0.7, "below"), (1, 4, 1.5, "must be in")],
)
def test_serverless_bounds_are_checked(minimum: int, maximum: int, utilisation: float, message: str) -> None:
    from infra.aws.serverless_concurrency_autoscaling import (
        ServerlessConcurrencyAutoscaling,
        ServerlessConcurrencyAutoscalingArgs,
    )

    with pytest.raises(ValueError, match=message):
        ServerlessConcurrencyAutoscaling("bad", ServerlessConcurrencyAutoscalingArgs(
            endpoint_name="e", variant_name="primary", min_provisioned_concurrency=minimum,
            max_provisioned_concurrency=maximum, target_utilisation=utilisation))
