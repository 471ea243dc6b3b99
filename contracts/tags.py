"""Tag and label keys written by the components and read by the policy pack and the cost report."""

from __future__ import annotations

OWNER = "slipstack:owner"
COST_CENTRE = "slipstack:cost-centre"
DATA_CLASSIFICATION = "slipstack:data-classification"
MODEL = "slipstack:model"
MODEL_VERSION = "slipstack:model-version"
ENVIRONMENT = "slipstack:environment"
ARTIFACT_SHA256 = "slipstack:artifact-sha256"
MANAGED_BY = "slipstack:managed-by"

# Kubernetes label keys must be DNS-prefixed names; the same facts under the conventional prefix.
K8S_PREFIX = "slipstack.dev/"
K8S_MODEL = K8S_PREFIX + "model"
K8S_MODEL_VERSION = K8S_PREFIX + "model-version"
K8S_ENVIRONMENT = K8S_PREFIX + "environment"
K8S_DATA_CLASSIFICATION = K8S_PREFIX + "data-classification"
K8S_OWNER = K8S_PREFIX + "owner"
K8S_COST_CENTRE = K8S_PREFIX + "cost-centre"
K8S_ARTIFACT_SHA256 = K8S_PREFIX + "artifact-sha256"


def k8s_label_value(value: str) -> str:
    """A Kubernetes label value: at most 63 characters of [A-Za-z0-9-_.], alphanumeric at both ends."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "-" for c in value)[:63]
    return cleaned.strip("-_.")

# A resource-level exemption from one policy rule travels with the resource itself, so the pack sees it
# at preview time with no side channel: an AWS tag `slipstack:exempt:<RULE-ID>` or a Kubernetes
# annotation `exempt.slipstack.dev/<rule-id>` whose value is the reason. An empty reason is invalid.
EXEMPTION_TAG_PREFIX = "slipstack:exempt:"
K8S_EXEMPTION_ANNOTATION_PREFIX = "exempt.slipstack.dev/"


def owning_model(name: str, models: list[str]) -> str | None:
    """The model a resource belongs to by its logical name: every resource of a model is named after it
    (`<model>-...`); the longest matching model name wins, so `a-b-kms` belongs to `a-b`, not `a`."""
    for model in sorted(models, key=len, reverse=True):
        if name == model or name.startswith(model + "-"):
            return model
    return None
