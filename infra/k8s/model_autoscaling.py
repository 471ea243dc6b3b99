# mypy: disable-error-code="call-overload"
# (pulumi_kubernetes types each field as a TypedDict; manifests built as plain dicts cannot match them.)
"""Scaling and availability of one server Deployment: a HorizontalPodAutoscaler (CPU and, when set, a
per-pod request rate) and a PodDisruptionBudget that keeps a pod up while still letting nodes drain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

# Served to the HPA by prometheus-adapter from the PrometheusRule's recording rule of the same name.
REQUEST_RATE_METRIC = "slipstack_inference_requests_per_second"


@dataclass(frozen=True)
class ModelAutoscalingArgs:
    name: str
    namespace: str
    deployment_name: str
    selector: dict[str, str]
    min_replicas: int
    max_replicas: int
    target_cpu_percent: int | None = 70
    target_requests_per_second: float | None = None
    scale_in_cooldown_seconds: int = 300
    scale_out_cooldown_seconds: int = 60
    # False: fixed replicas (no HPA), only the PDB.
    autoscale: bool = True
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.min_replicas <= self.max_replicas:
            raise ValueError(f"{self.name}: replicas need 1 <= min ({self.min_replicas}) <= max ({self.max_replicas})")
        if self.autoscale and self.target_cpu_percent is None and self.target_requests_per_second is None:
            raise ValueError(f"{self.name}: an autoscaler needs a CPU or a request-rate target")


def hpa_metrics(args: ModelAutoscalingArgs) -> list[dict[str, Any]]:
    metrics: list[dict[str, Any]] = []
    if args.target_cpu_percent is not None:
        metrics.append({"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": args.target_cpu_percent}}})
    if args.target_requests_per_second is not None:
        # A quantity string: "12.5" is exact where a float could be rendered as 12.499999.
        metrics.append({"type": "Pods", "pods": {
            "metric": {"name": REQUEST_RATE_METRIC},
            "target": {"type": "AverageValue", "averageValue": f"{args.target_requests_per_second:g}"}}})
    return metrics


def disruption_budget(min_replicas: int) -> dict[str, Any]:
    # With two or more pods, keep one up during a drain. With one, minAvailable 1 would block every
    # drain forever, so allow that single pod to move (only dev runs one; prod is refused below 2).
    return {"minAvailable": 1} if min_replicas >= 2 else {"maxUnavailable": 1}


class ModelAutoscaling(pulumi.ComponentResource):
    hpa: k8s.autoscaling.v2.HorizontalPodAutoscaler | None
    pdb: k8s.policy.v1.PodDisruptionBudget

    def __init__(self, name: str, args: ModelAutoscalingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:k8s:ModelAutoscaling", name, None, opts)
        metadata = {"name": args.name, "namespace": args.namespace, "labels": args.labels}
        self.hpa = None
        if args.autoscale:
            self.hpa = k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{name}-hpa",
                metadata=metadata,
                spec={
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": args.deployment_name},
                    "minReplicas": args.min_replicas,
                    "maxReplicas": args.max_replicas,
                    "metrics": hpa_metrics(args),
                    "behavior": {
                        "scaleDown": {"stabilizationWindowSeconds": args.scale_in_cooldown_seconds},
                        "scaleUp": {"stabilizationWindowSeconds": args.scale_out_cooldown_seconds},
                    },
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.pdb = k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=metadata,
            spec={"selector": {"matchLabels": dict(args.selector)}, **disruption_budget(args.min_replicas),
                  # Unhealthy pods never protect themselves: a crash-looping pod must not block a drain.
                  "unhealthyPodEvictionPolicy": "AlwaysAllow"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
