"""LB-ACM-CERT: HTTPS listeners present a certificate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import NotApplicable, Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if read(props, "protocol") not in ("HTTPS", "TLS"):
        return NotApplicable("not a TLS listener")
    return verdict([] if read(props, "certificateArn") else ["certificateArn is not set"])


RULE = Rule(
    id="LB-ACM-CERT",
    description="HTTPS listeners use an ACM certificate.",
    severity="high",
    remediation="Pass certificate_arn of an ACM certificate for the endpoint's host name.",
    anchors=("cdk-nag NIST.800.53.R5-ELBACMCertificateRequired",),
    enforcement="M",
    resource_types=frozenset({t.LB_LISTENER}),
    check=check,
)
