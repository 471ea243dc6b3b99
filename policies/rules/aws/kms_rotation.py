"""KMS-ROTATION: symmetric customer-managed keys rotate yearly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import NotApplicable, Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    spec = read(props, "customerMasterKeySpec") or read(props, "keySpec") or "SYMMETRIC_DEFAULT"
    usage = read(props, "keyUsage") or "ENCRYPT_DECRYPT"
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return NotApplicable(f"AWS cannot rotate {spec}/{usage} keys")
    rotation = read(props, "enableKeyRotation")
    return verdict([] if rotation is True else [f"enableKeyRotation is {rotation!r}, must be true"])


RULE = Rule(
    id="KMS-ROTATION",
    description="Symmetric KMS keys have automatic rotation enabled.",
    severity="medium",
    remediation="Set enable_key_rotation=True.",
    anchors=(
        "cdk-nag AwsSolutions-KMS5",
        "CKV_AWS_7",
        "awsguard cmk-backing-key-rotation-enabled",
        "compliance-policies aws/kms/Key/enableKeyRotation",
    ),
    enforcement="M",
    resource_types=frozenset({t.KMS_KEY}),
    check=check,
)
