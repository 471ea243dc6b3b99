"""`slipstack validate` and `slipstack schema`: check spec files, print the spec's JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def validate(
    specs: Annotated[list[Path], typer.Argument(help="Spec files, or folders of *.yaml specs.", show_default=False)],
) -> None:
    """Check deployment specs; print every problem as file:line: field: what is wrong (what is allowed)."""
    from deployment_spec import SpecError, iter_spec_files, load_spec

    problems = []
    checked = 0
    for path in iter_spec_files(specs):
        checked += 1
        try:
            loaded = load_spec(path)
        except SpecError as error:
            problems += error.problems
            continue
        placements = "; ".join(
            f"{env}: {', '.join(loaded.for_environment(env).spec.targets)}" for env in loaded.declared_environments
        ) or ", ".join(loaded.base.targets)
        typer.echo(f"ok  {path}  {loaded.name} {loaded.base.model.version} ({placements})")
    if checked == 0:
        typer.echo("error: no spec files found (pass *.yaml files or a folder holding them)", err=True)
        raise typer.Exit(2)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {checked} spec file(s)", err=True)
        raise typer.Exit(2)


def schema(
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of standard output.")] = None,
) -> None:
    """Print the JSON Schema of the deployment spec (for editor autocompletion and CI checks)."""
    import json

    from deployment_spec.schema import spec_json_schema

    text = json.dumps(spec_json_schema(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(schema)
