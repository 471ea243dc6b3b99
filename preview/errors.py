"""Errors of the preview package: bad plan folders, incompatible plans, bad price tables."""

from __future__ import annotations

from contracts.errors import SlipstackError


class PreviewError(SlipstackError):
    """Bad input to a preview (plan folders, price file): exit code 2."""

    exit_code = 2


class MandatoryViolationsError(SlipstackError):
    """The head plans carry mandatory policy violations or have no verdict: the check fails (exit 1)."""

    exit_code = 1
