"""Translate one resolved spec into the Kubernetes components of its model."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from deployment_spec import ResolvedSpec
from infra.k8s.model_namespace import ModelNamespace, ModelNamespaceArgs
from stacks.context import StackContext, kubernetes_labels


def deploy_model_on_kubernetes(
    resolved: ResolvedSpec, context: StackContext, provider: k8s.Provider
) -> dict[str, Any]:
    namespace_name = f"{resolved.name}-{context.environment}"
    namespace = ModelNamespace(
        f"{resolved.name}-ns",
        ModelNamespaceArgs(name=namespace_name, labels=kubernetes_labels(resolved, context)),
        opts=pulumi.ResourceOptions(provider=provider),
    )
    return {"namespace": namespace.name}
