"""Namespace, access, autoscaling and monitoring components under the recording mock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from contracts import metrics
from contracts import type_tokens as t
from infra.k8s.model_access import ModelAccess, ModelAccessArgs
from infra.k8s.model_autoscaling import REQUEST_RATE_METRIC, ModelAutoscaling, ModelAutoscalingArgs
from infra.k8s.model_monitoring import DriftAlerting, ModelMonitoring, ModelMonitoringArgs, QualityAlerting
from infra.k8s.model_namespace import ModelNamespace, ModelNamespaceArgs, NamespaceQuota

SELECTOR = {"app.kubernetes.io/name": "m", "slipstack.dev/track": "stable"}


def scaling(min_replicas: int, max_replicas: int, **changes: Any) -> ModelAutoscalingArgs:
    return ModelAutoscalingArgs(name="m", namespace="m-prod", deployment_name="m", selector=SELECTOR,
                                min_replicas=min_replicas, max_replicas=max_replicas, **changes)


def test_hpa_bounds_metrics_and_pdb(pulumi_run: Callable[..., Any]) -> None:
    run = pulumi_run(lambda: ModelAutoscaling("m-scaling", scaling(2, 6, target_requests_per_second=12.5)) and None)
    hpa = run.one(t.K8S_HPA).inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "m"}
    assert hpa["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
    assert hpa["metrics"][1]["pods"] == {"metric": {"name": REQUEST_RATE_METRIC},
                                         "target": {"type": "AverageValue", "averageValue": "12.5"}}
    pdb = run.one(t.K8S_PDB).inputs["spec"]
    assert pdb["minAvailable"] == 1 and pdb["selector"] == {"matchLabels": SELECTOR}


def test_single_replica_pdb_still_allows_drains(pulumi_run: Callable[..., Any]) -> None:
    run = pulumi_run(lambda: ModelAutoscaling("m-scaling", scaling(1, 1, autoscale=False)) and None)
    assert t.K8S_HPA not in run.types()
    assert run.one(t.K8S_PDB).inputs["spec"]["maxUnavailable"] == 1


def test_scaling_bounds_are_checked() -> None:
    with pytest.raises(ValueError, match="min"):
        scaling(3, 2)
    with pytest.raises(ValueError, match="target"):
        scaling(1, 2, target_cpu_percent=None)


def test_namespace_enforces_restricted_with_quota_and_limits(pulumi_run: Callable[..., Any]) -> None:
    quota = NamespaceQuota(pods=9, requests_cpu="4500m", requests_memory="9216Mi", limits_memory="9216Mi")
    run = pulumi_run(lambda: ModelNamespace("m-ns", ModelNamespaceArgs(name="m-prod", quota=quota)) and None)
    labels = run.one(t.K8S_NAMESPACE).inputs["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
    hard = run.one(t.K8S_RESOURCE_QUOTA).inputs["spec"]["hard"]
    assert hard["pods"] == "9" and hard["services.loadbalancers"] == "0" and hard["services.nodeports"] == "0"
    assert run.one(t.K8S_LIMIT_RANGE).inputs["metadata"]["namespace"] == "m-prod"


def test_rbac_has_no_wildcards_and_reads_only_named_secrets(pulumi_run: Callable[..., Any]) -> None:
    args = ModelAccessArgs(namespace="m-prod", service_account_name="m", deployments=["m", "m-canary"],
                           cron_jobs=["m-drift"], autoscalers=["m"], secret_names=["m-tls"],
                           deployer_groups=["m-prod-deployers"], viewer_groups=["m-prod-viewers"])
    run = pulumi_run(lambda: ModelAccess("m-access", args) and None)
    assert run.one(t.K8S_SERVICE_ACCOUNT).inputs["automountServiceAccountToken"] is False
    roles = {r.inputs["metadata"]["name"]: r.inputs["rules"] for r in run.of_type(t.K8S_ROLE)}
    for name, rules in roles.items():
        for rule in rules:
            for key in ("apiGroups", "resources", "verbs"):
                assert "*" not in rule[key], (name, rule)
            assert not {"bind", "escalate", "impersonate", "create"} & set(rule["verbs"])
            assert "pods/exec" not in rule["resources"]
            if "secrets" in rule["resources"]:
                assert rule["resourceNames"] == ["m-tls"] and name == "model-deployer"
            if {"update", "patch"} & set(rule["verbs"]):
                assert rule["resourceNames"], rule
    bindings = {r.inputs["metadata"]["name"]: r.inputs for r in run.of_type(t.K8S_ROLE_BINDING)}
    assert bindings["model-deployer"]["subjects"][0] == {
        "apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "m-prod-deployers"}


def test_prometheus_rule_alerts_use_spec_thresholds_and_exported_metrics(pulumi_run: Callable[..., Any]) -> None:
    args = ModelMonitoringArgs(
        name="m", namespace="m-prod", model="m", environment="prod", service_selector=SELECTOR,
        metrics_port_name="metrics", metrics_path="/metrics", latency_p99_ms=250, error_rate_percent=1.5,
        prometheus_labels={"release": "kube-prometheus-stack"}, routing_labels={"team": "diag"},
        drift=DriftAlerting("psi", 0.1, 0.2, 10800, "m-drift"),
        quality=QualityAlerting("roc_auc", 0.95, True, "m-quality"), request_rate_rule=True,
    )
    run = pulumi_run(lambda: ModelMonitoring("m-monitoring", args) and None)
    monitor = run.one("kubernetes:monitoring.coreos.com/v1:ServiceMonitor").inputs
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    groups = run.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule").inputs["spec"]["groups"]
    alerts = {rule["alert"]: rule for rule in groups[1]["rules"]}
    assert alerts["ModelLatencyP99High"]["expr"].endswith("> 0.25")
    assert alerts["ModelErrorRateHigh"]["expr"].endswith("> 1.5")
    assert "kube_pod_container_status_restarts_total" in alerts["ModelPodRestarts"]["expr"]
    assert metrics.PROM_DRIFTED_FEATURES in alerts["ModelDriftDetected"]["expr"]
    assert alerts["ModelDriftScoreWarning"]["expr"].endswith("> 0.1")
    assert metrics.PROM_DRIFT_SCORE in alerts["ModelDriftScoreWarning"]["expr"]
    assert metrics.PROM_DRIFT_LAST_RUN in alerts["ModelDriftCheckStale"]["expr"]
    assert alerts["ModelQualityDegraded"]["expr"].endswith("< 0.95")
    for rule in alerts.values():
        assert rule["labels"]["team"] == "diag" and rule["labels"]["model"] == "m"
        assert rule["labels"]["severity"] in ("warning", "critical")
    assert groups[0]["rules"][0]["record"] == REQUEST_RATE_METRIC
    assert f'path=~"{metrics.SERVER_INFERENCE_PATH_REGEX}"' in groups[0]["rules"][0]["expr"]  # predictions only
    # Nothing reads the request rate unless the HPA scales on it: no rule then.
    from infra.k8s.model_monitoring import rule_groups

    names = [rule.get("record") for group in rule_groups(replace(args, request_rate_rule=False))
             for rule in group["rules"]]
    assert REQUEST_RATE_METRIC not in names
