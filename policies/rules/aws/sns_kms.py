"""SNS-KMS: alert topics encrypt messages with a KMS key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    return verdict([] if read(props, "kmsMasterKeyId") else ["kmsMasterKeyId is not set"])


RULE = Rule(
    id="SNS-KMS",
    description="SNS topics are encrypted with KMS.",
    severity="medium",
    remediation="Set kms_master_key_id to the stack's key (its policy must allow cloudwatch.amazonaws.com).",
    anchors=(
        "cdk-nag NIST.800.53.R5-SNSEncryptedKMS",
        "CKV_AWS_26",
    ),
    enforcement="M",
    resource_types=frozenset({t.SNS_TOPIC}),
    check=check,
)
