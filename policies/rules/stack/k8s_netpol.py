"""K8S-NETPOL: a namespace with workloads has a default-deny ingress NetworkPolicy."""

from __future__ import annotations

from collections.abc import Iterator

from contracts import type_tokens as t
from policies.pod_specs import namespace_of
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, each, read_list, read_map


def _namespace(resource: StackResource) -> str:
    return namespace_of(resource.props)


def _is_default_deny(policy: StackResource) -> bool:
    selects_all = not read_map(policy.props, "spec", "podSelector").get("matchLabels") and not read_list(
        policy.props, "spec", "podSelector", "matchExpressions"
    )
    return (
        selects_all
        and "Ingress" in read_list(policy.props, "spec", "policyTypes")
        and not read_list(policy.props, "spec", "ingress")
    )


def check(view: StackView, context: RuleContext) -> Outcome:
    denied = {_namespace(p) for p in view.of_type(t.K8S_NETWORK_POLICY) if _is_default_deny(p)}
    reported: set[object] = set()

    def judge(workload: StackResource) -> Iterator[str]:
        namespace = _namespace(workload)
        if namespace not in denied and namespace not in reported:
            reported.add(namespace)
            yield f"namespace {namespace} runs workloads but has no default-deny ingress NetworkPolicy"

    return each([r for token in sorted(t.K8S_WORKLOADS) for r in view.of_type(token)], judge)


RULE = Rule(
    id="K8S-NETPOL",
    description="Namespaces with workloads have a default-deny NetworkPolicy.",
    severity="high",
    remediation="Add a NetworkPolicy with podSelector {} and policyTypes [Ingress], then allow the ingress path.",
    anchors=("CKV2_K8S_6",),
    enforcement="M(p)",
    stack_check=check,
    stack_types=t.K8S_WORKLOADS,
)
