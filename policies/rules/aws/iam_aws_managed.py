"""IAM-AWS-MANAGED: roles use policies written for them, not broad AWS-managed ones (advisory)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict

# Managed policies that are the documented, narrow way to run EKS nodes and pull images.
ALLOWED_MANAGED = frozenset(
    {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonEKSClusterPolicy",
    }
)
AWS_MANAGED_PREFIX = ":iam::aws:policy/"


def _offending(arn: Any) -> bool:
    return isinstance(arn, str) and AWS_MANAGED_PREFIX in arn and arn.rsplit("/", 1)[-1] not in ALLOWED_MANAGED


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if context.resource_type == t.IAM_ROLE_POLICY_ATTACHMENT:
        arns = [read(props, "policyArn")]
    else:
        arns = read_list(props, "managedPolicyArns")
    return verdict(f"attaches AWS-managed policy {arn}" for arn in arns if _offending(arn))


RULE = Rule(
    id="IAM-AWS-MANAGED",
    description="Roles avoid AWS-managed policies beyond the EKS node/CNI and ECR read-only ones.",
    severity="medium",
    remediation="Write an inline or customer-managed policy with the actions the role needs.",
    anchors=("cdk-nag AwsSolutions-IAM4",),
    enforcement="A",
    resource_types=frozenset({t.IAM_ROLE, t.IAM_ROLE_POLICY_ATTACHMENT}),
    check=check,
)
