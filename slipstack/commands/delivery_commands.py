"""`slipstack prepare`, `preview`, `base-policy`, `credentials`, `deploy`, `rollback`: the pipeline's steps.

Each workflow step in .github/ calls one of these (or a Make target that does), so the chain a pull
request and a merge go through runs the same on a laptop. Only typer is imported here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

StackOption = Annotated[str, typer.Option("--stack", "-s", help="Stack name: stacks/Pulumi.<stack>.yaml.")]


def prepare(
    stack: Annotated[list[str] | None, typer.Option("--stack", "-s", help="Only the specs of these stacks.")] = None,
) -> None:
    """Package every model the stacks deploy (in each stack's environment), where `slipstack plan` finds it.

    A spec or stack that does not validate is reported and skipped: `slipstack plan` and `slipstack preview`
    judge it, with its file and line, and a deploy stops there.
    """
    from contracts.errors import SlipstackError
    from deployment_spec import load_spec
    from model_packaging.package import package_model
    from slipstack.commands.packaging_commands import _default_package_dir
    from slipstack.plan.runner import find_project, read_stack_config
    from stacks.config import stack_config_from_values

    project = find_project(Path("."))
    done: set[Path] = set()
    for name in stack or project.stacks():
        try:
            config = stack_config_from_values(name, read_stack_config(project, name), str(project.stack_file(name)))
        except SlipstackError as error:
            # Judging the stack is `slipstack plan`'s job (and the comment shows its message); packaging goes
            # on with the others so the rest of the preview still has artifacts to check.
            typer.echo(f"{name}: not packaged: {error}", err=True)
            continue
        for spec_path in config.specs:
            try:
                resolved = load_spec(project.root / spec_path).for_environment(config.environment)
            except SlipstackError as error:
                typer.echo(f"{name}: {spec_path} not packaged: {error}", err=True)
                continue
            # A canary's candidate runs on-prem beside the model: its pods fetch its package too.
            candidate = resolved.canary_candidate() if "onprem" in resolved.spec.targets else None
            for each in (resolved, *([candidate] if candidate else [])):
                out = _default_package_dir(project.root / spec_path, project.root, each.spec.metadata.name,
                                           each.spec.model.version)
                if out in done:
                    continue
                try:
                    result = package_model(each, out)
                except SlipstackError as error:
                    if each is resolved:
                        raise
                    typer.echo(f"{name}: {spec_path} candidate {each.spec.model.version} not packaged: {error}",
                               err=True)
                    continue
                done.add(out)
                what = "" if each is resolved else " (canary candidate)"
                typer.echo(f"{name}: packaged {result.out} digest={result.manifest.digest}{what}")


def preview(
    base_ref: Annotated[str | None, typer.Option("--base-ref", help="Git ref of the base (e.g. origin/main); "
                                                 "omit for the head alone.")] = None,
    stack: Annotated[list[str] | None, typer.Option("--stack", "-s", help="Stacks (default: every stack).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Plans of base and head.")] = Path("build/preview"),
    comment_dir: Annotated[Path, typer.Option("--comment-dir", help="comment.md and verdict.json.")] = Path(
        "build/comment"),
    title: Annotated[str | None, typer.Option("--title", help="A line under the heading.")] = None,
) -> None:
    """What a pull request's check does: plan head and base, judge the head by the base's policy configs,
    diff, write the comment and verdict.json; exit 1 when a stack fails (the comment is written first)."""
    from preview.errors import MandatoryViolationsError
    from slipstack.delivery.pr_preview import run_preview
    from slipstack.plan.runner import find_project

    project = find_project(Path("."))
    verdict = run_preview(project.root, base_ref, stack or project.stacks(), out, comment_dir, title,
                          log=lambda text: typer.echo(text, err=True))
    typer.echo(f"verdict: {verdict['status']}; comment in {comment_dir}")
    for item in verdict["needs_approval"]:
        typer.echo(f"needs approval: {item}")
    if verdict["status"] == "failed":
        raise MandatoryViolationsError("not safe to merge: " + "; ".join(verdict["blocking"]))


def base_policy(
    base_ref: Annotated[str, typer.Option("--base-ref", help="Git ref of the base branch (e.g. origin/main).")],
    stack: StackOption,
    out: Annotated[Path, typer.Option("--out", help="Where the base's pack goes.")] = Path("build/base-policy"),
) -> None:
    """Export the base branch's policy pack and the stack's policy config, so a real `pulumi preview` of a pull
    request is judged by them, not by what the pull request changed (step outputs `pack` and `config`)."""
    from slipstack.delivery.pr_preview import export_base_policy_pack
    from slipstack.plan.runner import find_project, read_stack_config
    from stacks.config import stack_config_from_values

    project = find_project(Path("."))
    config = stack_config_from_values(stack, read_stack_config(project, stack), str(project.stack_file(stack)))
    exported = export_base_policy_pack(project.root, base_ref, config.environment, project.root / out)
    github_output = os.environ.get("GITHUB_OUTPUT")
    if github_output:
        with open(github_output, "a", encoding="utf-8") as stream:
            stream.write(f"pack={exported.pack}\nconfig={exported.config}\n")
    typer.echo(f"{stack}: policy pack {exported.pack}, config {exported.config} (from {base_ref})")


def credentials(stack: StackOption) -> None:
    """First step of a deploy job: fail naming every credential setting the stack needs and lacks."""
    from slipstack.delivery.credentials import require_credentials
    from slipstack.plan.runner import find_project

    project = find_project(Path("."))
    report = require_credentials(project.root, stack, os.environ, project.root / "build" / "credentials")
    if report.kubeconfig is not None:
        github_env = os.environ.get("GITHUB_ENV")
        if github_env:
            with open(github_env, "a", encoding="utf-8") as stream:
                stream.write(f"KUBECONFIG={report.kubeconfig}\n")
        typer.echo(f"{stack}: kubeconfig {report.kubeconfig}")
    typer.echo(f"{stack}: credentials configured")


def deploy(
    stack: StackOption,
    commit: Annotated[str | None, typer.Option("--commit", help="The commit deployed (default: git HEAD).")] = None,
    expect_artifacts: Annotated[str | None, typer.Option(
        "--expect-artifacts", help="Refuse unless the packaged artifacts have this fingerprint (rollback).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the result JSON here.")] = None,
) -> None:
    """Plan + policy, publish the verified packages, pulumi up (with the policy pack), smoke every target,
    then record the commit and artifacts as the stack's last good deployment."""
    import dataclasses
    import json
    import re
    import subprocess

    from slipstack.delivery.deploy import deploy_stack
    from slipstack.delivery.errors import DeliveryInputError
    from slipstack.plan.runner import find_project

    project = find_project(Path("."))
    if commit is not None and not re.fullmatch(r"[0-9a-f]{40}", commit):
        raise DeliveryInputError(f"--commit {commit!r}: expected the full 40-character commit SHA that is deployed "
                                 "(in a workflow: \"$GITHUB_SHA\")")
    if commit is None:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project.root, capture_output=True,
                                text=True, check=True).stdout.strip()
    result = deploy_stack(project.root, stack, commit, expected_fingerprint=expect_artifacts,
                          log=lambda text: typer.echo(text, err=True))
    text = json.dumps(dataclasses.asdict(result), indent=2) + "\n"
    if output is not None:
        from slipstack.commands.preview_commands import _write_atomically

        _write_atomically(output, text)
    typer.echo(f"deployed {stack} at {commit[:12]}: {len(result.smoke)} smoke checks passed")


def rollback(stack: StackOption) -> None:
    """Re-deploy the stack's last good deployment (recorded commit and artifacts), policy pack and smoke included."""
    from slipstack.delivery.rollback import rollback_stack
    from slipstack.plan.runner import find_project

    commit = rollback_stack(find_project(Path(".")).root, stack, log=lambda text: typer.echo(text, err=True))
    typer.echo(f"rolled {stack} back to {commit}")


def image_pin(
    specs: Annotated[list[Path], typer.Argument(help="Spec files whose serving.image blocks to pin.")],
    repository: Annotated[str, typer.Option("--repository", help="Image repository the blocks name.")],
    tag: Annotated[str, typer.Option("--tag", help="The tag that was pushed.")],
    digest: Annotated[str, typer.Option("--digest", help="sha256:... the registry reported for the push.")],
) -> None:
    """Write the pushed model-server image's tag and digest into every spec block that names its repository."""
    from slipstack.delivery.errors import DeliveryInputError
    from slipstack.delivery.image_pin import pin_image

    total = 0
    for spec in specs:
        changed = pin_image(spec, repository, tag, digest)
        total += changed
        typer.echo(f"{spec}: {changed} image block(s) pinned to {repository}:{tag}@{digest}")
    if total == 0:
        raise DeliveryInputError(f"no serving.image block names {repository} in {', '.join(map(str, specs))}")


def register(app: typer.Typer) -> None:
    app.command("prepare")(prepare)
    app.command("preview")(preview)
    app.command("base-policy")(base_policy)
    app.command("credentials")(credentials)
    app.command("deploy")(deploy)
    app.command("rollback")(rollback)
    app.command("image-pin")(image_pin)
