"""SM-EPC-KMS: endpoint configurations encrypt the ML storage volume with a customer KMS key.

Instance types with local NVMe instance storage reject a KMS key (CreateEndpointConfig fails), so
configs whose variants are all such types (or serverless) pass: the trap of forcing the key there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from contracts.sagemaker_instances import NVME_FAMILIES, instance_family
from policies.rule import PASS, Outcome, Rule, RuleContext, read, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if read(props, "kmsKeyArn"):
        return PASS
    variants = [
        (key, index)
        for key in ("productionVariants", "shadowProductionVariants")
        for index, _ in enumerate(read_list(props, key))
    ]
    needing_key = []
    for key, index in variants:
        if read(props, key, index, "serverlessConfig") is not None:
            continue
        instance_type = read(props, key, index, "instanceType")
        if instance_type is None or instance_family(str(instance_type)) not in NVME_FAMILIES:
            needing_key.append(f"{read(props, key, index, 'variantName') or index} ({instance_type})")
    if variants and not needing_key:
        return PASS
    which = ", ".join(needing_key) or "(none declared)"
    return verdict([f"kmsKeyArn is not set; variants {which} have EBS volumes to encrypt"])


RULE = Rule(
    id="SM-EPC-KMS",
    description="Endpoint configurations set kmsKeyArn unless every variant uses local NVMe storage.",
    severity="high",
    remediation="Pass kms_key_arn (the stack's customer-managed key) to the EndpointConfiguration.",
    anchors=(
        "cdk-nag NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured",
        "CKV_AWS_98",
    ),
    enforcement="M",
    resource_types=frozenset({t.SM_ENDPOINT_CONFIG}),
    check=check,
)
