"""K8S-RBAC-WILDCARD: no RBAC rule grants * (every rule, not only rules[0] as CK_K8S_49 reads)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    return verdict(
        f"rules[{index}].{field} contains *"
        for index, _ in enumerate(read_list(props, "rules"))
        for field in ("apiGroups", "resources", "verbs")
        if "*" in read_list(props, "rules", index, field)
    )


RULE = Rule(
    id="K8S-RBAC-WILDCARD",
    description="Roles and ClusterRoles use no wildcards.",
    severity="high",
    remediation="List the apiGroups, resources and verbs the workload needs.",
    anchors=("CKV_K8S_49",),
    enforcement="M",
    resource_types=frozenset({t.K8S_ROLE, t.K8S_CLUSTER_ROLE}),
    check=check,
)
