"""Errors of the delivery commands: missing settings and refused artifacts (2), failed deploys and rollbacks (1)."""

from __future__ import annotations

from contracts.errors import SlipstackError


class DeliveryInputError(SlipstackError):
    """A setting, artifact or record the step needs is missing or wrong: exit 2, before anything changed."""

    exit_code = 2


class MissingCredentialsError(DeliveryInputError):
    """A credential setting the stack needs is not configured; the message names the setting to add."""


class DeployFailedError(SlipstackError):
    """A deploy step ran and failed (pulumi up, smoke test, rollback): exit 1."""

    exit_code = 1


class NothingToRollBackError(DeployFailedError):
    """The stack has no recorded good deployment: there is nothing to go back to."""
