"""A namespace per model and environment, enforcing the Pod Security `restricted` profile."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

PSA_LEVEL = "restricted"


@dataclass(frozen=True)
class ModelNamespaceArgs:
    name: str
    labels: dict[str, str] = field(default_factory=dict)


class ModelNamespace(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
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
        self.name = self.namespace.metadata.apply(lambda metadata: metadata.name)
        self.register_outputs({"name": self.name})
