"""The diff as terminal tables: one row per replaced, deleted, changed or added resource, per stack.

Names and types are never cut: columns fold instead of ending in an ellipsis, and off a terminal (a CI
log) the table is as wide as its longest row, so a reviewer can search the log for any resource.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from preview.comment import Preview

# Wide enough for any URN-derived name; CI logs wrap long lines themselves.
LOG_WIDTH = 400


def _side(value: str | None) -> str:
    return "(absent)" if value is None else value


def log_console() -> Console:
    """A console for `slipstack diff`: the terminal's width on a terminal, LOG_WIDTH in a log."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=LOG_WIDTH)
    return console


def print_diff(preview: Preview, console: Console, paths_per_resource: int = 8) -> None:
    for note in preview.notes:
        console.print(f"note: {note}", style="yellow", markup=False, highlight=False)
    for failed, error in preview.head_errors.items():
        console.print(f"{failed}: cannot plan: {error}", style="red", markup=False, highlight=False)
    for stack in preview.stacks:
        diff = stack.diff
        title = (
            f"{diff.stack}: +{len(diff.added)} ~{len(diff.updated)} +-{len(diff.replaced)} -{len(diff.removed)} "
            f"({diff.unchanged} unchanged)"
        )
        if not diff.has_changes:
            console.print(f"{title}: no changes", markup=False, highlight=False)
            continue
        table = Table("", "type", "name", "changed inputs", title=title, title_justify="left")
        for column in table.columns[1:3]:
            column.overflow = "fold"
        for item in sorted(diff.replaced, key=lambda c: (not c.resource.stateful, c.resource.urn)):
            shown = [f"{path} (forces replacement)" for path in item.replace_paths[:paths_per_resource]]
            if item.replaced_because:
                shown.append(item.replaced_because)
            table.add_row("replace", item.resource.type, item.resource.name, "\n".join(shown), style="magenta")
        for ref in sorted(diff.removed, key=lambda r: (not r.stateful, r.urn)):
            table.add_row("delete", ref.type, ref.name, "protected" if ref.protected else "", style="red")
        for item in diff.updated:
            shown = [
                f"{c.path}: {_side(c.before)} -> {_side(c.after)}" for c in item.paths[:paths_per_resource]
            ]
            if len(item.paths) > paths_per_resource:
                shown.append(f"... {len(item.paths) - paths_per_resource} more")
            table.add_row("~", item.resource.type, item.resource.name, "\n".join(shown), style="yellow")
        for ref in diff.added:
            table.add_row("+", ref.type, ref.name, "", style="green")
        console.print(table)
