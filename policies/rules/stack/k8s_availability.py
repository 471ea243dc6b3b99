"""K8S-AVAILABILITY: a prod model survives a node drain: two replicas (or an HPA with min 2) and a PDB
that allows some disruption without allowing all."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import namespace_of
from policies.rule import NotApplicable, Outcome, Rule, RuleContext, StackResource, StackView, each, read, read_map


def _namespace(resource: StackResource) -> str:
    return namespace_of(resource.props)


def _selects(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    wanted = selector.get("matchLabels") or {}
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


def check(view: StackView, context: RuleContext) -> Outcome:
    if context.environment != "prod":
        return NotApplicable("availability is only required in prod")
    hpas = view.of_type(t.K8S_HPA)
    pdbs = view.of_type(t.K8S_PDB)

    def judge(workload: StackResource) -> Iterator[str]:
        name, namespace = read(workload.props, "metadata", "name"), _namespace(workload)
        kind = read(workload.props, "kind") or ("Deployment" if workload.type == t.K8S_DEPLOYMENT else "StatefulSet")
        scalers = [
            h
            for h in hpas
            if _namespace(h) == namespace
            and read(h.props, "spec", "scaleTargetRef", "name") == name
            and read(h.props, "spec", "scaleTargetRef", "kind") == kind
        ]
        replicas = read(workload.props, "spec", "replicas")
        replicas = 1 if replicas is None else replicas
        if scalers:
            for hpa in scalers:
                low = read(hpa.props, "spec", "minReplicas")
                if not isinstance(low, int) or low < 2:
                    yield f"HorizontalPodAutoscaler {hpa.name} has minReplicas {low!r}, prod needs at least 2"
                else:
                    replicas = max(replicas, low) if isinstance(replicas, int) else low
        elif not isinstance(replicas, int) or replicas < 2:
            yield f"replicas is {replicas!r} and no HorizontalPodAutoscaler; prod needs at least 2"
        labels = read_map(workload.props, "spec", "template", "metadata", "labels")
        budgets = [
            p for p in pdbs if _namespace(p) == namespace and _selects(read_map(p.props, "spec", "selector"), labels)
        ]
        if not budgets:
            yield "no PodDisruptionBudget selects its pods"
        for pdb in budgets:
            most = read(pdb.props, "spec", "maxUnavailable")
            least = read(pdb.props, "spec", "minAvailable")
            if (
                most in (0, "0", "0%")
                or least == "100%"
                or (isinstance(least, int) and isinstance(replicas, int) and least >= replicas)
            ):
                yield f"PodDisruptionBudget {pdb.name} allows no disruption; node drains would hang"

    return each(view.of_type(t.K8S_DEPLOYMENT, t.K8S_STATEFUL_SET), judge)


RULE = Rule(
    id="K8S-AVAILABILITY",
    description="Prod workloads have >= 2 replicas (or HPA min >= 2) and a PDB allowing some disruption.",
    severity="medium",
    remediation="Set scaling.min_instances >= 2 for prod; the stack creates the HPA and a PDB with maxUnavailable 1.",
    anchors=(
        "compliance-policies kubernetes/apps/v1/Deployment/configureMinimumReplicaCount",
        "kube-score horizontalpodautoscaler-replicas",
        "Polaris hpaMinAvailability",
    ),
    enforcement="M(p)",
    stack_check=check,
    stack_types=frozenset({t.K8S_DEPLOYMENT, t.K8S_STATEFUL_SET}),
)
