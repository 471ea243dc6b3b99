"""ModelMonitoring: each alarm's metric, statistic, threshold, dimensions and actions; drift and quality alarms."""

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
        from infra.aws.model_monitoring import ModelMonitoring, ModelMonitoringArgs, QualityAlarmSettings

        arguments: dict[str, Any] = {
            "model": "churn-score", "environment": "prod", "alarm_prefix": "churn-score-prod", "topic_arn": TOPIC,
            "kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k", "region": "eu-west-1",
            "endpoint_name": "churn-score-prod", "latency_p99_ms": 250, "error_rate_percent": 2.0,
            "missing_invocations_alarm": True, "drift_alert_threshold": 0.2,
            "quality": QualityAlarmSettings(metric_name="QualityRocAuc", threshold=0.8, higher_is_better=True),
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
                          "no-invocations", "drift", "quality"}
    expected = {
        # key: (namespace, metric, statistic or extended statistic, threshold, comparison)
        "latency-p99": ("AWS/SageMaker", "ModelLatency", "p99", 250_000, "GreaterThanThreshold"),
        "5xx-errors": ("AWS/SageMaker", "Invocation5XXErrors", "Average", 0.02, "GreaterThanThreshold"),
        "4xx-errors": ("AWS/SageMaker", "Invocation4XXErrors", "Average", 0.1, "GreaterThanThreshold"),
        "cpu-utilisation": ("/aws/sagemaker/Endpoints", "CPUUtilization", "Average", 90, "GreaterThanThreshold"),
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


def test_drift_and_quality_alarms_use_the_contract_names(pulumi_run: Any) -> None:
    run, _ = run_monitoring(pulumi_run)
    found = alarms(run)
    drift = found["drift"]
    assert (drift["namespace"], drift["metricName"]) == (metrics.CLOUDWATCH_NAMESPACE, metrics.DRIFT_SCORE_MAX)
    assert drift["dimensions"] == MODEL
    assert (drift["statistic"], drift["threshold"], drift["comparisonOperator"]) == (
        "Maximum", 0.2, "GreaterThanOrEqualToThreshold")
    quality = found["quality"]
    assert quality["namespace"] == metrics.CLOUDWATCH_NAMESPACE
    assert quality["metricName"] == f"{metrics.QUALITY_METRIC_PREFIX}RocAuc"
    assert quality["dimensions"] == MODEL
    assert (quality["statistic"], quality["threshold"], quality["comparisonOperator"]) == (
        "Minimum", 0.8, "LessThanThreshold")


def test_lower_is_better_quality_metric_alarms_above_the_threshold(pulumi_run: Any) -> None:
    from infra.aws.model_monitoring import QualityAlarmSettings

    run, _ = run_monitoring(pulumi_run, quality=QualityAlarmSettings("QualityRMSE", 12.5, higher_is_better=False))
    quality = alarms(run)["quality"]
    assert quality["metricName"] == "QualityRMSE"
    assert (quality["statistic"], quality["threshold"], quality["comparisonOperator"]) == (
        "Maximum", 12.5, "GreaterThanThreshold")


def test_log_group_has_retention_and_the_key(pulumi_run: Any) -> None:
    run, _ = run_monitoring(pulumi_run, log_retention_days=30)
    group = run.one(t.CW_LOG_GROUP).inputs
    assert group["name"] == "/aws/sagemaker/Endpoints/churn-score-prod"
    assert group["retentionInDays"] == 30
    assert group["kmsKeyId"] == "arn:aws:kms:eu-west-1:123456789012:key/k"


def test_serverless_has_no_instance_alarms_and_dev_no_missing_invocations(pulumi_run: Any) -> None:
    run, _ = run_monitoring(pulumi_run, mode="serverless", missing_invocations_alarm=False)
    assert set(alarms(run)) == {"latency-p99", "5xx-errors", "4xx-errors", "drift", "quality"}
    widgets = json.loads(run.one(t.CW_DASHBOARD).inputs["dashboardBody"])["widgets"]
    assert "Utilisation (%)" not in [w["properties"]["title"] for w in widgets]


def test_batch_has_only_drift_and_quality(pulumi_run: Any) -> None:
    run, monitoring = run_monitoring(pulumi_run, endpoint_name=None, mode="batch")
    assert set(alarms(run)) == {"drift", "quality"}
    assert not run.of_type(t.CW_LOG_GROUP)
    assert monitoring.rollback_alarm_names == []


def test_no_drift_or_quality_alarm_when_not_configured(pulumi_run: Any) -> None:
    run, _ = run_monitoring(pulumi_run, drift_alert_threshold=None, quality=None)
    assert not {"drift", "quality"} & set(alarms(run))


def test_dashboard_charts_the_endpoint_and_drift(pulumi_run: Any) -> None:
    run, _ = run_monitoring(pulumi_run)
    dashboard = run.one(t.CW_DASHBOARD).inputs
    assert dashboard["dashboardName"] == "churn-score-prod"
    widgets = json.loads(dashboard["dashboardBody"])["widgets"]
    rows = [row for w in widgets for row in w["properties"]["metrics"]]
    assert ["AWS/SageMaker", "ModelLatency", "EndpointName", "churn-score-prod", "VariantName", "primary"] in rows
    assert [metrics.CLOUDWATCH_NAMESPACE, metrics.DRIFT_SCORE_MAX, metrics.DIMENSION_MODEL, "churn-score",
            metrics.DIMENSION_ENVIRONMENT, "prod"] in rows
    assert all(w["properties"]["region"] == "eu-west-1" for w in widgets)
