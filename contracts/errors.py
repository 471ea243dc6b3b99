"""The root of every package's error hierarchy, so the CLI can turn any of them into a clean exit."""

from __future__ import annotations


class SlipstackError(Exception):
    """A problem the user can fix: the message says what is wrong, where, and how to fix it.

    ``exit_code`` follows the CLI convention: 2 for bad input (a malformed spec, plan, file or
    argument), 1 for a verdict that fails (a mandatory policy violation, drift over the alert
    threshold, a failed smoke test).
    """

    exit_code: int = 2
    # How the CLI labels the message: a detected drift is an alert the check exists to raise, not an error.
    label: str = "error"


def shown_path(path: object) -> str:
    """A path as every message prints it: relative to the working directory when it lies below it
    (what a user can paste back), otherwise absolute; never a mix of the two for the same file."""
    from pathlib import Path

    absolute = Path(str(path)).absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)
