"""SM-ASYNC-KMS: async inference results are encrypted with a customer KMS key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import PASS, NotApplicable, Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if read(props, "asyncInferenceConfig") is None:
        return NotApplicable("not an async endpoint")
    if read(props, "asyncInferenceConfig", "outputConfig", "kmsKeyId"):
        return PASS
    return verdict(["asyncInferenceConfig.outputConfig.kmsKeyId is not set"])


RULE = Rule(
    id="SM-ASYNC-KMS",
    description="Async inference output is encrypted with a customer KMS key.",
    severity="high",
    remediation="Set async_inference_config.output_config.kms_key_id.",
    anchors=("AWS docs: SageMaker asynchronous inference output encryption",),
    enforcement="M",
    resource_types=frozenset({t.SM_ENDPOINT_CONFIG}),
    check=check,
)
