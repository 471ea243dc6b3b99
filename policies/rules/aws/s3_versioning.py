"""S3-VERSIONING: buckets keep object versions, so an overwritten artifact or log can be recovered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    status = read(props, "versioningConfiguration", "status")
    return verdict([] if status == "Enabled" else [f"versioningConfiguration.status is {status!r}, must be Enabled"])


RULE = Rule(
    id="S3-VERSIONING",
    description="S3 bucket versioning is enabled.",
    severity="medium",
    remediation="Set versioning_configuration.status='Enabled'.",
    anchors=(
        "CKV_AWS_21",
        "cdk-nag NIST.800.53.R5-S3BucketVersioningEnabled",
    ),
    enforcement="M",
    resource_types=frozenset({t.S3_VERSIONING}),
    check=check,
)
