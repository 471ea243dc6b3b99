"""Reusable Pulumi components: `infra.aws` for SageMaker and its surroundings, `infra.k8s` for Kubernetes.

Components take typed Args and never read YAML, Pulumi config or the deployment spec, so a stack
written by someone else can reuse them.
"""
