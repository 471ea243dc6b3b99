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
PROM_CACHE_CORRUPT = "slipstack_prediction_cache_corrupt_entries_total"  # entries dropped by the integrity check
PROM_CACHE_HIT_RATE = "slipstack_prediction_cache_hit_rate"  # hits / (hits + misses) since the server started
PROM_CACHE_ENTRIES = "slipstack_prediction_cache_entries"  # entries held now (bounded by max_entries)
# Request capture on Kubernetes (the serving runtime writes the files the drift job reads).
PROM_CAPTURE_RECORDS = "slipstack_capture_records_total"  # records written to the capture destination
PROM_CAPTURE_FAILURES = "slipstack_capture_failures_total"  # failed capture writes (the predictions still answered)
PROM_CAPTURE_DROPPED = "slipstack_capture_dropped_records_total"  # records dropped (buffer full or write failed)
