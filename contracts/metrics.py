"""Metric names published by the monitoring jobs and alarmed on by the AWS and Kubernetes stacks."""

from __future__ import annotations

# CloudWatch: the drift and quality jobs call put_metric_data in this namespace with these
# dimensions; the AWS stack's alarms use exactly the same namespace, names and dimensions.
CLOUDWATCH_NAMESPACE = "Slipstack/ModelMonitoring"
DIMENSION_MODEL = "Model"
DIMENSION_ENVIRONMENT = "Environment"
DIMENSION_FEATURE = "Feature"

DRIFT_SCORE_MAX = "DriftScoreMax"  # the largest per-feature score of the configured method
DRIFTED_FEATURES = "DriftedFeatures"  # count of features over the alert threshold; the drift alarm's metric
DRIFT_ROWS = "DriftRows"  # rows a run checked; published by every completed run, 0 when there was no traffic
MISSING_RATE_MAX = "MissingRateMax"
QUALITY_METRIC_PREFIX = "Quality"  # QualityAccuracy, QualityF1, QualityRMSE, ...
# The job command's flag that makes a run call CloudWatch (put_metric_data). A SageMaker job whose argv
# carries it needs a network path to CloudWatch: network isolation blocks every call (SM-JOB-PUBLISH-PATH).
CLOUDWATCH_PUBLISH_FLAG = "--cloudwatch"

# Prometheus: the drift job exposes (or pushes) these gauges; the PrometheusRule alerts on them.
PROM_DRIFT_SCORE = "slipstack_drift_score"  # labels: model, environment, feature, method
PROM_DRIFTED_FEATURES = "slipstack_drifted_features"  # labels: model, environment
PROM_MISSING_RATE = "slipstack_missing_rate"  # labels: model, environment, feature
PROM_QUALITY = "slipstack_model_quality"  # labels: model, environment, metric
PROM_DRIFT_LAST_RUN = "slipstack_drift_last_run_timestamp_seconds"  # also after a run that found no rows
PROM_DRIFT_STATUS = "slipstack_drift_status"  # labels: model, environment, status; 1 for the run's status
PROM_DRIFT_ROWS = "slipstack_drift_rows"  # rows the last run checked (0: no traffic in the window)
PROM_QUALITY_LAST_RUN = "slipstack_quality_last_run_timestamp_seconds"
PROM_QUALITY_STATUS = "slipstack_model_quality_status"  # labels: model, environment, status
# Label names of the gauges above (the PrometheusRule selects on them, the publishers set them).
LABEL_MODEL = "model"
LABEL_ENVIRONMENT = "environment"
LABEL_FEATURE = "feature"
LABEL_METHOD = "method"
LABEL_METRIC = "metric"
LABEL_STATUS = "status"
# The Pushgateway job the drift and quality jobs push under (grouping key: model, environment).
PUSHGATEWAY_JOB = "slipstack-monitoring"

# A check's status. ok/warn/alert are verdicts; the other two mean the run completed without one:
# "insufficient_data" (the statistics call the window too small to test) and "no_data" (no rows at all in
# the window: no traffic). No alert or alarm pages on those two; the staleness alert counts them as runs.
STATUS_OK = "ok"
STATUS_WARN = "warn"
STATUS_ALERT = "alert"
STATUS_INSUFFICIENT_DATA = "insufficient_data"
STATUS_NO_DATA = "no_data"
STATUSES = (STATUS_OK, STATUS_WARN, STATUS_ALERT, STATUS_INSUFFICIENT_DATA, STATUS_NO_DATA)
NO_VERDICT_STATUSES = (STATUS_INSUFFICIENT_DATA, STATUS_NO_DATA)

# MLServer's REST metrics (starlette_exporter, prefix `rest_server`), which the server alerts watch.
SERVER_REQUESTS = "rest_server_requests_total"  # labels: method, path, status_code, app_name
SERVER_DURATION_BUCKET = "rest_server_request_duration_seconds_bucket"
# The inference routes of the Open Inference Protocol, as starlette_exporter labels them (route templates).
SERVER_INFERENCE_PATH_REGEX = "/v2/models/[^/]+(/versions/[^/]+)?/infer"
# The server's latency histogram buckets (seconds). The p99 alert uses `histogram_quantile`, which
# interpolates inside a bucket, so the spec's latency_p99_ms must be one of these boundaries (validated).
LATENCY_BUCKETS_SECONDS = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0,
    5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 60.0,
)
LATENCY_THRESHOLDS_MS = tuple(round(bound * 1000) for bound in LATENCY_BUCKETS_SECONDS)

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
