"""Command groups of the `slipstack` CLI, one module each; see slipstack/cli.py."""

from __future__ import annotations

from typing import Any

# Every command that reads a spec applies one environment's overlay; they all default to the same one,
# so `package`, `serve`, `drift` and `quality` agree on what a spec means when none is given.
DEFAULT_ENVIRONMENT = "dev"


def environment_option() -> Any:
    """The --environment/--env/-e option, with the same default and help on every command."""
    import typer

    return typer.Option(
        DEFAULT_ENVIRONMENT, "--environment", "--env", "-e",
        help=f"Spec environment whose overrides apply (dev, staging or prod; default {DEFAULT_ENVIRONMENT}). "
        "Pass the stack's environment when checking a deployed model.",
    )
