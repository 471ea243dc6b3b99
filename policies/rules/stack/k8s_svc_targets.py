"""K8S-SVC-TARGETS: every Service selects pods of a workload in the stack, every Ingress backend is a Service in it.

A selector that matches nothing (a renamed label) leaves the model unreachable with every resource "healthy".
Correlated by namespace, names and labels, which the stack sets explicitly (they are known at preview).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import WORKLOAD_TYPES, namespace_of
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, each, read, read_list, read_map


def _namespace(resource: StackResource) -> str:
    return namespace_of(resource.props)


def _pod_labels(workload: StackResource) -> Mapping[str, Any]:
    if read(workload.props, "spec", "jobTemplate") is not None:
        return read_map(workload.props, "spec", "jobTemplate", "spec", "template", "metadata", "labels")
    return read_map(workload.props, "spec", "template", "metadata", "labels")


def _backends(ingress: StackResource) -> Iterator[tuple[str, Any]]:
    default = read(ingress.props, "spec", "defaultBackend", "service", "name")
    if default is not None:
        yield "spec.defaultBackend", default
    for r, _ in enumerate(read_list(ingress.props, "spec", "rules")):
        for p, _ in enumerate(read_list(ingress.props, "spec", "rules", r, "http", "paths")):
            name = read(ingress.props, "spec", "rules", r, "http", "paths", p, "backend", "service", "name")
            if name is not None:
                yield f"spec.rules[{r}].http.paths[{p}]", name


def check(view: StackView, context: RuleContext) -> Outcome:
    workloads = view.of_type(*WORKLOAD_TYPES)
    services = view.of_type(t.K8S_SERVICE)

    def judge(resource: StackResource) -> Iterator[str]:
        namespace = _namespace(resource)
        if resource.type == t.K8S_SERVICE:
            if read(resource.props, "spec", "type") == "ExternalName":
                return
            selector = read_map(resource.props, "spec", "selector")
            if not selector:
                return  # a selector-less Service has hand-managed Endpoints
            for workload in workloads:
                labels = _pod_labels(workload)
                if _namespace(workload) == namespace and all(labels.get(k) == v for k, v in selector.items()):
                    return
            yield f"spec.selector {dict(selector)} matches the pods of no workload in namespace {namespace}"
            return
        names = [read(s.props, "metadata", "name") for s in services if _namespace(s) == namespace]
        for where, name in _backends(resource):
            if name not in names:
                yield f"{where} targets Service {name!r}, which the stack does not define in namespace {namespace}"

    return each(services + view.of_type(t.K8S_INGRESS), judge)


RULE = Rule(
    id="K8S-SVC-TARGETS",
    description="Services select a workload's pods; Ingress backends name Services of the stack.",
    severity="medium",
    remediation="Make the Service selector equal the pod template labels; point the Ingress at the Service's name.",
    anchors=("kube-score service-targets-pod", "kube-score ingress-targets-service"),
    enforcement="M",
    stack_check=check,
    stack_types=frozenset({t.K8S_SERVICE, t.K8S_INGRESS}),
)
