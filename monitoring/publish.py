"""Publish drift and quality results where the stacks alarm on them: CloudWatch and Prometheus.

Names, namespace and dimensions come from `contracts.metrics`, the module the AWS alarms and the
Kubernetes PrometheusRule read too. Only a complete result is published: callers publish after the
whole input has been read and checked, never from a partial run.

Every completed run publishes its status and its completion time, including a run that found no rows in
its window (`no_data`: no traffic) or too few to test (`insufficient_data`, from the statistics): the
staleness alert counts those as runs. Such a run publishes no verdict (no drifted-feature count, no
quality value), so no alert or alarm pages on a window the check itself could not judge; with the
Pushgateway a push replaces the group, so the previous verdict goes too.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts import metrics
from monitoring.drift import DriftResult
from monitoring.errors import MonitoringError
from monitoring.quality import CLOUDWATCH_SUFFIX, QualityResult

# put_metric_data takes at most 1000 metric data per call; stay well below.
_CLOUDWATCH_BATCH = 500


@dataclass(frozen=True)
class MetricTarget:
    """Which model and environment the published series belong to."""

    model: str
    environment: str


def _dimensions(target: MetricTarget, feature: str | None = None) -> list[dict[str, str]]:
    dimensions = [
        {"Name": metrics.DIMENSION_MODEL, "Value": target.model},
        {"Name": metrics.DIMENSION_ENVIRONMENT, "Value": target.environment},
    ]
    if feature is not None:
        dimensions.append({"Name": metrics.DIMENSION_FEATURE, "Value": feature})
    return dimensions


def has_verdict(status: str) -> bool:
    return status not in metrics.NO_VERDICT_STATUSES


def drift_no_data_metric_data(target: MetricTarget) -> list[dict[str, Any]]:
    """CloudWatch datums of a run whose window held no rows: the completed run, no verdict."""
    return [{"MetricName": metrics.DRIFT_ROWS, "Dimensions": _dimensions(target), "Value": 0.0, "Unit": "Count"}]


def drift_metric_data(result: DriftResult, target: MetricTarget) -> list[dict[str, Any]]:
    """CloudWatch datums: the alarmed aggregates per model, plus the score per feature."""
    rows = {"MetricName": metrics.DRIFT_ROWS, "Dimensions": _dimensions(target), "Value": float(result.rows),
            "Unit": "Count"}
    if not has_verdict(result.status):
        return [rows]
    data: list[dict[str, Any]] = [
        rows,
        {"MetricName": metrics.DRIFT_SCORE_MAX, "Dimensions": _dimensions(target), "Value": result.score_max},
        {
            "MetricName": metrics.DRIFTED_FEATURES,
            "Dimensions": _dimensions(target),
            "Value": float(len(result.drifted_features)),
            "Unit": "Count",
        },
        {"MetricName": metrics.MISSING_RATE_MAX, "Dimensions": _dimensions(target), "Value": result.missing_rate_max},
    ]
    for feature in result.features:
        data.append(
            {
                "MetricName": metrics.DRIFT_SCORE_MAX,
                "Dimensions": _dimensions(target, feature.feature),
                "Value": feature.score,
            }
        )
    return data


def quality_metric_data(result: QualityResult, target: MetricTarget) -> list[dict[str, Any]]:
    if not has_verdict(result.status):
        return []
    return [
        {
            "MetricName": f"{metrics.QUALITY_METRIC_PREFIX}{CLOUDWATCH_SUFFIX[name]}",
            "Dimensions": _dimensions(target),
            "Value": value,
        }
        for name, value in result.metrics.items()
        if value is not None
    ]


def publish_cloudwatch(data: list[dict[str, Any]], client: Any = None, region: str | None = None) -> int:
    """put_metric_data in the Slipstack namespace; returns the number of datums sent."""
    from botocore.exceptions import BotoCoreError, ClientError

    if client is None:
        import boto3

        client = boto3.client("cloudwatch", region_name=region)
    try:
        for start in range(0, len(data), _CLOUDWATCH_BATCH):
            client.put_metric_data(
                Namespace=metrics.CLOUDWATCH_NAMESPACE, MetricData=data[start : start + _CLOUDWATCH_BATCH]
            )
    except (BotoCoreError, ClientError) as error:
        raise MonitoringError(f"CloudWatch put_metric_data in {metrics.CLOUDWATCH_NAMESPACE} failed: {error}") from None
    return len(data)


def prometheus_registry(
    target: MetricTarget,
    drift: DriftResult | None = None,
    quality: QualityResult | None = None,
    no_data: str | None = None,
) -> Any:
    """A fresh registry holding the gauges the PrometheusRule alerts on.

    `no_data` ("drift" or "quality"): the run of that check found no rows in its window; only its
    status and completion time are published.
    """
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()
    labels = {metrics.LABEL_MODEL: target.model, metrics.LABEL_ENVIRONMENT: target.environment}
    label_names = [metrics.LABEL_MODEL, metrics.LABEL_ENVIRONMENT]
    now = time.time()

    def run_gauges(status_name: str, last_run_name: str, what: str, status: str) -> None:
        state = Gauge(status_name, f"Status of the last complete {what} (1 for the status it ended with)",
                      [*label_names, metrics.LABEL_STATUS], registry=registry)
        for each in metrics.STATUSES:
            state.labels(**labels, status=each).set(1 if each == status else 0)
        Gauge(last_run_name, f"Unix time of the last complete {what}", label_names,
              registry=registry).labels(**labels).set(now)

    if no_data == "drift":
        run_gauges(metrics.PROM_DRIFT_STATUS, metrics.PROM_DRIFT_LAST_RUN, "drift check", metrics.STATUS_NO_DATA)
        Gauge(metrics.PROM_DRIFT_ROWS, "Rows the last drift check read", label_names,
              registry=registry).labels(**labels).set(0)
    if no_data == "quality":
        run_gauges(metrics.PROM_QUALITY_STATUS, metrics.PROM_QUALITY_LAST_RUN, "quality check",
                   metrics.STATUS_NO_DATA)
    if drift is not None and not has_verdict(drift.status):
        run_gauges(metrics.PROM_DRIFT_STATUS, metrics.PROM_DRIFT_LAST_RUN, "drift check", drift.status)
        Gauge(metrics.PROM_DRIFT_ROWS, "Rows the last drift check read", label_names,
              registry=registry).labels(**labels).set(drift.rows)
    elif drift is not None:
        score = Gauge(
            metrics.PROM_DRIFT_SCORE,
            "Per-feature drift score of the configured method",
            [*label_names, metrics.LABEL_FEATURE, metrics.LABEL_METHOD],
            registry=registry,
        )
        missing = Gauge(
            metrics.PROM_MISSING_RATE,
            "Per-feature missing-value rate of the current data",
            [*label_names, metrics.LABEL_FEATURE],
            registry=registry,
        )
        drifted = Gauge(
            metrics.PROM_DRIFTED_FEATURES, "Features over the drift alert threshold", label_names, registry=registry
        )
        for feature in drift.features:
            score.labels(**labels, feature=feature.feature, method=drift.method).set(feature.score)
            missing.labels(**labels, feature=feature.feature).set(feature.missing_rate_current)
        drifted.labels(**labels).set(len(drift.drifted_features))
        run_gauges(metrics.PROM_DRIFT_STATUS, metrics.PROM_DRIFT_LAST_RUN, "drift check", drift.status)
        Gauge(metrics.PROM_DRIFT_ROWS, "Rows the last drift check read", label_names,
              registry=registry).labels(**labels).set(drift.rows)
    if quality is not None:
        gauge = Gauge(
            metrics.PROM_QUALITY,
            "Model quality on delayed labels",
            [*label_names, metrics.LABEL_METRIC],
            registry=registry,
        )
        if has_verdict(quality.status):
            for name, value in quality.metrics.items():
                if value is not None:
                    gauge.labels(**labels, metric=name).set(value)
        run_gauges(metrics.PROM_QUALITY_STATUS, metrics.PROM_QUALITY_LAST_RUN, "quality check", quality.status)
    return registry


def write_textfile(registry: Any, path: Path) -> None:
    """Write the exposition for node-exporter's textfile collector atomically (temp file, rename)."""
    from prometheus_client import generate_latest

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(generate_latest(registry))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def push_gateway(registry: Any, url: str, target: MetricTarget, check: str = "drift") -> None:
    """PUT the registry to the Pushgateway: it replaces the group of this model, environment and check.

    Drift and quality push to separate groups (`check` in the grouping key), so a quality run does not
    delete the drift gauges, and a drift run without a verdict removes the previous verdict.
    """
    from prometheus_client import push_to_gateway

    try:
        push_to_gateway(
            url, job=metrics.PUSHGATEWAY_JOB, registry=registry,
            grouping_key={metrics.LABEL_MODEL: target.model, metrics.LABEL_ENVIRONMENT: target.environment,
                          "check": check},
        )
    except OSError as error:
        raise MonitoringError(f"cannot push metrics to the Pushgateway at {url}: {error}") from None
