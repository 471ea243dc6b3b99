"""ClusterMonitoring: what a cluster the stack creates needs before any model's monitoring objects exist.

Creates, through the given Kubernetes provider, in `namespace` (created by Helm):
- the `kube-prometheus-stack` Helm release at a pinned chart version: the Prometheus Operator with its CRDs
  (ServiceMonitor, PrometheusRule, AlertmanagerConfig, ...), Prometheus and Alertmanager, configured to select
  the models' ServiceMonitors and PrometheusRules by `rule_labels` and their AlertmanagerConfigs by
  `alertmanager_config_labels`, in every namespace;
- the `prometheus-pushgateway` Helm release at a pinned chart version (the drift jobs push to it), scraped
  by that Prometheus through the chart's ServiceMonitor with `honorLabels` (the pushed model labels win);
- the `metrics-server` Helm release (kube-system) at a pinned chart version: the resource metrics API the
  models' HorizontalPodAutoscalers read; EKS does not install it.

Objects of the operator's kinds must depend on `crd_dependencies` so `pulumi up` never sends a
ServiceMonitor before its CRD exists ("no matches for kind").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

CHART_REPOSITORY = "https://prometheus-community.github.io/helm-charts"
PROMETHEUS_STACK_CHART = "kube-prometheus-stack"
PROMETHEUS_STACK_VERSION = "67.8.0"  # operator v0.79.2
PUSHGATEWAY_CHART = "prometheus-pushgateway"
PUSHGATEWAY_VERSION = "3.2.0"  # pushgateway v1.11.1
PUSHGATEWAY_PORT = 9091
METRICS_SERVER_REPOSITORY = "https://kubernetes-sigs.github.io/metrics-server/"
METRICS_SERVER_CHART = "metrics-server"
METRICS_SERVER_VERSION = "3.12.2"  # metrics-server v0.7.2; 3.8.x carried v0.6.1 (2022)


@dataclass(frozen=True)
class ClusterMonitoringArgs:
    provider: k8s.Provider
    namespace: str = "monitoring"
    rule_labels: dict[str, str] = field(default_factory=lambda: {"release": "kube-prometheus-stack"})
    alertmanager_config_labels: dict[str, str] = field(default_factory=lambda: {"release": "kube-prometheus-stack"})
    # The Service name the drift jobs push to: <pushgateway_name>.<namespace>.svc.cluster.local:9091.
    pushgateway_name: str = "prometheus-pushgateway"
    prometheus_stack_version: str = PROMETHEUS_STACK_VERSION
    pushgateway_version: str = PUSHGATEWAY_VERSION
    # Releases that must exist first (the load balancer controller's webhook would otherwise see Services first).
    depends_on: list[pulumi.Resource] = field(default_factory=list)


def prometheus_stack_values(args: ClusterMonitoringArgs) -> dict[str, Any]:
    everywhere: dict[str, Any] = {}  # an empty namespace selector: every namespace
    return {
        "crds": {"enabled": True},
        "grafana": {"enabled": False},
        "prometheus": {"prometheusSpec": {
            "serviceMonitorSelector": {"matchLabels": dict(args.rule_labels)},
            "serviceMonitorNamespaceSelector": everywhere,
            "ruleSelector": {"matchLabels": dict(args.rule_labels)},
            "ruleNamespaceSelector": everywhere,
            # The chart's default selects only its own release label; the models' objects carry rule_labels.
            "serviceMonitorSelectorNilUsesHelmValues": False,
            "ruleSelectorNilUsesHelmValues": False,
        }},
        "alertmanager": {"alertmanagerSpec": {
            "alertmanagerConfigSelector": {"matchLabels": dict(args.alertmanager_config_labels)},
            "alertmanagerConfigNamespaceSelector": everywhere,
            # A model's route only sees its own namespace's alerts.
            "alertmanagerConfigMatcherStrategy": {"type": "OnNamespace"},
        }},
    }


def pushgateway_values(args: ClusterMonitoringArgs) -> dict[str, Any]:
    return {
        "fullnameOverride": args.pushgateway_name,
        "service": {"port": PUSHGATEWAY_PORT},
        "serviceMonitor": {"enabled": True, "honorLabels": True, "additionalLabels": dict(args.rule_labels)},
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "fsGroup": 65534},
        "containerSecurityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                     "capabilities": {"drop": ["ALL"]}},
    }


class ClusterMonitoring(pulumi.ComponentResource):
    prometheus_stack: k8s.helm.v3.Release
    pushgateway: k8s.helm.v3.Release

    def __init__(self, name: str, args: ClusterMonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:k8s:ClusterMonitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.depends_on))
        self.prometheus_stack = k8s.helm.v3.Release(
            f"{name}-prometheus-stack",
            name=PROMETHEUS_STACK_CHART,
            chart=PROMETHEUS_STACK_CHART,
            version=args.prometheus_stack_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            namespace=args.namespace,
            create_namespace=True,
            values=prometheus_stack_values(args),
            atomic=True,
            opts=child,
        )
        self.pushgateway = k8s.helm.v3.Release(
            f"{name}-pushgateway",
            name=PUSHGATEWAY_CHART,
            chart=PUSHGATEWAY_CHART,
            version=args.pushgateway_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            namespace=args.namespace,
            values=pushgateway_values(args),
            atomic=True,
            # Its ServiceMonitor is an operator kind.
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[self.prometheus_stack]),
        )
        self.metrics_server = k8s.helm.v3.Release(
            f"{name}-metrics-server",
            name=METRICS_SERVER_CHART,
            chart=METRICS_SERVER_CHART,
            version=METRICS_SERVER_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=METRICS_SERVER_REPOSITORY),
            namespace="kube-system",
            atomic=True,
            opts=child,
        )
        self.crd_dependencies: list[pulumi.Resource] = [self.prometheus_stack]
        self.register_outputs({"pushgateway_url": f"http://{args.pushgateway_name}.{args.namespace}.svc.cluster.local"
                                                  f":{PUSHGATEWAY_PORT}"})
