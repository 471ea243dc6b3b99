"""The root of every package's error hierarchy, so the CLI can turn any of them into a clean exit."""

from __future__ import annotations


class SlipstackError(Exception):
    """A problem the user can fix: the message says what is wrong, where, and how to fix it.

    ``exit_code`` follows the CLI convention: 2 for bad input (a malformed spec, plan, file or
    argument), 1 for a verdict that fails (a mandatory policy violation, drift over the alert
    threshold, a failed smoke test).
    """

    exit_code: int = 2
