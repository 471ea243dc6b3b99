# mypy: disable-error-code="call-overload"
# (pulumi_kubernetes types each field as a TypedDict; manifests built as plain dicts cannot match them.)
"""Observability of one model: a ServiceMonitor for the server's metrics and a PrometheusRule with its
alerts (p99 latency, error rate, pod restarts, init containers failing, endpoint down, drift, drift check
stale, quality) and, when the HPA scales on requests, the request-rate recording rule it reads (only the
inference routes count: health checks and metadata calls are not load). Both are Prometheus Operator
custom resources.

Alerts on what our jobs publish exist only with the job: the stack passes `drift` / `quality` exactly
when it creates the drift / quality CronJob, naming the CronJob (`cron_job`). The jobs publish every
completed run (`monitoring.publish`): its status and time, and a verdict only when the window could be
judged. So:
- drift pages on the job's own verdict, the count of drifted features (> 0), whatever the method;
- a run over a quiet window ("no_data") or too small a window ("insufficient_data") publishes no
  verdict, so nothing pages on it, and still counts as a run for the staleness alert;
- staleness counts from the last completed run, or, before the first one, from the CronJob's creation
  (kube-state-metrics' `kube_cronjob_created`), so a fresh deploy does not page before its first run is due.

Every alert carries the labels Alertmanager routes on (`model_alert_routing.py`): `severity`, `model`,
`environment`, the team/owner routing labels, and `namespace`. The last matters because the Prometheus
Operator confines a namespaced AlertmanagerConfig to alerts whose `namespace` label is its own, and
aggregated expressions (`sum(...)`, `absent(...)`) drop that label: without it, no alert would route.

With the prediction cache on, a recording rule keeps the cache hit ratio per namespace (from the
server's hit/miss counters, `contracts.metrics`) and the latency alert quotes it, so whoever is paged
for slow predictions sees at once whether the cache stopped answering.

Server metrics are MLServer's REST metrics (starlette_exporter, prefix `rest_server`); drift and
quality gauges are the ones the drift job pushes (`contracts.metrics`), so the names agree by import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from contracts import metrics
from infra.k8s.model_autoscaling import REQUEST_RATE_METRIC

MLSERVER_REQUESTS = metrics.SERVER_REQUESTS
MLSERVER_DURATION_BUCKET = metrics.SERVER_DURATION_BUCKET
# kube-state-metrics
RESTARTS = "kube_pod_container_status_restarts_total"
INIT_RESTARTS = "kube_pod_init_container_status_restarts_total"
INIT_WAITING = "kube_pod_init_container_status_waiting_reason"
INIT_TERMINATED = "kube_pod_init_container_status_terminated_reason"
CRON_JOB_CREATED = "kube_cronjob_created"
# Recorded over 5 minutes (the server's own gauge, metrics.PROM_CACHE_HIT_RATE, covers its whole uptime).
CACHE_HIT_RATIO = "namespace:slipstack_prediction_cache_hit_ratio:rate5m"

# Alert names: the AlertmanagerConfig's inhibit rule refers to them.
ENDPOINT_DOWN = "ModelEndpointDown"
LATENCY_HIGH = "ModelLatencyP99High"
ERROR_RATE_HIGH = "ModelErrorRateHigh"
POD_RESTARTS = "ModelPodRestarts"
INIT_FAILING = "ModelInitContainerFailing"
DRIFT_DETECTED = "ModelDriftDetected"
DRIFT_SCORE_WARNING = "ModelDriftScoreWarning"
DRIFT_CHECK_STALE = "ModelDriftCheckStale"
QUALITY_DEGRADED = "ModelQualityDegraded"
SEVERITIES = ("critical", "warning")


@dataclass(frozen=True)
class DriftAlerting:
    method: Literal["psi", "ks", "kl"]
    warn_threshold: float
    alert_threshold: float
    stale_after_seconds: int
    cron_job: str  # the CronJob that publishes the drift gauges


@dataclass(frozen=True)
class QualityAlerting:
    metric: str
    threshold: float
    higher_is_better: bool
    cron_job: str  # the CronJob that publishes the quality gauges


@dataclass(frozen=True)
class ModelMonitoringArgs:
    name: str
    namespace: str
    model: str
    environment: str
    service_selector: dict[str, str]
    metrics_port_name: str
    metrics_path: str
    latency_p99_ms: int
    error_rate_percent: float
    # Labels Prometheus selects ServiceMonitors and rules by (e.g. release: kube-prometheus-stack).
    prometheus_labels: dict[str, str]
    # Labels every alert carries, for Alertmanager routing (team, owner, model, environment).
    routing_labels: dict[str, str] = field(default_factory=dict)
    alerts_enabled: bool = True
    max_restarts_per_15m: int = 2
    # The HPA scales on REQUEST_RATE_METRIC (prometheus-adapter): record it. Without, nothing reads it.
    request_rate_rule: bool = False
    drift: DriftAlerting | None = None
    quality: QualityAlerting | None = None
    # The server runs the prediction cache: record its hit ratio and quote it on the latency alert.
    cache_enabled: bool = False
    labels: dict[str, str] = field(default_factory=dict)


def _alert(name: str, expr: str, for_: str, severity: str, summary: str, routing: dict[str, str]) -> dict[str, Any]:
    assert severity in SEVERITIES, severity  # the AlertmanagerConfig routes exactly these
    return {"alert": name, "expr": expr, "for": for_, "labels": {**routing, "severity": severity},
            "annotations": {"summary": summary}}


def cache_hit_ratio_expr(namespace: str) -> str:
    ns = f'namespace="{namespace}"'
    hits = f"sum by (namespace) (rate({metrics.PROM_CACHE_HITS}{{{ns}}}[5m]))"
    misses = f"sum by (namespace) (rate({metrics.PROM_CACHE_MISSES}{{{ns}}}[5m]))"
    # `> 0` drops the series while there are no lookups, instead of recording 0/0 as a ratio.
    return f"{hits} / ({hits} + {misses} > 0)"


def rule_groups(args: ModelMonitoringArgs) -> list[dict[str, Any]]:
    ns = f'namespace="{args.namespace}"'
    inference = f'path=~"{metrics.SERVER_INFERENCE_PATH_REGEX}"'
    job = f'{metrics.LABEL_MODEL}="{args.model}", {metrics.LABEL_ENVIRONMENT}="{args.environment}"'
    routing = {**args.routing_labels, "model": args.model, "environment": args.environment,
               "namespace": args.namespace}
    recording_rules: list[dict[str, Any]] = []
    if args.request_rate_rule:
        recording_rules.append({
            "record": REQUEST_RATE_METRIC,
            "expr": f"sum by (namespace, pod) (rate({MLSERVER_REQUESTS}{{{ns}, {inference}}}[2m]))",
        })
    if args.cache_enabled:
        recording_rules.append({"record": CACHE_HIT_RATIO, "expr": cache_hit_ratio_expr(args.namespace)})
    groups = [{"name": f"{args.model}.recording", "rules": recording_rules}] if recording_rules else []
    if not args.alerts_enabled:
        return groups
    # Latency of predictions only: health probes and metadata calls are not what the SLO is about.
    alerts = [
        _alert(ENDPOINT_DOWN,
               f'sum(up{{{ns}, service="{args.model}"}}) == 0 or absent(up{{{ns}, service="{args.model}"}})',
               "5m", "critical", f"No {args.model} server pod in {args.namespace} is being scraped", routing),
        _alert(LATENCY_HIGH,
               f"histogram_quantile(0.99, sum by (le) (rate({MLSERVER_DURATION_BUCKET}{{{ns}, {inference}}}[5m]))) "
               f"> {args.latency_p99_ms / 1000:g}",
               "5m", "warning", f"p99 latency of {args.model} is above {args.latency_p99_ms} ms", routing),
        _alert(ERROR_RATE_HIGH,
               f'100 * sum(rate({MLSERVER_REQUESTS}{{{ns}, status_code=~"5.."}}[5m])) '
               f"/ clamp_min(sum(rate({MLSERVER_REQUESTS}{{{ns}}}[5m])), 1e-9) > {args.error_rate_percent:g}",
               "5m", "critical", f"More than {args.error_rate_percent:g}% of {args.model} requests fail", routing),
        _alert(POD_RESTARTS,
               f"increase({RESTARTS}{{{ns}}}[15m]) > {args.max_restarts_per_15m}",
               "0m", "warning", f"A {args.model} container restarted repeatedly", routing),
        # The init container fetches and verifies the artifact; when it keeps failing (store unreachable,
        # digest mismatch) no server container ever starts, so the restart alert above never sees it.
        # Server pods restart it (CrashLoopBackOff); job pods (restartPolicy Never) end terminated in Error.
        _alert(INIT_FAILING,
               f'max by (pod) ({INIT_WAITING}{{{ns}, reason="CrashLoopBackOff"}}) > 0 '
               f"or max by (pod) (increase({INIT_RESTARTS}{{{ns}}}[15m])) > {args.max_restarts_per_15m} "
               f'or max by (pod) ({INIT_TERMINATED}{{{ns}, reason="Error"}}) > 0',
               "10m", "critical", f"An init container of {args.model} keeps failing (artifact fetch or verification)",
               routing),
    ]
    if args.drift is not None:
        drift = args.drift
        # The job has already judged each feature against the spec (KS p-value or PSI/KL score).
        alerts.append(_alert(DRIFT_DETECTED, f"max({metrics.PROM_DRIFTED_FEATURES}{{{job}}}) > 0", "0m",
                             "critical", f"Input drift detected for {args.model}", routing))
        if drift.method in ("psi", "kl"):
            alerts.append(_alert(
                DRIFT_SCORE_WARNING,
                f'max({metrics.PROM_DRIFT_SCORE}{{{job}, method="{drift.method}"}}) > {drift.warn_threshold:g}',
                "0m", "warning", f"{drift.method.upper()} drift of {args.model} above {drift.warn_threshold:g}",
                routing))
        # Counted from the last completed run (any status, "no_data" included), or before the first run from
        # the CronJob's creation: a fresh deploy is not stale until a few runs were due.
        last_run = f"{metrics.PROM_DRIFT_LAST_RUN}{{{job}}}"
        created = f'{CRON_JOB_CREATED}{{{ns}, cronjob="{drift.cron_job}"}}'
        alerts.append(_alert(
            DRIFT_CHECK_STALE,
            f"time() - max({last_run}) > {drift.stale_after_seconds} "
            f"or (absent({last_run}) and on() (time() - max({created})) > {drift.stale_after_seconds})",
            "30m", "warning", f"The drift check of {args.model} has not completed recently", routing))
    if args.quality is not None:
        quality = args.quality
        worse = "<" if quality.higher_is_better else ">"
        alerts.append(_alert(
            QUALITY_DEGRADED,
            f'{metrics.PROM_QUALITY}{{{job}, metric="{quality.metric}"}} {worse} {quality.threshold:g}',
            "0m", "critical", f"{quality.metric} of {args.model} is worse than {quality.threshold:g}", routing))
    if args.cache_enabled:
        # A Go template (Prometheus alert annotations): a backquoted raw string needs no escaping. `with` skips
        # an empty result, so its `else` is what a namespace without lookups shows.
        selector = f'{CACHE_HIT_RATIO}{{namespace="{args.namespace}"}}'
        latency = next(alert for alert in alerts if alert["alert"] == LATENCY_HIGH)
        latency["annotations"]["cache_hit_rate"] = (
            f"{{{{ with query `{selector}` }}}}"
            "{{ . | first | value | humanizePercentage }}{{ else }}no cache lookups{{ end }}"
        )
    return [*groups, {"name": f"{args.model}.alerts", "rules": alerts}]


def alert_names(groups: list[dict[str, Any]]) -> list[str]:
    return [rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule]


class ModelMonitoring(pulumi.ComponentResource):
    service_monitor: k8s.apiextensions.CustomResource
    rule: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ModelMonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:k8s:ModelMonitoring", name, None, opts)
        labels = {**args.labels, **args.prometheus_labels}
        self.service_monitor = k8s.apiextensions.CustomResource(
            f"{name}-service-monitor",
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata={"name": args.name, "namespace": args.namespace, "labels": labels},
            spec={
                "selector": {"matchLabels": dict(args.service_selector)},
                "namespaceSelector": {"matchNames": [args.namespace]},
                "endpoints": [{"port": args.metrics_port_name, "path": args.metrics_path, "interval": "30s",
                               "scheme": "http"}],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.rule = k8s.apiextensions.CustomResource(
            f"{name}-rule",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata={"name": args.name, "namespace": args.namespace, "labels": labels},
            spec={"groups": rule_groups(args)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
