"""The `slipstack` command line.

Each command lives in its own module under ``slipstack/commands``; those modules import only typer
at module level and load the heavy machinery (Pulumi, onnxruntime, pandas, boto3) inside the
command body, so `slipstack --help` and `slipstack validate` start in a fraction of a second.
"""

from __future__ import annotations

import sys

import typer

from contracts.errors import SlipstackError

app = typer.Typer(
    name="slipstack",
    help="Take a trained model to a secure, monitored production service from one deployment spec.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


# Command modules under slipstack/commands, each with a `register(app)`; the order here is the order
# in `slipstack --help`.
COMMAND_MODULES: tuple[str, ...] = (
    "spec_commands",
    "plan_command",
    "preflight_command",
    "policy_command",
    "monitoring_commands",
    "packaging_commands",
    "preview_commands",
    "delivery_commands",
)


def _register() -> None:
    import importlib

    for module_name in COMMAND_MODULES:
        importlib.import_module(f"slipstack.commands.{module_name}").register(app)


def main() -> None:
    _register()
    try:
        app()
    except SlipstackError as error:  # commands raise these; anything else is a bug and keeps its traceback
        print(f"{error.label}: {error}", file=sys.stderr)
        sys.exit(error.exit_code)
