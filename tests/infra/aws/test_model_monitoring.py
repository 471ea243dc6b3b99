"""ModelMonitoring: each endpoint alarm's metric, statistic, threshold (in the metric's units), dimensions, actions."""

from __future__ import annotations

import json
from typing import Any

from contracts import metrics
from contracts import type_tokens as t

TOPIC = "arn:aws:sns:eu-west-1:123456789012:churn-score-prod-alerts"
ENDPOINT = {"EndpointName": "churn-score-prod", "VariantName": "primary"}
MODEL = {metrics.DIMENSION_MODEL: "churn-score", metrics.DIMENSION_ENVIRONMENT: "prod"}


def run_monitoring(pulumi_run: Any, **overrides: Any) -> tuple[Any, Any]:
    built: list[Any] = []

    def program() -> None:
        from infra.aws.model_monitoring import ModelMonitoring, ModelMonitoringArgs

        arguments: dict[str, Any] = {
            "model": "churn-score", "environment": "prod", "alarm_prefix": "churn-score-prod", "topic_arn": TOPIC,
            "kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k", "region": "eu-west-1",
            "endpoint_name": "churn-score-prod", "latency_p99_ms": 250, "error_rate_percent": 2.0,
            "missing_invocations_alarm": True, "instance_vcpus": 4,
        }
        built.append(ModelMonitoring("monitoring", ModelMonitoringArgs(**{**arguments, **overrides})))

    run = pulumi_run(program)
    return run, built[0]


def alarms(run: Any) -> dict[str, dict[str, Any]]:
    return {a.inputs["name"].removeprefix("churn-score-prod-"): a.inputs for a in run.of_type(t.CW_METRIC_ALARM)}


def test_endpoint_alarms_metrics_statistics_thresholds_and_dimensions(pulumi_run: Any) -> None:
    run, monitoring = run_monitoring(pulumi_run)
    found = alarms(run)
    assert set(found) == {"latency-p99", "5xx-errors", "4xx-errors", "cpu-utilisation", "memory-utilisation",
                          "no-invocations"}
    expected = {
        # key: (namespace, metric, statistic or extended statistic, threshold, comparison)
        "latency-p99": ("AWS/SageMaker", "ModelLatency", "p99", 250_000, "GreaterThanThreshold"),
        "5xx-errors": ("AWS/SageMaker", "Invocation5XXErrors", "Average", 0.02, "GreaterThanThreshold"),
        "4xx-errors": ("AWS/SageMaker", "Invocation4XXErrors", "Average", 0.1, "GreaterThanThreshold"),
        # Summed over 4 vCPUs: 90% busy is 360 of 400.
        "cpu-utilisation": ("/aws/sagemaker/Endpoints", "CPUUtilization", "Average", 360, "GreaterThanThreshold"),
        "memory-utilisation": ("/aws/sagemaker/Endpoints", "MemoryUtilization", "Average", 90, "GreaterThanThreshold"),
        "no-invocations": ("AWS/SageMaker", "Invocations", "Sum", 1, "LessThanThreshold"),
    }
    for key, (namespace, metric, statistic, threshold, comparison) in expected.items():
        alarm = found[key]
        assert (alarm["namespace"], alarm["metricName"]) == (namespace, metric), key
        assert alarm.get("statistic", alarm.get("extendedStatistic")) == statistic, key
        assert alarm["threshold"] == threshold, key
        assert alarm["comparisonOperator"] == comparison, key
        assert alarm["dimensions"] == ENDPOINT, key
    assert "statistic" not in found["latency-p99"]  # p99 is an extended statistic, never both
    assert found["no-invocations"]["treatMissingData"] == "breaching"  # silence is the symptom
    assert found["no-invocations"]["period"] == 3600
    assert monitoring.rollback_alarm_names == ["churn-score-prod-latency-p99", "churn-score-prod-5xx-errors"]
    assert sorted(monitoring.alarm_names) == sorted(f"churn-score-prod-{key}" for key in found)


def test_every_alarm_notifies_on_alarm_and_ok(pulumi_run: Any) -> None:
    run, _ = run_monitoring(pulumi_run)
    for key, alarm in alarms(run).items():
        assert alarm["actionsEnabled"] is True, key
        assert alarm["alarmActions"] == [TOPIC] and alarm["okActions"] == [TOPIC], key
        assert alarm["datapointsToAlarm"] == alarm["evaluationPeriods"], key
        assert alarm["alarmDescription"].startswith("churn-score (prod): "), key


def test_cpu_threshold_scales_with_the_vcpu_count_memory_does_not(pulumi_run: Any) -> None:
    run, _ = run_monitoring(pulumi_run, instance_vcpus=2, utilisation_percent=80.0)
    found = alarms(run)
    assert found["cpu-utilisation"]["threshold"] == 160
    assert found["memory-utilisation"]["threshold"] == 80


def test_log_group_has_retention_and_the_key(pulumi_run: Any) -> None:
    run, _ = run_monitoring(pulumi_run, log_retention_days=30)
    group = run.one(t.CW_LOG_GROUP).inputs
    assert group["name"] == "/aws/sagemaker/Endpoints/churn-score-prod"
    assert group["retentionInDays"] == 30
    assert group["kmsKeyId"] == "arn:aws:kms:eu-west-1:123456789012:key/k"


def test_serverless_has_no_instance_alarms_and_dev_no_missing_invocations(pulumi_run: Any) -> None:
    run, _ = run_monitoring(pulumi_run, mode="serverless", missing_invocations_alarm=False)
    assert set(alarms(run)) == {"latency-p99", "5xx-errors", "4xx-errors"}
    widgets = json.loads(run.one(t.CW_DASHBOARD).inputs["dashboardBody"])["widgets"]
    assert "Utilisation (%)" not in [w["properties"]["title"] for w in widgets]


def test_batch_has_no_endpoint_alarm(pulumi_run: Any) -> None:
    # The drift and quality alarms are declared by their jobs (tests/infra/aws/test_monitoring_job_alarms.py).
    run, monitoring = run_monitoring(pulumi_run, endpoint_name=None, mode="batch")
    assert set(alarms(run)) == set()
    assert not run.of_type(t.CW_LOG_GROUP)
    assert monitoring.rollback_alarm_names == []


def test_dashboard_charts_the_endpoint_and_drift(pulumi_run: Any) -> None:
    run, _ = run_monitoring(pulumi_run)
    dashboard = run.one(t.CW_DASHBOARD).inputs
    assert dashboard["dashboardName"] == "churn-score-prod"
    widgets = json.loads(dashboard["dashboardBody"])["widgets"]
    rows = [row for w in widgets for row in w["properties"]["metrics"]]
    assert ["AWS/SageMaker", "ModelLatency", "EndpointName", "churn-score-prod", "VariantName", "primary"] in rows
    assert [metrics.CLOUDWATCH_NAMESPACE, metrics.DRIFTED_FEATURES, metrics.DIMENSION_MODEL, "churn-score",
            metrics.DIMENSION_ENVIRONMENT, "prod"] in rows
    assert all(w["properties"]["region"] == "eu-west-1" for w in widgets)
