"""The EKS cluster the staging stack creates has everything its own objects need, installed in order."""

from __future__ import annotations

import json
from typing import Any

from infra.k8s.cluster_monitoring import (
    METRICS_SERVER_VERSION,
    PROMETHEUS_STACK_VERSION,
    PUSHGATEWAY_PORT,
    PUSHGATEWAY_VERSION,
)
from model_packaging import serving_contract
from stacks.config import KubernetesStackSettings

OPERATOR_KINDS = ("ServiceMonitor", "PrometheusRule", "AlertmanagerConfig")


def _by_type(plan: dict[str, Any], type_token: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == type_token]


def test_the_stack_installs_pinned_charts_for_every_crd_it_uses(shipped_plan: Any) -> None:
    plan = shipped_plan("staging")
    releases = {r["inputs"]["chart"]: r for r in _by_type(plan, "kubernetes:helm.sh/v3:Release")}
    assert releases["kube-prometheus-stack"]["inputs"]["version"] == PROMETHEUS_STACK_VERSION
    assert releases["prometheus-pushgateway"]["inputs"]["version"] == PUSHGATEWAY_VERSION
    assert releases["aws-load-balancer-controller"]["inputs"]["version"]
    # The HorizontalPodAutoscalers read the resource metrics API, which EKS does not serve by itself.
    assert releases["metrics-server"]["inputs"]["version"] == METRICS_SERVER_VERSION
    values = releases["kube-prometheus-stack"]["inputs"]["values"]
    settings = KubernetesStackSettings()
    assert values["crds"]["enabled"] is True
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["ruleSelector"]["matchLabels"] == settings.prometheus_rule_labels
    assert spec["serviceMonitorSelector"]["matchLabels"] == settings.prometheus_rule_labels
    # The drift jobs push to the Service the chart creates, under the name the stack's command line uses.
    pushgateway = releases["prometheus-pushgateway"]["inputs"]
    url = f"http://{pushgateway['values']['fullnameOverride']}.{pushgateway['namespace']}.svc.cluster.local"
    cron = next(r["inputs"] for r in _by_type(plan, "kubernetes:batch/v1:CronJob"))
    command = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[command.index("--pushgateway") + 1] == f"{url}:{PUSHGATEWAY_PORT}"


def test_operator_objects_wait_for_the_operator_release(shipped_plan: Any) -> None:
    plan = shipped_plan("staging")
    providers = {r["urn"]: r for r in _by_type(plan, "pulumi:providers:kubernetes")}
    release = next(r["urn"] for r in _by_type(plan, "kubernetes:helm.sh/v3:Release")
                   if r["inputs"]["chart"] == "kube-prometheus-stack")
    objects = [r for r in plan["resources"] if r["type"].startswith("kubernetes:")
               and r["inputs"].get("kind") in OPERATOR_KINDS]
    assert {o["inputs"]["kind"] for o in objects} == set(OPERATOR_KINDS)
    for item in objects:
        # A provider reference is "<urn>" or "<urn>::<id>"; URNs themselves contain "::".
        provider = next(p for urn, p in providers.items()
                        if item["provider"] == urn or item["provider"].startswith(urn + "::"))
        assert release in provider["dependencies"], item["name"]


def test_eks_serves_through_the_alb_only_and_enforces_network_policy(shipped_plan: Any) -> None:
    plan = shipped_plan("staging")
    kinds = {r["inputs"].get("kind") for r in plan["resources"] if r["type"].startswith("kubernetes:")}
    # No nginx Ingress without a controller, no Certificate without cert-manager: ACM on the ALB instead.
    assert "Ingress" not in kinds and "Certificate" not in kinds
    assert "TargetGroupBinding" in kinds
    addon = next(r["inputs"] for r in _by_type(plan, "aws:eks/addon:Addon"))
    assert addon["addonName"] == "vpc-cni"
    assert json.loads(addon["configurationValues"]) == {"enableNetworkPolicy": "true"}
    allow = next(r["inputs"] for r in _by_type(plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
                 if r["inputs"]["metadata"]["name"].endswith("allow-server"))
    from slipstack.plan.runner import find_project, read_stack_config
    from stacks.config import stack_config_from_values  # the staging stack's own CIDRs
    from tests.conftest import REPO_ROOT

    config = stack_config_from_values("staging", read_stack_config(find_project(REPO_ROOT), "staging"))
    cidrs = set(config.kubernetes.eks.load_balancer_subnet_cidrs)
    admitted = {
        block["ipBlock"]["cidr"]
        for rule in allow["spec"]["ingress"]
        if {"port": serving_contract.HTTP_PORT, "protocol": "TCP"} in rule.get("ports", [])
        for block in rule.get("from", []) if "ipBlock" in block
    }
    assert cidrs and cidrs <= admitted


def test_the_vpc_cni_version_is_explicit_from_eks_or_the_setting(shipped_plan: Any) -> None:
    import pytest

    from slipstack.plan.engine import PlausibleOutputs
    from stacks.config import EksSettings

    plan = shipped_plan("staging")
    addon = next(r["inputs"] for r in _by_type(plan, "aws:eks/addon:Addon"))
    # No version in the staging settings: the one EKS reports as default for the cluster's version (the invoke).
    answered = PlausibleOutputs().call(_Call("aws:eks/getAddonVersion:getAddonVersion", {
        "addonName": "vpc-cni", "kubernetesVersion": EksSettings().kubernetes_version, "mostRecent": False}))
    assert addon["addonVersion"] == answered["version"]
    assert EksSettings(vpc_cni_version="v1.19.2-eksbuild.1").vpc_cni_version == "v1.19.2-eksbuild.1"
    with pytest.raises(ValueError, match="no network policy agent"):
        EksSettings(vpc_cni_version="v1.13.4-eksbuild.1")


class _Call:
    def __init__(self, token: str, args: dict[str, Any]):
        self.token, self.args = token, args
