"""K8S-CAPS: containers drop ALL capabilities and add back at most NET_BIND_SERVICE."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import containers
from policies.rule import Outcome, Rule, RuleContext, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for label, container in containers(props):
        if "ALL" not in read_list(container, "securityContext", "capabilities", "drop"):
            problems.append(f"{label}: capabilities.drop lacks ALL")
        extra = [c for c in read_list(container, "securityContext", "capabilities", "add") if c != "NET_BIND_SERVICE"]
        if extra:
            problems.append(f"{label}: capabilities.add has {', '.join(map(str, extra))}")
    return verdict(problems)


RULE = Rule(
    id="K8S-CAPS",
    description="Containers drop all capabilities.",
    severity="high",
    remediation="Set securityContext.capabilities: {drop: [ALL]}.",
    anchors=(
        "PSS-R Capabilities",
        "PSS-B Capabilities",
        "CKV_K8S_28",
        "CKV_K8S_37",
    ),
    enforcement="M",
    resource_types=frozenset(t.K8S_WORKLOADS),
    check=check,
)
