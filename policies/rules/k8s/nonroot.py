"""K8S-NONROOT: containers run as a non-root user (container or pod security context)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import containers, effective, pod_spec
from policies.rule import Outcome, Rule, RuleContext, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    spec = pod_spec(props)
    problems = []
    for label, container in containers(props):
        if effective(container, spec, "runAsNonRoot") is not True:
            problems.append(f"{label}: runAsNonRoot is not true")
        if effective(container, spec, "runAsUser") == 0:
            problems.append(f"{label}: runAsUser is 0 (root)")
    return verdict(problems)


RULE = Rule(
    id="K8S-NONROOT",
    description="Containers run as non-root.",
    severity="high",
    remediation="Set runAsNonRoot: true and a non-zero runAsUser in the pod securityContext.",
    anchors=(
        "PSS-R Running as Non-root",
        "PSS-R Running as Non-root user",
        "CKV_K8S_23",
    ),
    enforcement="M",
    resource_types=frozenset(t.K8S_WORKLOADS),
    check=check,
)
