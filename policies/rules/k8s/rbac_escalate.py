"""K8S-RBAC-ESCALATE: no RBAC rule lets its subject escalate, exec into pods, or read every secret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read_list, verdict

WRITE_VERBS = frozenset({"create", "update", "patch", "*"})


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for index, _ in enumerate(read_list(props, "rules")):
        verbs = {str(v) for v in read_list(props, "rules", index, "verbs")}
        resources = {str(r) for r in read_list(props, "rules", index, "resources")}
        writes = verbs & WRITE_VERBS
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
        if "services/status" in resources and writes:
            # CVE-2020-8554: writing status.loadBalancer.ingress.ip lets the subject intercept cluster traffic.
            problems.append(f"rules[{index}] grants {', '.join(sorted(writes))} on services/status")
        for binding in sorted(resources & {"rolebindings", "clusterrolebindings"}):
            if writes:
                # A subject that writes bindings grants any service account any role it can name.
                problems.append(f"rules[{index}] grants {', '.join(sorted(writes))} on {binding}")
    return verdict(problems)


RULE = Rule(
    id="K8S-RBAC-ESCALATE",
    description=(
        "RBAC rules grant no bind/escalate/impersonate, pods/exec, unscoped secret reads, "
        "services/status writes or role-binding writes."
    ),
    severity="critical",
    remediation="Remove the verbs; name the secrets in resourceNames.",
    anchors=("CKV_K8S_157", "CKV_K8S_158", "CKV2_K8S_4", "CKV2_K8S_1"),
    enforcement="M",
    resource_types=frozenset({t.K8S_ROLE, t.K8S_CLUSTER_ROLE}),
    check=check,
)
