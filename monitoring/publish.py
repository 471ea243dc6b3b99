"""Publish drift and quality results where the stacks alarm on them: CloudWatch and Prometheus.

Names, namespace and dimensions come from `contracts.metrics`, the module the AWS alarms and the
Kubernetes PrometheusRule read too. Only a complete result is published: callers publish after the
whole input has been read and checked, never from a partial run.
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


def drift_metric_data(result: DriftResult, target: MetricTarget) -> list[dict[str, Any]]:
    """CloudWatch datums: the alarmed aggregates per model, plus the score per feature."""
    data: list[dict[str, Any]] = [
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
    target: MetricTarget, drift: DriftResult | None = None, quality: QualityResult | None = None
) -> Any:
    """A fresh registry holding the gauges the PrometheusRule alerts on."""
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()
    labels = {"model": target.model, "environment": target.environment}
    if drift is not None:
        score = Gauge(
            metrics.PROM_DRIFT_SCORE,
            "Per-feature drift score of the configured method",
            ["model", "environment", "feature", "method"],
            registry=registry,
        )
        missing = Gauge(
            metrics.PROM_MISSING_RATE,
            "Per-feature missing-value rate of the current data",
            ["model", "environment", "feature"],
            registry=registry,
        )
        drifted = Gauge(
            metrics.PROM_DRIFTED_FEATURES,
            "Features over the drift alert threshold",
            ["model", "environment"],
            registry=registry,
        )
        last_run = Gauge(
            metrics.PROM_DRIFT_LAST_RUN,
            "Unix time of the last complete drift check",
            ["model", "environment"],
            registry=registry,
        )
        for feature in drift.features:
            score.labels(**labels, feature=feature.feature, method=drift.method).set(feature.score)
            missing.labels(**labels, feature=feature.feature).set(feature.missing_rate_current)
        drifted.labels(**labels).set(len(drift.drifted_features))
        last_run.labels(**labels).set(time.time())
    if quality is not None:
        gauge = Gauge(
            metrics.PROM_QUALITY,
            "Model quality on delayed labels",
            ["model", "environment", "metric"],
            registry=registry,
        )
        for name, value in quality.metrics.items():
            if value is not None:
                gauge.labels(**labels, metric=name).set(value)
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


def push_gateway(registry: Any, url: str, target: MetricTarget, job: str = "slipstack-monitoring") -> None:
    from prometheus_client import push_to_gateway

    try:
        push_to_gateway(
            url, job=job, registry=registry, grouping_key={"model": target.model, "environment": target.environment}
        )
    except OSError as error:
        raise MonitoringError(f"cannot push metrics to the Pushgateway at {url}: {error}") from None
