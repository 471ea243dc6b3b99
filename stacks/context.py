"""What every per-model translation needs to know about the stack it deploys into."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi

from contracts import tags
from deployment_spec import ResolvedSpec
from stacks.config import StackConfig


@dataclass(frozen=True)
class StackContext:
    config: StackConfig
    project_root: Path
    account_id: pulumi.Output[str]
    region: str

    @property
    def environment(self) -> str:
        return self.config.environment


def aws_tags(resolved: ResolvedSpec, context: StackContext) -> dict[str, str]:
    """The tags every AWS resource of a model carries (owner, cost centre, classification, ...)."""
    spec = resolved.spec
    return {
        **context.config.tags,
        tags.OWNER: spec.metadata.owner,
        tags.COST_CENTRE: spec.metadata.cost_centre,
        tags.DATA_CLASSIFICATION: spec.metadata.data_classification,
        tags.MODEL: spec.metadata.name,
        tags.MODEL_VERSION: spec.model.version,
        tags.ENVIRONMENT: context.environment,
        tags.MANAGED_BY: "slipstack",
    }


def kubernetes_labels(resolved: ResolvedSpec, context: StackContext) -> dict[str, str]:
    """The labels every Kubernetes object of a model carries; values are made label-safe."""
    spec = resolved.spec
    return {
        "app.kubernetes.io/name": spec.metadata.name,
        "app.kubernetes.io/part-of": "slipstack",
        "app.kubernetes.io/managed-by": "pulumi",
        tags.K8S_MODEL: spec.metadata.name,
        tags.K8S_MODEL_VERSION: tags.k8s_label_value(spec.model.version),
        tags.K8S_ENVIRONMENT: context.environment,
        tags.K8S_DATA_CLASSIFICATION: spec.metadata.data_classification,
        tags.K8S_OWNER: tags.k8s_label_value(spec.metadata.owner.replace("@", "-at-")),
        tags.K8S_COST_CENTRE: tags.k8s_label_value(spec.metadata.cost_centre),
    }
