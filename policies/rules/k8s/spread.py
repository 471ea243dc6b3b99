"""K8S-SPREAD: serving replicas spread over nodes, so one node failure does not take the model down."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import pod_spec
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict

HOST_KEY = "kubernetes.io/hostname"


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    spec = pod_spec(props)
    keys = [
        read(spec, "topologySpreadConstraints", index, "topologyKey")
        for index, _ in enumerate(read_list(spec, "topologySpreadConstraints"))
    ]
    anti = read(spec, "affinity", "podAntiAffinity")
    if HOST_KEY in keys or anti is not None:
        return verdict([])
    return verdict([f"no topologySpreadConstraints on {HOST_KEY} and no podAntiAffinity: replicas may share a node"])


RULE = Rule(
    id="K8S-SPREAD",
    description="Deployments and StatefulSets spread pods across nodes (topology spread or pod anti-affinity).",
    severity="medium",
    remediation="Add topologySpreadConstraints on kubernetes.io/hostname (and topology.kubernetes.io/zone).",
    anchors=("kube-score deployment-has-host-podantiaffinity", "Polaris topologySpreadConstraint"),
    enforcement="M(p)",
    resource_types=frozenset({t.K8S_DEPLOYMENT, t.K8S_STATEFUL_SET}),
    check=check,
)
