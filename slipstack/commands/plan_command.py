"""`slipstack plan`: preview a stack offline, with no Pulumi CLI, credentials or network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def plan(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name: stacks/Pulumi.<stack>.yaml.")],
    out: Annotated[Path | None, typer.Option(help="Output folder (default build/plan/<stack>).")] = None,
    project_dir: Annotated[Path, typer.Option(help="Folder of the Pulumi project (or below it).")] = Path("."),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary table.")] = False,
    policy: Annotated[
        bool, typer.Option(help="Evaluate the policy pack on the plan (policy.json; exit 1 on a mandatory violation).")
    ] = True,
    policy_config: Annotated[
        Path | None, typer.Option(help="Policy config (default: policies/config/<environment>.json).")
    ] = None,
) -> None:
    """Run the stack's Pulumi program under the mock engine; write plan.json, manifests and the policy verdict."""
    from slipstack.plan.runner import find_project, plan_stack
    from stacks.program import collect_rarely

    collect_rarely()  # for the rest of this process, which ends with the command
    project = find_project(project_dir)
    result = plan_stack(stack, project, out)
    from contracts.errors import shown_path

    if quiet:
        typer.echo(f"{len(result.resources)} resources -> {shown_path(result.out_dir)}")
    else:
        from slipstack.plan.summary import render_summary

        render_summary(result.document, shown_path(result.out_dir))
    for missing in result.unpackaged:
        # Said before the verdict: the missing checksum the policy pack then reports has this one cause.
        typer.echo(
            f"not packaged: {missing.model} {missing.version} (no {shown_path(missing.expected)}); "
            f"its resources carry no artifact checksum. Run: {missing.command()}",
            err=True,
        )
    if policy:
        from slipstack.commands.policy_command import evaluate_and_print, raise_on_verdict, resource_name

        report, target = evaluate_and_print(result.out_dir / "plan.json", policy_config, None)
        waived = [(w.policy, resource_name(w.urn)) for w in report.waived]
        for item in result.spec_exemptions:
            if not any(rule == item.rule and item.covers(name) for rule, name in waived):
                typer.echo(
                    f"unused exemption: {shown_path(item.spec)}: security.exemptions[{item.index}] ({item.rule} on "
                    f"'{item.resource}') waived nothing in stack {stack}; use a resource name as the policy report "
                    "prints it (or the model's name), or remove the exemption",
                    err=True,
                )
        raise_on_verdict(report, target)


def register(app: typer.Typer) -> None:
    app.command()(plan)
