"""K8S-DEFAULT-SA: workloads run under their own service account, not the namespace default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import pod_spec_path
from policies.rule import NotApplicable, Outcome, Rule, RuleContext, read, read_list, verdict


def _default_account(props: Mapping[str, Any]) -> Outcome:
    # CKV_K8S_41: the namespace's own "default" account, if the stack manages it, must not mount a token.
    if read(props, "metadata", "name") != "default":
        return NotApplicable("not the default service account")
    mount = read(props, "automountServiceAccountToken")
    return verdict([] if mount is False else [f"automountServiceAccountToken is {mount!r} on the default account"])


def _binding(props: Mapping[str, Any]) -> Outcome:
    # CKV_K8S_42: a binding to "default" hands the role to every pod that forgot serviceAccountName.
    problems = []
    for index, _ in enumerate(read_list(props, "subjects")):
        if (
            read(props, "subjects", index, "kind") == "ServiceAccount"
            and read(props, "subjects", index, "name") == "default"
        ):
            problems.append(f"subjects[{index}] is the default service account")
    return verdict(problems)


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if context.resource_type == t.K8S_SERVICE_ACCOUNT:
        return _default_account(props)
    if context.resource_type in (t.K8S_ROLE_BINDING, t.K8S_CLUSTER_ROLE_BINDING):
        return _binding(props)
    name = read(props, *pod_spec_path(props), "serviceAccountName")
    return verdict(
        [] if name not in (None, "", "default") else [f"serviceAccountName is {name!r}; use a dedicated one"]
    )


RULE = Rule(
    id="K8S-DEFAULT-SA",
    description=(
        "Workloads use a dedicated service account; the default account mounts no token and is bound to no role."
    ),
    severity="medium",
    remediation="Create a ServiceAccount for the model and set serviceAccountName.",
    anchors=(
        "CKV_K8S_41",
        "CKV_K8S_42",
    ),
    enforcement="M",
    resource_types=frozenset(t.K8S_WORKLOADS) | {t.K8S_SERVICE_ACCOUNT, t.K8S_ROLE_BINDING, t.K8S_CLUSTER_ROLE_BINDING},
    check=check,
)
