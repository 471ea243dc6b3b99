"""`slipstack validate` and `slipstack schema`: check spec files, print the spec's JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def validate(
    specs: Annotated[list[Path], typer.Argument(help="Spec files, or folders of *.yaml specs.", show_default=False)],
    stack: Annotated[
        list[str] | None,
        typer.Option(help="Also check this stack (repeatable); default: every stack of the specs' project that "
                     "deploys one of them."),
    ] = None,
) -> None:
    """Check deployment specs, and the stacks that deploy them; print every problem as file:line: field: what
    is wrong (what is allowed)."""
    from deployment_spec import SpecError, iter_spec_files, load_spec

    problems: list[Any] = []
    checked = 0
    validated: list[Path] = []
    for path in iter_spec_files(specs):
        checked += 1
        validated.append(path)
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
    seen = {str(problem) for problem in problems}
    stacks_checked = 0
    for stack_file, project_root in _stacks_to_check(validated, stack or []):
        from contracts.errors import shown_path
        from stacks.checks import check_stack, read_stack_file

        stacks_checked += 1
        found = [p for p in check_stack(project_root, read_stack_file(stack_file, _stack_name(stack_file)))
                 if p not in seen]
        seen.update(found)
        problems += found
        if not found:
            typer.echo(f"ok  {shown_path(stack_file)}  stack {_stack_name(stack_file)}")
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        stacks = f" and {stacks_checked} stack file(s)" if stacks_checked else ""
        typer.echo(f"{len(problems)} problem(s) in {checked} spec file(s){stacks}", err=True)
        raise typer.Exit(2)


def _stack_name(stack_file: Path) -> str:
    return stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")


def _stacks_to_check(specs: list[Path], named: list[str]) -> list[tuple[Path, Path]]:
    """(stack file, project root) of the named stacks, or of every stack whose slipstack:specs lists one of
    `specs`, in the Pulumi project holding the specs (none outside a project)."""
    import os

    from slipstack.plan.runner import PlanError, find_project
    from stacks.checks import read_stack_file

    def normal(path: Path) -> Path:  # absolute, without following symlinks (a linked specs folder stays put)
        return Path(os.path.abspath(path))

    projects = {}
    for spec in specs:
        folder = next((f for f in normal(spec).parents if (f / "Pulumi.yaml").is_file()), None)
        if folder is None:
            continue
        try:
            project = find_project(folder)
        except PlanError:
            continue
        projects[project.root] = project
    wanted = {normal(spec) for spec in specs} | {spec.resolve() for spec in specs}
    found: list[tuple[Path, Path]] = []
    for project in projects.values():
        for name in project.stacks():
            path = project.stack_file(name)
            if named:
                if name in named:
                    found.append((path, project.root))
                continue
            listed = read_stack_file(path, name).values.get("slipstack:specs") or []
            if any({normal(folder / str(item)), (folder / str(item)).resolve()} & wanted
                   for folder in (project.root,) for item in listed):
                found.append((path, project.root))
    if named and not found:
        raise typer.BadParameter(f"no stack {', '.join(named)} in the specs' project", param_hint="--stack")
    return found


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
