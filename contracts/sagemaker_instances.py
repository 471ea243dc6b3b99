"""SageMaker hosting instance families, shared by spec validation, the AWS components and the policy pack.

AWS rejects CreateEndpointConfig with a KmsKeyId on instance types whose storage is local NVMe
(the volume is ephemeral and encrypted by the hardware), so those families are listed apart: the
components leave the key off there and the SM-EPC-KMS rule accepts its absence.
"""

from __future__ import annotations

# Families with local NVMe instance storage: a KMS key on the endpoint config is rejected.
NVME_FAMILIES = frozenset(
    {
        "c5d", "c6id", "m5d", "m6id", "r5d", "r6id", "i3", "i4i", "x2iedn",
        "g4dn", "g5", "g6", "g6e", "p3dn", "p4d", "p4de", "p5", "p5e", "inf2", "trn1", "trn1n",
    }
)
# Families with EBS-backed storage that SageMaker hosting offers.
EBS_FAMILIES = frozenset(
    {
        "t2", "t3", "m4", "m5", "m6i", "m7i", "c4", "c5", "c6i", "c7i", "r5", "r6i", "r7i",
        "g4ad", "p2", "p3", "inf1",
    }
)
KNOWN_FAMILIES = NVME_FAMILIES | EBS_FAMILIES
GPU_FAMILIES = frozenset({"g4dn", "g4ad", "g5", "g6", "g6e", "p2", "p3", "p3dn", "p4d", "p4de", "p5", "p5e"})


def instance_family(instance_type: str) -> str:
    """`ml.g5.xlarge` -> `g5`; an unparseable type gives an empty string."""
    parts = instance_type.split(".")
    return parts[1] if len(parts) == 3 and parts[0] == "ml" else ""


def has_local_nvme(instance_type: str) -> bool:
    return instance_family(instance_type) in NVME_FAMILIES
