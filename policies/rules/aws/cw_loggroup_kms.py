"""CW-LOGGROUP-KMS: log groups are encrypted with a customer KMS key (advisory)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    return verdict([] if read(props, "kmsKeyId") else ["kmsKeyId is not set"])


RULE = Rule(
    id="CW-LOGGROUP-KMS",
    description="CloudWatch log groups use a customer KMS key.",
    severity="low",
    remediation="Set kms_key_id; the key policy must allow logs.<region>.amazonaws.com.",
    anchors=(
        "CKV_AWS_158",
        "cdk-nag NIST.800.53.R5-CloudWatchLogGroupEncrypted",
    ),
    enforcement="A",
    resource_types=frozenset({t.CW_LOG_GROUP}),
    check=check,
)
