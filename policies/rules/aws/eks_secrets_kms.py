"""EKS-SECRETS-KMS: Kubernetes secrets are envelope-encrypted with a KMS key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    if "secrets" not in read_list(props, "encryptionConfig", "resources"):
        problems.append("encryptionConfig.resources does not include secrets")
    if not read(props, "encryptionConfig", "provider", "keyArn"):
        problems.append("encryptionConfig.provider.keyArn is not set")
    return verdict(problems)


RULE = Rule(
    id="EKS-SECRETS-KMS",
    description="EKS clusters encrypt secrets with a KMS key.",
    severity="high",
    remediation="Set encryption_config={'resources': ['secrets'], 'provider': {'key_arn': key.arn}}.",
    anchors=(
        "CKV_AWS_58",
        "compliance-policies aws/eks/Cluster/enableClusterEncryptionConfig",
    ),
    enforcement="M",
    resource_types=frozenset({t.EKS_CLUSTER}),
    check=check,
)
