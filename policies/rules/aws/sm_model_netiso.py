"""SM-MODEL-NETISO: a SageMaker model's containers run with network isolation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import PASS, Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    # Without isolation a compromised model container can exfiltrate data or call out to the internet.
    value = read(props, "enableNetworkIsolation")
    if value is True:
        return PASS
    return verdict([f"enableNetworkIsolation is {value!r}, must be true"])


RULE = Rule(
    id="SM-MODEL-NETISO",
    description="SageMaker models run with network isolation.",
    severity="high",
    remediation="Set enable_network_isolation=True on the sagemaker.Model, or exempt it with a reason.",
    anchors=(
        "CKV_AWS_370",
        "AWS Config sagemaker-model-isolation-enabled",
    ),
    enforcement="M(p)",
    resource_types=frozenset({t.SM_MODEL}),
    check=check,
)
