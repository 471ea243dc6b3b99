"""A Mermaid diagram of a stack's main resources and how they connect.

Main resources are the ones a reviewer reasons about (endpoints, models, buckets, keys, clusters,
workloads); the rest (policies, attachments, alarms, providers) would bury them. An edge A --> B
says A depends on B, found through A's dependencies, looking through resources that are not drawn
(an endpoint depends on its config through nothing, on its role through a policy attachment).
Resources are grouped by their top-level component, usually one per model, and coloured by what
the pull request does to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from contracts import type_tokens as tt

MAIN_TYPES: dict[str, str] = {
    tt.SM_ENDPOINT: "SageMaker endpoint",
    tt.SM_ENDPOINT_CONFIG: "endpoint config",
    tt.SM_MODEL: "SageMaker model",
    tt.S3_BUCKET: "S3 bucket",
    tt.KMS_KEY: "KMS key",
    tt.IAM_ROLE: "IAM role",
    tt.SNS_TOPIC: "SNS topic",
    tt.EKS_CLUSTER: "EKS cluster",
    tt.EKS_NODE_GROUP: "EKS node group",
    tt.LB_LOAD_BALANCER: "load balancer",
    tt.K8S_NAMESPACE: "namespace",
    tt.K8S_DEPLOYMENT: "Deployment",
    tt.K8S_SERVICE: "Service",
    tt.K8S_INGRESS: "Ingress",
    tt.K8S_HPA: "autoscaler",
    tt.K8S_CRON_JOB: "CronJob",
}
MAX_NODES = 40
_LOOK_THROUGH_DEPTH = 3


def _label(text: str) -> str:
    # Mermaid labels are quoted; these characters would end or break the label.
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def render_mermaid(
    resources: Iterable[dict[str, Any]],
    *,
    added: frozenset[str] = frozenset(),
    changed: frozenset[str] = frozenset(),
    removed: Iterable[dict[str, Any]] = (),
) -> str | None:
    """Mermaid flowchart source, or None when the stack has no main resources to draw."""
    by_urn = {r["urn"]: r for r in resources}
    gone = {r["urn"]: r for r in removed if r["urn"] not in by_urn}
    every = {**by_urn, **gone}
    main = [urn for urn in sorted(every) if every[urn].get("type") in MAIN_TYPES]
    if not main:
        return None
    shown = main[:MAX_NODES]
    ids = {urn: f"r{index}" for index, urn in enumerate(shown)}

    def main_dependencies(urn: str) -> set[str]:
        found: set[str] = set()
        frontier, seen = list(every[urn].get("dependencies") or []), {urn}
        for _ in range(_LOOK_THROUGH_DEPTH):
            next_frontier: list[str] = []
            for dep in frontier:
                if dep in seen or dep not in every:
                    continue
                seen.add(dep)
                if dep in ids:
                    found.add(dep)
                else:
                    next_frontier.extend(every[dep].get("dependencies") or [])
            frontier = next_frontier
        return found

    def group_of(urn: str) -> str:
        # The outermost component ancestor: one box per model (or per shared stack part).
        group: str = ""
        parent = every[urn].get("parent")
        while parent in every:
            if not every[parent].get("custom", True):
                group = str(parent)
            parent = every[parent].get("parent")
        return group

    lines = ["flowchart LR"]
    groups: dict[str, list[str]] = {}
    for urn in shown:
        groups.setdefault(group_of(urn), []).append(urn)
    for group_index, (group, members) in enumerate(sorted(groups.items())):
        indent = "  "
        if group:
            component = every[group]
            kind = str(component.get("type", "")).rsplit(":", 1)[-1]
            lines.append(f'  subgraph g{group_index}["{_label(str(component.get("name", "")))} ({_label(kind)})"]')
            indent = "    "
        for urn in members:
            resource = every[urn]
            kind = MAIN_TYPES[resource["type"]]
            lines.append(f'{indent}{ids[urn]}["{_label(str(resource.get("name", "")))}<br/>{kind}"]')
        if group:
            lines.append("  end")
    for urn in shown:
        for dep in sorted(main_dependencies(urn), key=lambda d: ids[d]):
            lines.append(f"  {ids[urn]} --> {ids[dep]}")
    styles = [("added", added, "fill:#d4f8d4,stroke:#2da44e"), ("changed", changed, "fill:#fff3c4,stroke:#bf8700")]
    styles.append(("removed", frozenset(gone), "fill:#ffd8d8,stroke:#cf222e,stroke-dasharray:4"))
    for css, urns, style in styles:
        members = [ids[urn] for urn in shown if urn in urns]
        if members:
            lines.append(f"  classDef {css} {style}")
            lines.append(f"  class {','.join(members)} {css}")
    if len(main) > len(shown):
        lines.append(f'  more["… {len(main) - len(shown)} more resources not drawn"]')
    return "\n".join(lines)
