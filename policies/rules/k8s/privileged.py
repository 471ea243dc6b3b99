"""K8S-PRIVILEGED: no container runs privileged (root on the node)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import containers
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    return verdict(
        f"{label}: securityContext.privileged is true"
        for label, container in containers(props)
        if read(container, "securityContext", "privileged") is True
    )


RULE = Rule(
    id="K8S-PRIVILEGED",
    description="Containers are not privileged.",
    severity="critical",
    remediation="Remove securityContext.privileged.",
    anchors=(
        "PSS-B Privileged Containers",
        "CKV_K8S_16",
    ),
    enforcement="M",
    resource_types=frozenset(t.K8S_WORKLOADS),
    check=check,
)
