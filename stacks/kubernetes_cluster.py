"""The Kubernetes provider a stack deploys through: an existing cluster's context, or the stack's EKS cluster."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from stacks.context import StackContext


def kubernetes_provider(context: StackContext) -> k8s.Provider:
    settings = context.config.kubernetes
    if settings.cluster == "eks":
        from stacks.eks_cluster import stack_eks

        eks = stack_eks(context)
        # Nothing may be applied before the nodes exist to run it.
        return k8s.Provider(
            "kubernetes", kubeconfig=eks.cluster.kubeconfig, enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(depends_on=[eks.cluster.node_group]),
        )
    # Every object names its namespace explicitly, so the provider's default namespace never matters.
    return k8s.Provider("kubernetes", context=settings.context, enable_server_side_apply=True)
