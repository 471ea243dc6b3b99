"""Resource types that hold state a re-create cannot bring back: keys, buckets, endpoints, registries, clusters.

Three sides read this: the prod stacks protect them (`protect` + `retainOnDelete`), the policy rule
STATEFUL-PROTECTED requires that in prod, and the preview lists their replacements and deletions first.
"""

from __future__ import annotations

from contracts import type_tokens as t

STATEFUL_TYPES: frozenset[str] = frozenset({
    t.KMS_KEY,  # deleting a key makes everything encrypted with it unreadable
    t.S3_BUCKET,  # artifacts, captured requests, access logs (versioned: history goes with it)
    t.SM_ENDPOINT,  # the live service; a replacement is an outage for its callers
    t.SM_MODEL_PACKAGE_GROUP,  # the model registry: approval history
    t.EKS_CLUSTER,  # every workload on it
    t.CW_LOG_GROUP,  # audit and request logs kept for the retention period
    "aws:ecr/repository:Repository",  # image registry: digests the stacks pin
    "kubernetes:core/v1:Namespace",  # deleting a namespace deletes everything in it
})


def is_stateful(resource_type: str) -> bool:
    return resource_type in STATEFUL_TYPES
