"""SM-CAPTURE-ENABLED: a prod endpoint captures traffic, the input of drift monitoring (advisory)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import PASS, NotApplicable, Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if context.environment != "prod":
        return NotApplicable("capture is only expected in prod")
    if read(props, "dataCaptureConfig", "enableCapture") is True:
        return PASS
    return verdict(["prod endpoint configuration does not capture traffic; drift monitoring has no input"])


RULE = Rule(
    id="SM-CAPTURE-ENABLED",
    description="Prod endpoint configurations enable data capture.",
    severity="low",
    remediation="Enable monitoring.capture in the deployment spec for prod.",
    anchors=("AWS docs: SageMaker data capture",),
    enforcement="A",
    resource_types=frozenset({t.SM_ENDPOINT_CONFIG}),
    check=check,
)
