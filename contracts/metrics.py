"""Metric names published by the monitoring jobs and alarmed on by the AWS and Kubernetes stacks."""

from __future__ import annotations

# CloudWatch: the drift and quality jobs call put_metric_data in this namespace with these
# dimensions; the AWS stack's alarms use exactly the same namespace, names and dimensions.
CLOUDWATCH_NAMESPACE = "Slipstack/ModelMonitoring"
DIMENSION_MODEL = "Model"
DIMENSION_ENVIRONMENT = "Environment"
DIMENSION_FEATURE = "Feature"

DRIFT_SCORE_MAX = "DriftScoreMax"  # the largest per-feature score of the configured method
DRIFTED_FEATURES = "DriftedFeatures"  # count of features over the alert threshold
MISSING_RATE_MAX = "MissingRateMax"
QUALITY_METRIC_PREFIX = "Quality"  # QualityAccuracy, QualityF1, QualityRMSE, ...

# Prometheus: the drift job exposes (or pushes) these gauges; the PrometheusRule alerts on them.
PROM_DRIFT_SCORE = "slipstack_drift_score"  # labels: model, environment, feature, method
PROM_DRIFTED_FEATURES = "slipstack_drifted_features"  # labels: model, environment
PROM_MISSING_RATE = "slipstack_missing_rate"  # labels: model, environment, feature
PROM_QUALITY = "slipstack_model_quality"  # labels: model, environment, metric
PROM_DRIFT_LAST_RUN = "slipstack_drift_last_run_timestamp_seconds"

# The serving path's prediction cache (issue: caching) exports these next to MLServer's metrics.
PROM_CACHE_HITS = "slipstack_prediction_cache_hits_total"
PROM_CACHE_MISSES = "slipstack_prediction_cache_misses_total"
