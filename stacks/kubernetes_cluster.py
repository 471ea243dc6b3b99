"""The Kubernetes provider a stack deploys through: an existing cluster's context, or the stack's EKS cluster."""

from __future__ import annotations

import pulumi_kubernetes as k8s

from stacks.context import StackContext


def kubernetes_provider(context: StackContext) -> k8s.Provider:
    settings = context.config.kubernetes
    # Every object names its namespace explicitly, so the provider's default namespace never matters.
    return k8s.Provider("kubernetes", context=settings.context, enable_server_side_apply=True)
