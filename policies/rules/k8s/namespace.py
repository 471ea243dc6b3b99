"""K8S-NAMESPACE: namespaced resources live in a named namespace, set on the resource or its provider.

Checkov's CK_K8S_21 misfires when the namespace comes from the provider; this rule reads both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict

NAMESPACED = frozenset(
    {
        *t.K8S_WORKLOADS,
        t.K8S_SERVICE,
        t.K8S_SERVICE_ACCOUNT,
        t.K8S_CONFIG_MAP,
        t.K8S_RESOURCE_QUOTA,
        t.K8S_LIMIT_RANGE,
        t.K8S_ROLE,
        t.K8S_ROLE_BINDING,
        t.K8S_NETWORK_POLICY,
        t.K8S_INGRESS,
        t.K8S_HPA,
        t.K8S_PDB,
    }
)


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    namespace = read(props, "metadata", "namespace")
    if namespace in (None, "") and context.provider_props is not None:
        namespace = read(context.provider_props, "namespace")
    if namespace in (None, "", "default"):
        return verdict([f"namespace is {namespace or 'unset'} (resource and provider); use the model's namespace"])
    return verdict([])


RULE = Rule(
    id="K8S-NAMESPACE",
    description="Namespaced resources are not in the default namespace.",
    severity="medium",
    remediation="Set metadata.namespace, or the namespace of the kubernetes Provider.",
    anchors=("CKV_K8S_21",),
    enforcement="M",
    resource_types=NAMESPACED,
    check=check,
)
