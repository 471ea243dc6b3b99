"""K8S-HPA: an autoscaler targets a workload of the stack, can scale (max > min), and its disruption
budget still lets a node drain at the autoscaler's minimum."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import namespace_of
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, each, read, read_map


def _namespace(resource: StackResource) -> str:
    return namespace_of(resource.props)


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _selects(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    wanted = selector.get("matchLabels")
    return isinstance(wanted, Mapping) and bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


def check(view: StackView, context: RuleContext) -> Outcome:
    workloads = view.of_type(t.K8S_DEPLOYMENT, t.K8S_STATEFUL_SET)
    budgets = view.of_type(t.K8S_PDB)

    def judge(hpa: StackResource) -> Iterator[str]:
        namespace = _namespace(hpa)
        kind = read(hpa.props, "spec", "scaleTargetRef", "kind")
        name = read(hpa.props, "spec", "scaleTargetRef", "name")
        targets = [
            w
            for w in workloads
            if _namespace(w) == namespace
            and read(w.props, "kind") == kind
            and read(w.props, "metadata", "name") == name
        ]
        if not targets:
            yield f"spec.scaleTargetRef {kind}/{name} is not a workload of this stack in namespace {namespace}"
        low = _number(read(hpa.props, "spec", "minReplicas"))
        low = 1 if low is None and read(hpa.props, "spec", "minReplicas") is None else low
        high = _number(read(hpa.props, "spec", "maxReplicas"))
        if low is None or high is None or high <= low:
            yield f"maxReplicas {high!r} must be greater than minReplicas {low!r}, or the autoscaler cannot scale"
            return
        for workload in targets:
            labels = read_map(workload.props, "spec", "template", "metadata", "labels")
            for pdb in budgets:
                if _namespace(pdb) != namespace or not _selects(read_map(pdb.props, "spec", "selector"), labels):
                    continue
                least = _number(read(pdb.props, "spec", "minAvailable"))
                if least is not None and least >= low:
                    yield (
                        f"PodDisruptionBudget {pdb.name} minAvailable {least} >= minReplicas {low}: "
                        "at the minimum no pod may be evicted"
                    )

    return each(view.of_type(t.K8S_HPA), judge)


RULE = Rule(
    id="K8S-HPA",
    description=(
        "Autoscalers target a workload of the stack, have maxReplicas > minReplicas and a PDB below their minimum."
    ),
    severity="medium",
    remediation=("Point scaleTargetRef at the Deployment; set max above min; keep PDB minAvailable below minReplicas."),
    anchors=(
        "kube-score horizontalpodautoscaler-has-target",
        "Polaris hpaMinAvailability",
        "Polaris hpaMaxAvailability",
        "Polaris pdbMinAvailableGreaterThanHPAMinReplicas",
    ),
    enforcement="M",
    stack_check=check,
    stack_types=frozenset({t.K8S_HPA}),
)
