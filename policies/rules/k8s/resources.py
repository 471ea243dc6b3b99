"""K8S-RESOURCES: containers request CPU and memory and cap memory (no noisy neighbours, no OOM of the node)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import containers
from policies.rule import Outcome, Rule, RuleContext, read, verdict

REQUIRED = (("requests", "cpu"), ("requests", "memory"), ("limits", "memory"))


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    return verdict(
        f"{label}: resources.{kind}.{resource} is not set"
        for label, container in containers(props)
        for kind, resource in REQUIRED
        if read(container, "resources", kind, resource) in (None, "")
    )


RULE = Rule(
    id="K8S-RESOURCES",
    description="Containers set cpu/memory requests and a memory limit.",
    severity="medium",
    remediation="Set resources in the spec's onprem section (requests.cpu, requests.memory, limits.memory).",
    anchors=(
        "CKV_K8S_10",
        "CKV_K8S_12",
        "CKV_K8S_13",
        "kube-score container-resources",
    ),
    enforcement="M",
    resource_types=frozenset(t.K8S_WORKLOADS),
    check=check,
)
