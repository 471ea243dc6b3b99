"""The terminal summary of a plan: resources per model, target and type."""

from __future__ import annotations

from collections import Counter
from typing import Any

from contracts.tags import owning_model

SHARED = "(stack)"


def _target_of(resource_type: str) -> str:
    if resource_type.startswith("aws:"):
        return "aws"
    if resource_type.startswith("kubernetes:"):
        return "kubernetes"
    return resource_type.split(":")[0]


def resource_counts(document: dict[str, Any]) -> Counter[tuple[str, str, str]]:
    """(model, target, type) -> number of resources, leaving out components (they create nothing)."""
    models = list((document.get("outputs") or {}).get("models", {}))
    return Counter(
        (owning_model(r["name"], models) or SHARED, _target_of(r["type"]), r["type"])
        for r in document["resources"]
        if r.get("custom", True) and not r["type"].startswith("pulumi:providers:")
    )


def render_summary(document: dict[str, Any], out_dir: str) -> None:
    from rich.console import Console
    from rich.table import Table

    counts = resource_counts(document)
    table = Table(title=f"plan: stack {document['stack']} ({document['environment']}), "
                        f"targets {', '.join(document['targets'])}")
    # Folded, never cut with an ellipsis: two types that share a prefix must stay distinguishable at 80 columns.
    table.add_column("model", overflow="fold")
    table.add_column("target", overflow="fold")
    table.add_column("type", overflow="fold")
    table.add_column("count", justify="right")
    previous: tuple[str, str] = ("", "")
    for (model, target, resource_type), count in sorted(counts.items()):
        shown_model = model if model != previous[0] else ""
        shown_target = target if (model, target) != previous else ""
        table.add_row(shown_model, shown_target, resource_type, str(count))
        previous = (model, target)
    console = Console()
    console.print(table)
    per_target: Counter[str] = Counter()
    for (_, target, _), count in counts.items():
        per_target[target] += count
    totals = ", ".join(f"{target} {count}" for target, count in sorted(per_target.items()))
    console.print(f"{sum(counts.values())} resources ({totals}) -> {out_dir}")
