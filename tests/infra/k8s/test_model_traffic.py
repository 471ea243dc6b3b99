"""Service, Ingress and NetworkPolicy components: TLS on every host, weighted canary, default deny plus
exactly the allow rules the model needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contracts import type_tokens as t
from infra.k8s.model_ingress import CanaryRoute, ModelIngress, ModelIngressArgs
from infra.k8s.model_network_policy import Invoker, ModelNetworkPolicy, ModelNetworkPolicyArgs, egress_target
from infra.k8s.model_service import ModelService, ModelServiceArgs

SERVER = {"app.kubernetes.io/component": "server"}
JOB = {"app.kubernetes.io/component": "job"}


def ingress_args(**changes: Any) -> ModelIngressArgs:
    values: dict[str, Any] = dict(name="m", namespace="m-prod", host="m.example.com", service_name="m",
                                  service_port_name="http", ingress_class_name="nginx",
                                  cert_manager_issuer="letsencrypt")
    values.update(changes)
    return ModelIngressArgs(**values)


def test_ingress_covers_its_host_with_a_cert_manager_certificate(pulumi_run: Callable[..., Any]) -> None:
    run = pulumi_run(lambda: ModelIngress("m-ingress", ingress_args()) and None)
    ingress = run.one(t.K8S_INGRESS).inputs
    assert ingress["spec"]["tls"] == [{"hosts": ["m.example.com"], "secretName": "m-tls"}]
    assert {rule["host"] for rule in ingress["spec"]["rules"]} == {"m.example.com"}
    assert not [key for key in ingress["metadata"].get("annotations", {}) if key.endswith("-snippet")]
    certificate = run.one("kubernetes:cert-manager.io/v1:Certificate").inputs
    assert certificate["spec"]["secretName"] == "m-tls"
    assert certificate["spec"]["dnsNames"] == ["m.example.com"]
    assert certificate["spec"]["issuerRef"]["name"] == "letsencrypt"


def test_named_secret_needs_no_certificate(pulumi_run: Callable[..., Any]) -> None:
    run = pulumi_run(lambda: ModelIngress("m-ingress", ingress_args(cert_manager_issuer=None,
                                                                     tls_secret_name="m-cert")) and None)
    assert run.one(t.K8S_INGRESS).inputs["spec"]["tls"][0]["secretName"] == "m-cert"
    assert "kubernetes:cert-manager.io/v1:Certificate" not in run.types()
    with pytest.raises(ValueError, match="exactly one"):
        ingress_args(cert_manager_issuer="a", tls_secret_name="b")


@pytest.mark.parametrize("weight", [1, 10, 50])
def test_canary_ingress_carries_the_spec_weight(pulumi_run: Callable[..., Any], weight: int) -> None:
    run = pulumi_run(lambda: ModelIngress("m-ingress", ingress_args(canary=CanaryRoute("m-canary", weight))) and None)
    ingresses = {r.inputs["metadata"]["name"]: r.inputs for r in run.of_type(t.K8S_INGRESS)}
    canary = ingresses["m-canary"]
    assert canary["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary"] == "true"
    assert canary["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"] == str(weight)
    assert canary["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "m-canary"
    assert canary["spec"]["tls"] == ingresses["m"]["spec"]["tls"]
    assert "nginx.ingress.kubernetes.io/canary" not in ingresses["m"]["metadata"]["annotations"]


def test_canary_refuses_an_ingress_class_that_cannot_weight(pulumi_run: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match="nginx ingress class"):
        pulumi_run(lambda: ModelIngress("m-ingress", ingress_args(ingress_class_name="alb",
                                                                  canary=CanaryRoute("m-canary", 10))) and None)


def test_service_is_cluster_ip_and_exposure_needs_a_reason(pulumi_run: Callable[..., Any]) -> None:
    args = ModelServiceArgs(name="m", namespace="m-prod", selector=SERVER, http_port=8080, metrics_port=8082)
    run = pulumi_run(lambda: ModelService("m-svc", args) and None)
    service = run.one(t.K8S_SERVICE).inputs
    assert service["spec"]["type"] == "ClusterIP"
    assert [(p["name"], p["port"]) for p in service["spec"]["ports"]] == [("http", 8080), ("metrics", 8082)]
    with pytest.raises(ValueError, match="exposure_reason"):
        pulumi_run(lambda: ModelService("m-svc", ModelServiceArgs(
            name="m", namespace="n", selector=SERVER, http_port=8080, metrics_port=8082,
            service_type="LoadBalancer")) and None)
    reasoned = ModelServiceArgs(name="m", namespace="n", selector=SERVER, http_port=8080, metrics_port=8082,
                                service_type="NodePort", exposure_reason="bare-metal cluster without an LB")
    run = pulumi_run(lambda: ModelService("m-svc", reasoned) and None)
    annotations = run.one(t.K8S_SERVICE).inputs["metadata"]["annotations"]
    assert annotations == {"exempt.slipstack.dev/k8s-svc-exposure": "bare-metal cluster without an LB"}


def test_network_policies_deny_by_default_and_allow_only_the_needed_paths(pulumi_run: Callable[..., Any]) -> None:
    args = ModelNetworkPolicyArgs(
        namespace="m-prod", server_selector=SERVER, job_selector=JOB, http_port=8080, metrics_port=8082,
        ingress_namespace="ingress-nginx", prometheus_namespace="monitoring",
        invokers=[Invoker("clinical-apps", {"app": "care-planner"})],
    )
    run = pulumi_run(lambda: ModelNetworkPolicy("m-netpol", args) and None)
    policies = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in run.of_type(t.K8S_NETWORK_POLICY)}
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    http, metrics = policies["allow-server"]["ingress"]
    names = [peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for peer in http["from"]]
    assert names == ["ingress-nginx", "clinical-apps"]
    assert http["from"][1]["podSelector"] == {"matchLabels": {"app": "care-planner"}}
    assert http["ports"] == [{"protocol": "TCP", "port": 8080}]
    assert metrics["ports"] == [{"protocol": "TCP", "port": 8082}]
    assert metrics["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] == "monitoring"
    server_egress = policies["allow-server-egress"]["egress"]
    assert [rule["ports"] for rule in server_egress] == [
        [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}], [{"protocol": "TCP", "port": 443}]]
    job_egress = policies["allow-job-egress"]["egress"]
    assert job_egress[-1]["ports"] == [{"protocol": "TCP", "port": 9091}]  # the Pushgateway, jobs only
    assert policies["allow-job-egress"]["podSelector"] == {"matchLabels": JOB}


def test_ingress_refuses_what_the_server_would_refuse(pulumi_run: Callable[..., Any]) -> None:
    from model_packaging.serving_contract import MAX_REQUEST_BODY_BYTES

    run = pulumi_run(lambda: ModelIngress("m-ingress", ingress_args(
        max_request_body_bytes=MAX_REQUEST_BODY_BYTES, canary=CanaryRoute("m-canary", 10))) and None)
    for ingress in run.of_type(t.K8S_INGRESS):
        assert ingress.inputs["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == "8m"


def policy_args(**changes: Any) -> ModelNetworkPolicyArgs:
    values: dict[str, Any] = dict(namespace="m-prod", server_selector=SERVER, job_selector=JOB, http_port=8080,
                                  metrics_port=8082, ingress_namespace="ingress-nginx",
                                  prometheus_namespace="monitoring")
    values.update(changes)
    return ModelNetworkPolicyArgs(**values)


@pytest.mark.parametrize(("host", "peer"), [
    ("dask-scheduler.analytics.svc.cluster.local",
     {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "analytics"}}}),
    ("10.40.1.7", {"ipBlock": {"cidr": "10.40.1.7/32"}}),
])
def test_only_drift_pods_reach_the_dask_scheduler(pulumi_run: Callable[..., Any], host: str,
                                                   peer: dict[str, Any]) -> None:
    drift_pods = {**JOB, "slipstack.dev/job": "drift"}
    args = policy_args(drift_job_selector=drift_pods, dask_scheduler=egress_target(host, 8786))
    run = pulumi_run(lambda: ModelNetworkPolicy("m-netpol", args) and None)
    policies = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in run.of_type(t.K8S_NETWORK_POLICY)}
    dask = policies["allow-drift-dask-egress"]
    assert dask["podSelector"] == {"matchLabels": drift_pods}
    assert dask["egress"] == [{"to": [peer], "ports": [{"protocol": "TCP", "port": 8786}]}]
    # The batch job (and the server) get no path to the scheduler.
    assert all(8786 not in [p["port"] for rule in policies[name]["egress"] for p in rule["ports"]]
               for name in ("allow-job-egress", "allow-server-egress"))
    without = pulumi_run(lambda: ModelNetworkPolicy("m-netpol", policy_args()) and None)
    assert "allow-drift-dask-egress" not in {r.inputs["metadata"]["name"] for r in without.of_type(
        t.K8S_NETWORK_POLICY)}


def test_an_outside_host_name_needs_address_ranges() -> None:
    with pytest.raises(ValueError, match="cannot allow a host name"):
        egress_target("dask.example.com", 8786)
    assert egress_target("dask.example.com", 8786, ["10.1.0.0/24"]).cidrs == ("10.1.0.0/24",)


def test_in_cluster_artifact_store_and_pushgateway_narrow_egress(pulumi_run: Callable[..., Any]) -> None:
    args = policy_args(artifact_store_namespace="minio", artifact_store_port=9000, pushgateway_namespace="metrics",
                       pushgateway_port=9092)
    run = pulumi_run(lambda: ModelNetworkPolicy("m-netpol", args) and None)
    policies = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in run.of_type(t.K8S_NETWORK_POLICY)}
    _dns, store, push = policies["allow-job-egress"]["egress"]
    assert store == {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "minio"}}}],
                     "ports": [{"protocol": "TCP", "port": 9000}]}
    assert push["to"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] == "metrics"
    assert push["ports"] == [{"protocol": "TCP", "port": 9092}]
