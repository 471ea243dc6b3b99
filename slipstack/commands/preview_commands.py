"""`slipstack diff` and `slipstack comment`: what a pull request changes, offline, from two plan folders."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from preview.comment import Preview

BaseOption = Annotated[
    Path,
    typer.Option(
        "--base",
        help="Plans of the target branch: a folder of <stack>/plan.json (or one stack's folder). "
        "May be missing on a first pull request.",
    ),
]
HeadOption = Annotated[
    Path, typer.Option("--head", help="Plans of the pull request: a folder of <stack>/plan.json (or one stack's).")
]


def _write_atomically(path: Path, text: str) -> None:
    # A reader (the workflow step posting the comment) never sees half a file.
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _load(base: Path, head: Path, prices: Path | None) -> Preview:
    from preview.comment import build_preview
    from preview.cost import load_price_table
    from preview.plans import read_plan_set

    table = load_price_table(prices)
    return build_preview(read_plan_set(base, required=False), read_plan_set(head, required=True), table)


def diff(
    base: BaseOption,
    head: HeadOption,
    markdown: Annotated[Path | None, typer.Option("--markdown", help="Also write the preview as Markdown.")] = None,
) -> None:
    """Compare two plans per stack: resources added, removed and changed, with the input paths that differ."""
    from preview.comment import render_markdown
    from preview.terminal import log_console, print_diff

    preview = _load(base, head, None)
    print_diff(preview, log_console())
    if markdown is not None:
        _write_atomically(markdown, render_markdown(preview))
        typer.echo(f"wrote {markdown}")


def comment(
    base: BaseOption,
    head: HeadOption,
    out: Annotated[Path, typer.Option("--out", help="Where to write the comment (Markdown, under 65,536 chars).")],
    full_out: Annotated[
        Path | None, typer.Option("--full-out", help="Also write the unabridged preview (for a build artifact).")
    ] = None,
    prices: Annotated[
        Path | None, typer.Option("--prices", help="Price table JSON replacing the bundled one (see docs).")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="A line under the heading (e.g. commit SHAs).")] = None,
    fail_on_mandatory: Annotated[
        bool,
        typer.Option(
            "--fail-on-mandatory", help="Exit 1 after writing when a stack has a mandatory violation or no verdict."
        ),
    ] = False,
) -> None:
    """Write the pull-request comment: per stack the diff, policy verdict, diagram and estimated monthly cost."""
    from preview.comment import render_comment, render_markdown
    from preview.errors import MandatoryViolationsError

    preview = _load(base, head, prices)
    text = render_comment(preview, title=title)
    _write_atomically(out, text)
    if full_out is not None:
        _write_atomically(full_out, render_markdown(preview, title=title))
    for note in preview.notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(f"wrote {out} ({len(text):,} characters, {len(preview.stacks)} stacks)")
    if fail_on_mandatory and preview.blocking:
        raise MandatoryViolationsError("not safe to merge: " + "; ".join(preview.blocking))


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)
    app.command("comment")(comment)
