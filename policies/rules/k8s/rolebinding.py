"""K8S-ROLEBINDING: bindings grant no built-in admin role, nothing to everyone, nothing to foreign service accounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict

ADMIN_ROLES = frozenset({"cluster-admin", "admin", "edit"})
EVERYONE = frozenset({"system:authenticated", "system:unauthenticated", "system:serviceaccounts", "system:anonymous"})


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    role = read(props, "roleRef", "name")
    if read(props, "roleRef", "kind") == "ClusterRole" and isinstance(role, str) and role in ADMIN_ROLES:
        problems.append(f"roleRef is the built-in ClusterRole {role}")
    namespace = read(props, "metadata", "namespace")
    for index, _ in enumerate(read_list(props, "subjects")):
        kind, name = read(props, "subjects", index, "kind"), read(props, "subjects", index, "name")
        if isinstance(name, str) and name in EVERYONE:
            problems.append(f"subjects[{index}] is {name}, i.e. everyone of that kind")
        subject_namespace = read(props, "subjects", index, "namespace")
        if kind == "ServiceAccount" and namespace is not None and subject_namespace not in (None, namespace):
            problems.append(f"subjects[{index}] is service account {subject_namespace}/{name} of another namespace")
    return verdict(problems)


RULE = Rule(
    id="K8S-ROLEBINDING",
    description=(
        "Role bindings reference no cluster-admin/admin/edit and bind no group of everyone or foreign service account."
    ),
    severity="critical",
    remediation="Bind a Role written for the subject, in its own namespace.",
    anchors=("Polaris rolebindingClusterAdminRole",),
    enforcement="M",
    resource_types=frozenset({t.K8S_ROLE_BINDING, t.K8S_CLUSTER_ROLE_BINDING}),
    check=check,
)
