# mypy: disable-error-code="call-overload"
# (pulumi_kubernetes types each field as a TypedDict; manifests built as plain dicts cannot match them.)
"""Network policies of a model's namespace: deny everything, then allow exactly what the model needs.

- `default-deny`: every pod of the namespace, ingress and egress, no rule (K8S-NETPOL, CKV2_K8S_6).
- `allow-server`: the ingress controller and the spec's invokers reach the server's HTTP port;
  Prometheus reaches its metrics port; nothing else reaches the server.
- `allow-server-egress` / `allow-job-egress`: DNS to the cluster's resolver and the artifact store
  for every model pod (the init container fetches the artifact, the server writes captured requests,
  the jobs read them); the jobs may also push to the Prometheus Pushgateway.
- `allow-drift-dask-egress` (only when the drift job runs on an existing Dask cluster): the drift job's
  pods, and only those, may reach the Dask scheduler's host and port. The client talks to the
  scheduler only (results are gathered through it, never directly from the workers), so no rule to
  the workers is needed.

A destination is an in-cluster Service name (`<service>.<namespace>.svc[.cluster.local]`: the rule
selects that namespace), an IP address (a /32 or /128), or an outside host name with the address
ranges the stack configuration gives for it; a NetworkPolicy cannot name a host, so an outside name
without ranges is refused rather than opened to the world.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every namespace
_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_CLUSTER_SERVICE = re.compile(rf"^(?P<service>{_DNS_LABEL})\.(?P<namespace>{_DNS_LABEL})\.svc(\.cluster\.local)?\.?$")


@dataclass(frozen=True)
class EgressTarget:
    """One destination of egress on one TCP port: a namespace of this cluster, or address ranges."""

    port: int
    namespace: str | None = None
    cidrs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.namespace is None) == (not self.cidrs):
            raise ValueError("an egress target is either a namespace or address ranges")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is not 1-65535")

    def rule(self) -> dict[str, Any]:
        peers = ([_namespace_peer(self.namespace)] if self.namespace is not None
                 else [{"ipBlock": {"cidr": cidr}} for cidr in self.cidrs])
        return {"to": peers, "ports": [{"protocol": "TCP", "port": self.port}]}


def egress_target(host: str, port: int, outside_cidrs: list[str] | tuple[str, ...] = ()) -> EgressTarget:
    """Where `host:port` is, as a NetworkPolicy can express it (see the module docstring).

    Raises ValueError for an outside host name without address ranges: a policy cannot match a name.
    """
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        return EgressTarget(port=port, cidrs=(f"{address}/{address.max_prefixlen}",))
    match = _CLUSTER_SERVICE.match(host)
    if match:
        return EgressTarget(port=port, namespace=match["namespace"])
    if outside_cidrs:
        return EgressTarget(port=port, cidrs=tuple(outside_cidrs))
    raise ValueError(
        f"'{host}' is neither an in-cluster Service name (<service>.<namespace>.svc) nor an IP address, and no "
        "address ranges are configured for it: a NetworkPolicy cannot allow a host name"
    )


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
    # The in-cluster ingress controller's namespace; None where no controller fronts the pods (EKS: the ALB's
    # subnets come in as server_ingress_cidrs instead).
    ingress_namespace: str | None
    prometheus_namespace: str
    invokers: list[Invoker] = field(default_factory=list)
    # Extra sources of the HTTP port, e.g. a cloud load balancer that targets pod IPs.
    server_ingress_cidrs: list[str] = field(default_factory=list)
    # Where the artifact store lives; 0.0.0.0/0 when it is a public cloud object store with no fixed range.
    artifact_store_cidrs: list[str] = field(default_factory=lambda: ["0.0.0.0/0"])
    artifact_store_port: int = 443
    # An in-cluster S3-compatible store (MinIO): replaces the address ranges above.
    artifact_store_namespace: str | None = None
    # The namespace of the Pushgateway the jobs push to; default: prometheus_namespace.
    pushgateway_namespace: str | None = None
    # Drift job pods (a subset of job_selector's) and the Dask scheduler they may reach.
    drift_job_selector: dict[str, str] = field(default_factory=dict)
    dask_scheduler: EgressTarget | None = None
    dns_namespace: str = "kube-system"
    dns_pod_labels: dict[str, str] = field(default_factory=lambda: {"k8s-app": "kube-dns"})
    pushgateway_port: int = 9091
    # cert-manager issues the model's certificate by HTTP-01 here: its solver pod in this namespace must be
    # reachable from the ingress controller, which the default-deny would otherwise refuse.
    acme_http01_solver: bool = False
    labels: dict[str, str] = field(default_factory=dict)


# cert-manager labels its HTTP-01 solver pods so, and they listen on this port.
ACME_SOLVER_LABELS = {"acme.cert-manager.io/http01-solver": "true"}
ACME_SOLVER_PORT = 8089


def _namespace_peer(namespace: str, pod_labels: dict[str, str] | None = None) -> dict[str, Any]:
    peer: dict[str, Any] = {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}}
    if pod_labels:
        peer["podSelector"] = {"matchLabels": dict(pod_labels)}
    return peer


def server_ingress_rules(args: ModelNetworkPolicyArgs) -> list[dict[str, Any]]:
    callers = [_namespace_peer(args.ingress_namespace)] if args.ingress_namespace else []
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
        EgressTarget(port=args.artifact_store_port, namespace=args.artifact_store_namespace).rule()
        if args.artifact_store_namespace else
        EgressTarget(port=args.artifact_store_port, cidrs=tuple(args.artifact_store_cidrs)).rule(),
    ]
    if pushgateway:
        rules.append(EgressTarget(port=args.pushgateway_port,
                                  namespace=args.pushgateway_namespace or args.prometheus_namespace).rule())
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
        if args.acme_http01_solver and args.ingress_namespace:
            k8s.networking.v1.NetworkPolicy(
                f"{name}-allow-acme-solver",
                metadata=metadata("allow-acme-solver"),
                spec={"podSelector": {"matchLabels": dict(ACME_SOLVER_LABELS)}, "policyTypes": ["Ingress"],
                      "ingress": [{"from": [_namespace_peer(args.ingress_namespace)],
                                   "ports": [{"protocol": "TCP", "port": ACME_SOLVER_PORT}]}]},
                opts=child,
            )
        if args.dask_scheduler is not None:
            if not args.drift_job_selector:
                raise ValueError(f"{args.namespace}: a Dask scheduler egress rule needs drift_job_selector")
            k8s.networking.v1.NetworkPolicy(
                f"{name}-allow-drift-dask-egress",
                metadata=metadata("allow-drift-dask-egress"),
                spec={"podSelector": {"matchLabels": dict(args.drift_job_selector)}, "policyTypes": ["Egress"],
                      "egress": [args.dask_scheduler.rule()]},
                opts=child,
            )
        self.register_outputs({})
