"""K8S-RBAC-ESCALATE: no RBAC rule lets its subject escalate, exec into pods, or read every secret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for index, _ in enumerate(read_list(props, "rules")):
        verbs = set(read_list(props, "rules", index, "verbs"))
        resources = set(read_list(props, "rules", index, "resources"))
        for verb in sorted(verbs & {"bind", "escalate", "impersonate"}):
            problems.append(f"rules[{index}] grants {verb}")
        if "pods/exec" in resources and verbs & {"create", "*"}:
            problems.append(f"rules[{index}] grants create on pods/exec")
        if (
            "secrets" in resources
            and verbs & {"get", "list", "watch", "*"}
            and not read_list(props, "rules", index, "resourceNames")
        ):
            problems.append(f"rules[{index}] reads secrets without resourceNames")
    return verdict(problems)


RULE = Rule(
    id="K8S-RBAC-ESCALATE",
    description="RBAC rules grant no bind/escalate/impersonate, pods/exec, or unscoped secret reads.",
    severity="critical",
    remediation="Remove the verbs; name the secrets in resourceNames.",
    anchors=("CK_K8S_155", "CK_K8S_156", "CK_K8S_157", "CK_K8S_158"),
    enforcement="M",
    resource_types=frozenset({t.K8S_ROLE, t.K8S_CLUSTER_ROLE}),
    check=check,
)
