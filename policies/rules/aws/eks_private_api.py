"""EKS-PRIVATE-API: the cluster API is not open to the whole internet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    # The AWS default is a public endpoint open to 0.0.0.0/0, so a missing setting is a violation.
    public = read(props, "vpcConfig", "endpointPublicAccess")
    if public is False:
        return verdict([])
    cidrs = read_list(props, "vpcConfig", "publicAccessCidrs") or ["0.0.0.0/0"]
    if "0.0.0.0/0" in cidrs or "::/0" in cidrs:
        return verdict(["the public API endpoint is open to 0.0.0.0/0"])
    return verdict([])


RULE = Rule(
    id="EKS-PRIVATE-API",
    description="EKS API endpoints are private or restricted to known CIDRs.",
    severity="high",
    remediation="Set vpc_config.endpoint_public_access=False, or public_access_cidrs to your ranges.",
    anchors=(
        "cdk-nag AwsSolutions-EKS1",
        "CKV_AWS_38",
        "CKV_AWS_39",
        "compliance-policies aws/eks/Cluster/disallowApiEndpointPublicAccess",
    ),
    enforcement="M(p)",
    resource_types=frozenset({t.EKS_CLUSTER}),
    check=check,
)
