"""KMS-DESCRIPTION: a key says what it protects, so a reviewer can judge its policy (advisory)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    text = read(props, "description")
    return verdict([] if isinstance(text, str) and text.strip() else ["description is not set"])


RULE = Rule(
    id="KMS-DESCRIPTION",
    description="KMS keys carry a description of what they encrypt.",
    severity="low",
    remediation="Set description (the component names the model and environment).",
    anchors=("compliance-policies aws/kms/Key/missingDescription",),
    enforcement="A",
    resource_types=frozenset({t.KMS_KEY}),
    check=check,
)
