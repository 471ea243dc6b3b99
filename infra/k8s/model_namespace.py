# mypy: disable-error-code="call-overload"
# (pulumi_kubernetes types each field as a TypedDict; manifests built as plain dicts cannot match them.)
"""A namespace per model and environment, enforcing the Pod Security `restricted` profile, with a
ResourceQuota and a LimitRange so one model cannot starve its neighbours or expose itself by accident."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

PSA_LEVEL = "restricted"


@dataclass(frozen=True)
class NamespaceQuota:
    """Totals over every pod of the namespace (server, canary, rolling-update surge and jobs)."""

    pods: int
    requests_cpu: str
    requests_memory: str
    limits_memory: str
    # A Service of type LoadBalancer/NodePort is an explicit, reasoned opt-in in the spec; the quota
    # makes the cluster refuse one that was not opted in, whatever created it.
    load_balancers: int = 0
    node_ports: int = 0


@dataclass(frozen=True)
class ContainerLimits:
    """LimitRange: defaults for a container that declares nothing, and the largest one allowed."""

    default_cpu_request: str = "100m"
    default_memory: str = "256Mi"
    max_memory: str = "8Gi"


@dataclass(frozen=True)
class ModelNamespaceArgs:
    name: str
    quota: NamespaceQuota
    labels: dict[str, str] = field(default_factory=dict)
    limits: ContainerLimits = field(default_factory=ContainerLimits)


class ModelNamespace(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    quota: k8s.core.v1.ResourceQuota
    limit_range: k8s.core.v1.LimitRange
    name: pulumi.Output[str]

    def __init__(self, name: str, args: ModelNamespaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:k8s:ModelNamespace", name, None, opts)
        # Admission enforces the profile, and audit/warn report it, so a weakened pod is refused at the door.
        psa = {f"pod-security.kubernetes.io/{mode}": PSA_LEVEL for mode in ("enforce", "audit", "warn")}
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": args.name, "labels": {**args.labels, **psa}},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = self.namespace.metadata.apply(lambda metadata: metadata["name"])
        child = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])
        quota = args.quota
        self.quota = k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata={"name": "model-quota", "namespace": args.name, "labels": args.labels},
            spec={
                "hard": {
                    "pods": str(quota.pods),
                    "requests.cpu": quota.requests_cpu,
                    "requests.memory": quota.requests_memory,
                    "limits.memory": quota.limits_memory,
                    "services.loadbalancers": str(quota.load_balancers),
                    "services.nodeports": str(quota.node_ports),
                }
            },
            opts=child,
        )
        limits = args.limits
        self.limit_range = k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata={"name": "model-limits", "namespace": args.name, "labels": args.labels},
            spec={
                "limits": [
                    {
                        "type": "Container",
                        # A container without requests would be unschedulable under the quota; these
                        # defaults keep it admissible but small.
                        "defaultRequest": {"cpu": limits.default_cpu_request, "memory": limits.default_memory},
                        "default": {"memory": limits.default_memory},
                        "max": {"memory": limits.max_memory},
                    }
                ]
            },
            opts=child,
        )
        self.register_outputs({"name": self.name})
