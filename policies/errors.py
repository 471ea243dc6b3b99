"""Errors of the policy pack; the CLI turns them into `error: ...` and their exit code."""

from __future__ import annotations

from contracts.errors import SlipstackError


class PolicyError(SlipstackError):
    """Root of the policy pack's errors: bad input, exit 2."""

    exit_code = 2


class PolicyConfigError(PolicyError):
    """A policy config file that cannot be used (bad JSON, unknown rule, exemption without reason)."""


class PlanFileError(PolicyError):
    """A plan file that is not JSON, not a Slipstack plan, or from a newer format version."""


class PolicyVerdictError(SlipstackError):
    """Mandatory violations remain: exit 1."""

    exit_code = 1
