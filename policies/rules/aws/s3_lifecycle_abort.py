"""S3-LIFECYCLE-ABORT: lifecycle configurations abort incomplete multipart uploads (hidden, billed parts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    for index, _ in enumerate(read_list(props, "rules")):
        if read(props, "rules", index, "status") != "Enabled":
            continue
        days = read(props, "rules", index, "abortIncompleteMultipartUpload", "daysAfterInitiation")
        if isinstance(days, int) and not isinstance(days, bool) and days > 0:
            return verdict([])
    return verdict(["no enabled rule sets abortIncompleteMultipartUpload.daysAfterInitiation"])


RULE = Rule(
    id="S3-LIFECYCLE-ABORT",
    description="Bucket lifecycle configurations abort incomplete multipart uploads after some days.",
    severity="low",
    remediation="Add abort_incomplete_multipart_upload={'days_after_initiation': 7} to an enabled rule.",
    anchors=("CKV_AWS_300",),
    enforcement="M",
    resource_types=frozenset({t.S3_LIFECYCLE}),
    check=check,
)
