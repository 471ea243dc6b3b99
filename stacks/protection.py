"""Protect prod's stateful resources: `pulumi up` then refuses to delete or replace-by-delete them.

A change that would destroy one (a model removed from prod, a renamed key) fails at the engine until
someone first removes the protection in its own reviewed change; `retainOnDelete` keeps the cloud object
even then, so state leaves Pulumi's management before it can leave the account.
"""

from __future__ import annotations

from typing import Any

import pulumi

from contracts.stateful import is_stateful

PROTECTED_ENVIRONMENTS = frozenset({"prod"})


def _protect(args: Any) -> pulumi.ResourceTransformationResult | None:
    if not is_stateful(args.type_):
        return None
    return pulumi.ResourceTransformationResult(
        args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True))
    )


def protect_stateful_resources(environment: str) -> None:
    """Register the stack transformation (before any resource is declared) for protected environments."""
    if environment in PROTECTED_ENVIRONMENTS:
        pulumi.runtime.register_stack_transformation(_protect)
