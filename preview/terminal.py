"""The diff as terminal tables: one row per added, removed or changed resource, per stack."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from preview.comment import Preview


def _side(value: str | None) -> str:
    return "(absent)" if value is None else value


def print_diff(preview: Preview, console: Console, paths_per_resource: int = 8) -> None:
    for note in preview.notes:
        console.print(f"note: {note}", style="yellow", markup=False, highlight=False)
    for stack in preview.stacks:
        diff = stack.diff
        title = (
            f"{diff.stack}: +{len(diff.added)} ~{len(diff.changed)} -{len(diff.removed)} "
            f"({diff.unchanged} unchanged)"
        )
        if not diff.has_changes:
            console.print(f"{title}: no changes", markup=False, highlight=False)
            continue
        table = Table("", "type", "name", "changed inputs", title=title, title_justify="left")
        for ref in diff.added:
            table.add_row("+", ref.type, ref.name, "", style="green")
        for ref in diff.removed:
            table.add_row("-", ref.type, ref.name, "", style="red")
        for item in diff.changed:
            shown = [
                f"{c.path}: {_side(c.before)} -> {_side(c.after)}" for c in item.paths[:paths_per_resource]
            ]
            if len(item.paths) > paths_per_resource:
                shown.append(f"... {len(item.paths) - paths_per_resource} more")
            table.add_row("~", item.resource.type, item.resource.name, "\n".join(shown), style="yellow")
        console.print(table)
