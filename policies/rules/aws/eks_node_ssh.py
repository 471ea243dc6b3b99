"""EKS-NODE-SSH: a node group with an SSH key limits SSH to named security groups (else 0.0.0.0/0 may connect)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if read(props, "remoteAccess") is None:
        return verdict([])
    key = read(props, "remoteAccess", "ec2SshKey")
    sources = read_list(props, "remoteAccess", "sourceSecurityGroupIds")
    if key and not sources:
        return verdict(["remoteAccess.ec2SshKey is set without sourceSecurityGroupIds: SSH is open to 0.0.0.0/0"])
    return verdict([])


RULE = Rule(
    id="EKS-NODE-SSH",
    description="EKS node groups with an SSH key restrict SSH to source security groups.",
    severity="critical",
    remediation="Drop remote_access (use SSM Session Manager) or set source_security_group_ids.",
    anchors=("CKV_AWS_100",),
    enforcement="M",
    resource_types=frozenset({t.EKS_NODE_GROUP}),
    check=check,
)
