"""`slipstack preflight`: what must exist in the cluster before `pulumi up`, and, given a cluster, what is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def preflight(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name: stacks/Pulumi.<stack>.yaml.")],
    check: Annotated[
        bool, typer.Option(help="Ask the cluster (the stack's kubeconfig context, or --server) what is missing.")
    ] = False,
    context: Annotated[str | None, typer.Option(help="kubeconfig context (default: the stack's).")] = None,
    server: Annotated[str | None, typer.Option(help="API server URL instead of a kubeconfig context.")] = None,
    project_dir: Annotated[Path, typer.Option(help="Folder of the Pulumi project (or below it).")] = Path("."),
) -> None:
    """List the secrets (and keys), ConfigMaps, CRDs, controllers and namespace labels the stack needs; exit 1 if
    --check finds one missing."""
    import tempfile

    from slipstack.plan.prerequisites import check_cluster, prerequisites
    from slipstack.plan.runner import find_project, plan_stack

    project = find_project(project_dir)
    with tempfile.TemporaryDirectory() as out:
        result = plan_stack(stack, project, Path(out) / stack)
    items = prerequisites(result.document)
    if not check:
        for item in items:
            typer.echo(f"{item.describe()}  (for {', '.join(item.needed_by)})")
        typer.echo(f"{len(items)} prerequisites of stack {stack}; check them with --check")
        return
    settings_context = context
    if settings_context is None and server is None:
        from slipstack.plan.runner import read_stack_config
        from stacks.config import stack_config_from_values

        settings_context = stack_config_from_values(stack, read_stack_config(project, stack)).kubernetes.context
    findings = check_cluster(items, settings_context, server)
    missing = [f for f in findings if not f.present]
    for finding in findings:
        state = "ok" if finding.present else f"MISSING: {finding.problem}"
        typer.echo(f"{finding.prerequisite.describe()}: {state}")
    typer.echo(f"{len(findings) - len(missing)}/{len(findings)} prerequisites present")
    if missing:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(preflight)
