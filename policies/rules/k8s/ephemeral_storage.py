"""K8S-EPHEMERAL-STORAGE: containers request and limit ephemeral storage, so a full disk evicts the
offender rather than its neighbours (advisory: emptyDir sizeLimit already bounds the volumes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.pod_specs import WORKLOAD_TYPES, containers
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for label, container in containers(props):
        for kind in ("requests", "limits"):
            if read(container, "resources", kind, "ephemeral-storage") is None:
                problems.append(f"{label}: resources.{kind}.ephemeral-storage is not set")
    return verdict(problems)


RULE = Rule(
    id="K8S-EPHEMERAL-STORAGE",
    description="Containers set ephemeral-storage requests and limits.",
    severity="low",
    remediation="Set resources.requests/limits['ephemeral-storage'] (the model size plus scratch space).",
    anchors=("kube-score container-ephemeral-storage-request-and-limit",),
    enforcement="A",
    resource_types=WORKLOAD_TYPES,
    check=check,
)
