"""SM-CAPTURE: captured requests and responses are encrypted with a customer KMS key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import PASS, NotApplicable, Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if read(props, "dataCaptureConfig") is None:
        return NotApplicable("no data capture configured")
    if read(props, "dataCaptureConfig", "kmsKeyId"):
        return PASS
    return verdict(["dataCaptureConfig.kmsKeyId is not set; captured payloads would use the S3 default key"])


RULE = Rule(
    id="SM-CAPTURE",
    description="Data capture encrypts captured payloads with a customer KMS key.",
    severity="high",
    remediation="Set data_capture_config.kms_key_id to the stack's KMS key.",
    anchors=("AWS docs: SageMaker data capture encryption",),
    enforcement="M",
    resource_types=frozenset({t.SM_ENDPOINT_CONFIG}),
    check=check,
)
