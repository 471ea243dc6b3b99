# mypy: disable-error-code="call-overload"
# (pulumi_kubernetes types each field as a TypedDict; manifests built as plain dicts cannot match them.)
"""The model's Ingress: TLS on every host, the certificate from cert-manager or a named secret, and,
while a candidate is being tried, a weighted canary Ingress in front of the candidate's Service.

The canary uses ingress-nginx's canary annotations (`canary: "true"`, `canary-weight`): the
controller sends that share of requests for the same host to the canary Service. Promotion and
rollback are spec changes (the flow is in the docstring of stacks/kubernetes_model.py).
No `*-snippet` annotation is ever set: snippets run arbitrary controller configuration
(CVE-2021-25742).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

NGINX_CANARY = "nginx.ingress.kubernetes.io/canary"
NGINX_CANARY_WEIGHT = "nginx.ingress.kubernetes.io/canary-weight"
NGINX_PROXY_BODY_SIZE = "nginx.ingress.kubernetes.io/proxy-body-size"


def nginx_body_size(max_bytes: int) -> str:
    """ingress-nginx's size notation ('m' is MiB) for the largest body that fits in `max_bytes`."""
    if max_bytes % 2**20 == 0:
        return f"{max_bytes // 2**20}m"
    return f"{max_bytes // 2**10}k" if max_bytes % 2**10 == 0 else str(max_bytes)


@dataclass(frozen=True)
class CanaryRoute:
    service_name: str
    weight_percent: int


@dataclass(frozen=True)
class ModelIngressArgs:
    name: str
    namespace: str
    host: str
    service_name: str
    service_port_name: str
    ingress_class_name: str
    # Exactly one: an existing TLS secret, or a cert-manager ClusterIssuer that issues one.
    tls_secret_name: str | None = None
    cert_manager_issuer: str | None = None
    canary: CanaryRoute | None = None
    # The server's request body limit: the controller refuses larger bodies (413) before they reach a
    # pod, instead of nginx's own 1m default cutting off valid requests below the server's limit.
    max_request_body_bytes: int | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.tls_secret_name is None) == (self.cert_manager_issuer is None):
            raise ValueError(f"Ingress {self.name}: name exactly one of tls_secret_name or cert_manager_issuer")
        if self.canary is not None and not 0 <= self.canary.weight_percent <= 100:
            raise ValueError(f"Ingress {self.name}: canary weight {self.canary.weight_percent} is not 0-100")


class ModelIngress(pulumi.ComponentResource):
    ingress: k8s.networking.v1.Ingress
    canary_ingress: k8s.networking.v1.Ingress | None
    certificate: k8s.apiextensions.CustomResource | None
    tls_secret_name: str

    def __init__(self, name: str, args: ModelIngressArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:k8s:ModelIngress", name, None, opts)
        self.tls_secret_name = args.tls_secret_name or f"{args.name}-tls"
        self.certificate = None
        depends: list[pulumi.Resource] = []
        if args.cert_manager_issuer:
            self.certificate = k8s.apiextensions.CustomResource(
                f"{name}-certificate",
                api_version="cert-manager.io/v1",
                kind="Certificate",
                metadata={"name": args.name, "namespace": args.namespace, "labels": args.labels},
                spec={
                    "secretName": self.tls_secret_name,
                    "dnsNames": [args.host],
                    "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer",
                                  "name": args.cert_manager_issuer},
                    "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
            depends.append(self.certificate)
        nginx = args.ingress_class_name == "nginx"
        # Plain HTTP is redirected, never served; HSTS is the controller default once TLS is on.
        base_annotations = {"nginx.ingress.kubernetes.io/force-ssl-redirect": "true"} if nginx else {}
        if nginx and args.max_request_body_bytes:
            base_annotations[NGINX_PROXY_BODY_SIZE] = nginx_body_size(args.max_request_body_bytes)

        def ingress_spec(service_name: str) -> dict[str, Any]:
            return {
                "ingressClassName": args.ingress_class_name,
                "tls": [{"hosts": [args.host], "secretName": self.tls_secret_name}],
                "rules": [{
                    "host": args.host,
                    "http": {"paths": [{
                        "path": "/",
                        "pathType": "Prefix",
                        "backend": {"service": {"name": service_name, "port": {"name": args.service_port_name}}},
                    }]},
                }],
            }

        self.ingress = k8s.networking.v1.Ingress(
            f"{name}-ingress",
            metadata={"name": args.name, "namespace": args.namespace, "labels": args.labels,
                      "annotations": base_annotations},
            spec=ingress_spec(args.service_name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        self.canary_ingress = None
        if args.canary is not None:
            if not nginx:
                raise ValueError(
                    f"Ingress {args.name}: weighted canary routing needs the nginx ingress class "
                    f"(got '{args.ingress_class_name}')"
                )
            self.canary_ingress = k8s.networking.v1.Ingress(
                f"{name}-canary-ingress",
                metadata={
                    "name": f"{args.name}-canary",
                    "namespace": args.namespace,
                    "labels": args.labels,
                    "annotations": {
                        **base_annotations,
                        NGINX_CANARY: "true",
                        NGINX_CANARY_WEIGHT: str(args.canary.weight_percent),
                    },
                },
                spec=ingress_spec(args.canary.service_name),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.ingress]),
            )
        self.register_outputs({"host": args.host, "tls_secret_name": self.tls_secret_name})
