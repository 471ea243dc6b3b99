"""NetworkPolicy reachability per shipped stack: the flows the pods need are allowed, and the others are not.

The planned NetworkPolicies are evaluated with Kubernetes' semantics (a pod selected by no policy of a direction
is open in it; otherwise a connection needs one rule of one selecting policy that matches the peer and port)
for the flows each stack needs, derived from its stack settings and specs: the ingress controller (or, on EKS,
the ALB's subnets) to the serving port, invokers to the serving port, Prometheus to metrics, DNS, the artifact
store, the Pushgateway. Alertmanager (SMTP relay, SMS gateway) runs in the monitoring namespace, outside the
model namespaces these policies govern, so its egress is the cluster's concern.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from deployment_spec import load_spec
from model_packaging import serving_contract as contract
from slipstack.plan.runner import find_project, read_stack_config
from stacks.config import stack_config_from_values
from stacks.kubernetes_model import pushgateway_url
from tests.conftest import REPO_ROOT

NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Peer:
    namespace: str | None = None  # a pod's namespace; None for an address outside the cluster
    pod_labels: dict[str, str] = field(default_factory=dict)
    ip: str | None = None

    def namespace_labels(self) -> dict[str, str]:
        return {NAME_LABEL: self.namespace} if self.namespace else {}


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert not selector.get("matchExpressions"), "matchExpressions are not modelled here"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _peer_matches(entry: dict[str, Any], peer: Peer, policy_namespace: str) -> bool:
    if "ipBlock" in entry:
        if peer.ip is None:
            return False  # pod IPs are not in the ipBlocks the stacks write (external ranges)
        address = ipaddress.ip_address(peer.ip)
        block = entry["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(e) for e in block.get("except", []))
    if peer.namespace is None:
        return False
    if "namespaceSelector" in entry:
        if not _selects(entry["namespaceSelector"], peer.namespace_labels()):
            return False
    elif peer.namespace != policy_namespace:
        return False
    return _selects(entry.get("podSelector", {}), peer.pod_labels)


def _port_matches(ports: list[dict[str, Any]] | None, port: int, protocol: str) -> bool:
    return not ports or any(p.get("protocol", "TCP") == protocol and p.get("port") in (None, port) for p in ports)


def allowed(policies: list[dict[str, Any]], namespace: str, pod: dict[str, str], direction: str, peer: Peer,
            port: int, protocol: str = "TCP") -> bool:
    kind = "Ingress" if direction == "ingress" else "Egress"
    selecting = [p for p in policies if p["metadata"]["namespace"] == namespace
                 and kind in p["spec"].get("policyTypes", ["Ingress"]) and _selects(p["spec"]["podSelector"], pod)]
    if not selecting:
        return True
    side = "from" if direction == "ingress" else "to"
    return any(
        (not rule.get(side) or any(_peer_matches(e, peer, namespace) for e in rule[side]))
        and _port_matches(rule.get("ports"), port, protocol)
        for policy in selecting for rule in policy["spec"].get(direction, [])
    )


def _template_labels(workload: dict[str, Any]) -> dict[str, str]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["metadata"]["labels"]


def _store_peer(endpoint: str | None, cidrs: list[str]) -> tuple[Peer, int]:
    if endpoint:
        host, port = urlsplit(endpoint).hostname or "", urlsplit(endpoint).port or 443
        if ".svc" in host:
            return Peer(namespace=host.split(".")[1], pod_labels={"app": "store"}), port
    network = ipaddress.ip_network(cidrs[0])
    return Peer(ip=str(next(network.hosts()) if network.num_addresses > 1 else network.network_address)), (
        urlsplit(endpoint).port or 443 if endpoint else 443)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_pods_reach_what_they_need_and_nothing_else(
    stack: str, shipped_plan: Callable[[str], dict[str, Any]]
) -> None:
    plan = shipped_plan(stack)
    config = stack_config_from_values(stack, read_stack_config(find_project(REPO_ROOT), stack))
    settings = config.kubernetes
    on_eks = settings.cluster == "eks"
    manifests = [r["inputs"] for r in plan["resources"] if r["type"].startswith("kubernetes:")]
    policies = [m for m in manifests if m.get("kind") == "NetworkPolicy"]
    pushgateway = urlsplit(pushgateway_url(settings))
    pushgateway_peer = Peer(namespace=(pushgateway.hostname or "").split(".")[1], pod_labels={"app": "pushgateway"})
    dns = Peer(namespace="kube-system", pod_labels={"k8s-app": "kube-dns"})
    stranger = Peer(namespace="default", pod_labels={"app": "anything"})
    internet = Peer(ip="203.0.113.7")
    checked = 0
    for spec_file in config.specs:
        resolved = load_spec(REPO_ROOT / spec_file).for_environment(config.environment)
        if "onprem" not in resolved.spec.targets:
            continue
        namespace = f"{resolved.name}-{config.environment}"
        workloads = [m for m in manifests if m.get("kind") in ("Deployment", "CronJob")
                     and m["metadata"]["namespace"] == namespace]
        server = next(_template_labels(w) for w in workloads if w["kind"] == "Deployment")
        jobs = [_template_labels(w) for w in workloads if w["kind"] == "CronJob"]
        uses_aws_bucket = on_eks and "aws" in resolved.spec.targets
        store, store_port = _store_peer(None if uses_aws_bucket else settings.artifact_store_endpoint,
                                        ["0.0.0.0/0"] if uses_aws_bucket else settings.artifact_store_cidrs)

        def can(pod: dict[str, str], direction: str, peer: Peer, port: int, protocol: str = "TCP",
                namespace: str = namespace) -> bool:
            return allowed(policies, namespace, pod, direction, peer, port, protocol)

        # --- needed
        front = ([Peer(ip=str(ipaddress.ip_network(c).network_address + 10))
                  for c in settings.eks.load_balancer_subnet_cidrs] if on_eks
                 else [Peer(namespace=settings.ingress_namespace, pod_labels={"app": "controller"})])
        invokers = [Peer(namespace=i.kubernetes_namespace, pod_labels=dict(i.kubernetes_pod_labels))
                    for i in resolved.spec.security.invokers if i.kubernetes_namespace]
        for caller in [*front, *invokers]:
            assert can(server, "ingress", caller, contract.HTTP_PORT), (namespace, caller)
        prometheus = Peer(namespace=settings.prometheus_namespace, pod_labels={"app": "prometheus"})
        assert can(server, "ingress", prometheus, contract.METRICS_PORT)
        for pod in [server, *jobs]:
            assert can(pod, "egress", dns, 53, "UDP") and can(pod, "egress", dns, 53, "TCP")
            assert can(pod, "egress", store, store_port), (namespace, pod, store)
        for job in jobs:
            assert can(job, "egress", pushgateway_peer, pushgateway.port or 9091)
        tls = resolved.spec.security.tls
        solver = {"acme.cert-manager.io/http01-solver": "true"}
        if not on_eks and tls is not None and tls.secret_name is None:  # cert-manager issues by HTTP-01
            assert can(solver, "ingress", front[0], 8089), (namespace, "cert-manager's solver is unreachable")
        assert not can(solver, "ingress", stranger, 8089)
        # --- and nothing else
        assert not can(server, "ingress", stranger, contract.HTTP_PORT)
        assert not can(server, "ingress", prometheus, contract.HTTP_PORT)
        assert not can(server, "ingress", front[0], contract.GRPC_PORT)
        assert not can(server, "ingress", front[0], contract.METRICS_PORT)
        if on_eks:  # no in-cluster ingress controller fronts the pods on EKS
            assert not can(server, "ingress", Peer(namespace=settings.ingress_namespace), contract.HTTP_PORT)
        assert not can(server, "egress", pushgateway_peer, pushgateway.port or 9091)
        assert not can(server, "egress", stranger, 443)
        assert not can(server, "egress", Peer(namespace="default", pod_labels={"k8s-app": "kube-dns"}), 53, "UDP")
        for pod in [server, *jobs]:
            assert not can(pod, "egress", internet, 22)
            if "0.0.0.0/0" not in (["0.0.0.0/0"] if uses_aws_bucket else settings.artifact_store_cidrs):
                assert not can(pod, "egress", internet, 443), (namespace, "egress to any address on 443")
        for job in jobs:
            for port in (contract.HTTP_PORT, contract.METRICS_PORT, 22):
                assert not can(job, "ingress", stranger, port) and not can(job, "ingress", prometheus, port)
        checked += 1
    assert checked, f"stack {stack} has no on-prem model"
