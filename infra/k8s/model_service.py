# mypy: disable-error-code="call-overload"
# (pulumi_kubernetes types each field as a TypedDict; manifests built as plain dicts cannot match them.)
"""The model's Service: ClusterIP by default, in front of one track (stable or canary) of the server.

Port `http` carries the Open Inference Protocol; the ingress (and, on EKS, the cloud stack's load
balancer) binds to it by name. Port `metrics` is what the ServiceMonitor scrapes. A LoadBalancer or
NodePort type is only accepted with a reason, which travels on the Service as the policy pack's
exemption annotation, so a reviewer sees why the model is reachable from outside the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from contracts.tags import K8S_EXEMPTION_ANNOTATION_PREFIX

SVC_EXPOSURE_RULE = "K8S-SVC-EXPOSURE"


@dataclass(frozen=True)
class ModelServiceArgs:
    name: str
    namespace: str
    selector: dict[str, str]
    http_port: int
    metrics_port: int
    labels: dict[str, str] = field(default_factory=dict)
    service_type: Literal["ClusterIP", "LoadBalancer", "NodePort"] = "ClusterIP"
    exposure_reason: str | None = None


class ModelService(pulumi.ComponentResource):
    service: k8s.core.v1.Service
    url: pulumi.Output[str]

    def __init__(self, name: str, args: ModelServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:k8s:ModelService", name, None, opts)
        annotations: dict[str, str] = {}
        if args.service_type != "ClusterIP":
            if not args.exposure_reason:
                raise ValueError(
                    f"Service {args.name}: type {args.service_type} exposes the model outside the cluster and "
                    "needs an exposure_reason"
                )
            annotations[K8S_EXEMPTION_ANNOTATION_PREFIX + SVC_EXPOSURE_RULE.lower()] = args.exposure_reason
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata={"name": args.name, "namespace": args.namespace, "labels": args.labels,
                      "annotations": annotations},
            spec={
                "type": args.service_type,
                "selector": dict(args.selector),
                "ports": [
                    {"name": "http", "port": args.http_port, "targetPort": "http", "protocol": "TCP"},
                    {"name": "metrics", "port": args.metrics_port, "targetPort": "metrics", "protocol": "TCP"},
                ],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.url = pulumi.Output.from_input(
            f"http://{args.name}.{args.namespace}.svc.cluster.local:{args.http_port}"
        )
        self.register_outputs({"url": self.url})
