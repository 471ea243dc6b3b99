"""K8S-RO-ROOTFS: containers have a read-only root filesystem (no tampering with the served code)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import containers
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    return verdict(
        f"{label}: readOnlyRootFilesystem is not true"
        for label, container in containers(props)
        if read(container, "securityContext", "readOnlyRootFilesystem") is not True
    )


RULE = Rule(
    id="K8S-RO-ROOTFS",
    description="Containers use a read-only root filesystem.",
    severity="medium",
    remediation="Set readOnlyRootFilesystem: true and mount an emptyDir for scratch space.",
    anchors=(
        "CKV_K8S_22",
        "compliance-policies kubernetes/apps/v1/Deployment/enableReadOnlyRootFilesystem",
    ),
    enforcement="M(p)",
    resource_types=frozenset(t.K8S_WORKLOADS),
    check=check,
)
