# mypy: disable-error-code="call-overload"
# (pulumi_kubernetes types each field as a TypedDict; manifests built as plain dicts cannot match them.)
"""Network policies of a model's namespace: deny everything, then allow exactly what the model needs.

- `default-deny`: every pod of the namespace, ingress and egress, no rule (K8S-NETPOL, CKV2_K8S_6).
- `allow-server`: the ingress controller and the spec's invokers reach the server's HTTP port;
  Prometheus reaches its metrics port; nothing else reaches the server.
- `allow-egress`: DNS to the cluster's resolver and HTTPS to the artifact store for every model pod
  (the init container fetches the artifact); the jobs may also push to the Prometheus Pushgateway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every namespace


@dataclass(frozen=True)
class Invoker:
    namespace: str
    pod_labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelNetworkPolicyArgs:
    namespace: str
    server_selector: dict[str, str]
    job_selector: dict[str, str]
    http_port: int
    metrics_port: int
    ingress_namespace: str
    prometheus_namespace: str
    invokers: list[Invoker] = field(default_factory=list)
    # Extra sources of the HTTP port, e.g. a cloud load balancer that targets pod IPs.
    server_ingress_cidrs: list[str] = field(default_factory=list)
    # Where the artifact store lives; 0.0.0.0/0 when it is a public cloud object store with no fixed range.
    artifact_store_cidrs: list[str] = field(default_factory=lambda: ["0.0.0.0/0"])
    artifact_store_port: int = 443
    dns_namespace: str = "kube-system"
    dns_pod_labels: dict[str, str] = field(default_factory=lambda: {"k8s-app": "kube-dns"})
    pushgateway_port: int = 9091
    labels: dict[str, str] = field(default_factory=dict)


def _namespace_peer(namespace: str, pod_labels: dict[str, str] | None = None) -> dict[str, Any]:
    peer: dict[str, Any] = {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}}
    if pod_labels:
        peer["podSelector"] = {"matchLabels": dict(pod_labels)}
    return peer


def server_ingress_rules(args: ModelNetworkPolicyArgs) -> list[dict[str, Any]]:
    callers = [_namespace_peer(args.ingress_namespace)]
    callers += [_namespace_peer(invoker.namespace, invoker.pod_labels) for invoker in args.invokers]
    callers += [{"ipBlock": {"cidr": cidr}} for cidr in args.server_ingress_cidrs]
    return [
        {"from": callers, "ports": [{"protocol": "TCP", "port": args.http_port}]},
        {"from": [_namespace_peer(args.prometheus_namespace)],
         "ports": [{"protocol": "TCP", "port": args.metrics_port}]},
    ]


def egress_rules(args: ModelNetworkPolicyArgs, pushgateway: bool) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {"to": [_namespace_peer(args.dns_namespace, args.dns_pod_labels)],
         "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
        {"to": [{"ipBlock": {"cidr": cidr}} for cidr in args.artifact_store_cidrs],
         "ports": [{"protocol": "TCP", "port": args.artifact_store_port}]},
    ]
    if pushgateway:
        rules.append({"to": [_namespace_peer(args.prometheus_namespace)],
                      "ports": [{"protocol": "TCP", "port": args.pushgateway_port}]})
    return rules


class ModelNetworkPolicy(pulumi.ComponentResource):
    default_deny: k8s.networking.v1.NetworkPolicy

    def __init__(self, name: str, args: ModelNetworkPolicyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:k8s:ModelNetworkPolicy", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def metadata(policy_name: str) -> dict[str, Any]:
            return {"name": policy_name, "namespace": args.namespace, "labels": args.labels}

        self.default_deny = k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata=metadata("default-deny"),
            spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            opts=child,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow-server",
            metadata=metadata("allow-server"),
            spec={"podSelector": {"matchLabels": dict(args.server_selector)}, "policyTypes": ["Ingress"],
                  "ingress": server_ingress_rules(args)},
            opts=child,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow-server-egress",
            metadata=metadata("allow-server-egress"),
            spec={"podSelector": {"matchLabels": dict(args.server_selector)}, "policyTypes": ["Egress"],
                  "egress": egress_rules(args, pushgateway=False)},
            opts=child,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow-job-egress",
            metadata=metadata("allow-job-egress"),
            spec={"podSelector": {"matchLabels": dict(args.job_selector)}, "policyTypes": ["Egress"],
                  "egress": egress_rules(args, pushgateway=True)},
            opts=child,
        )
        self.register_outputs({})
