"""KMS-ENABLED: the model's key is enabled; a disabled key silently breaks every encrypted write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    enabled = read(props, "isEnabled")
    # Unset means AWS's default, enabled.
    return verdict([] if enabled is None or enabled is True else [f"isEnabled is {enabled!r}, must be true"])


RULE = Rule(
    id="KMS-ENABLED",
    description="KMS keys are enabled.",
    severity="medium",
    remediation="Remove is_enabled=False; schedule deletion of a key that is no longer used instead.",
    anchors=("CKV_AWS_227",),
    enforcement="M",
    resource_types=frozenset({t.KMS_KEY}),
    check=check,
)
