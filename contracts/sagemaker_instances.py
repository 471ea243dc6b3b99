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


# vCPUs per instance size. SageMaker's CPUUtilization is summed over vCPUs (0-400% on 4 vCPUs), so every
# CPU threshold and scaling target is scaled by this count. Sizes follow EC2's rule (large: 2, xlarge: 4,
# Nxlarge: 4N); the table lists the sizes SageMaker hosting offers per family, so the spec can refuse a
# size the table cannot scale for, instead of alarming at a wrong fraction of the instance.
_SIZE_VCPUS = {"medium": 2, "large": 2, "xlarge": 4}  # t2/t3 medium have 2 vCPUs, like large
_FAMILY_SIZES: dict[str, tuple[str, ...]] = {
    "t2": ("medium", "large", "xlarge", "2xlarge"),
    "t3": ("medium", "large", "xlarge", "2xlarge"),
    "m4": ("xlarge", "2xlarge", "4xlarge", "10xlarge", "16xlarge"),
    "m5": ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
    "m5d": ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
    "m6i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
    "m6id": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
    "m7i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
    "c4": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge"),
    "c5": ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "18xlarge"),
    "c5d": ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "18xlarge"),
    "c6i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
    "c6id": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
    "c7i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
    "r5": ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
    "r5d": ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
    "r6i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
    "r6id": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
    "r7i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
    "i3": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"),
    "i4i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge", "32xlarge"),
    "x2iedn": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge", "24xlarge", "32xlarge"),
    "g4dn": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "g4ad": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"),
    "g5": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
    "g6": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
    "g6e": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
    "p2": ("xlarge", "8xlarge", "16xlarge"),
    "p3": ("2xlarge", "8xlarge", "16xlarge"),
    "p3dn": ("24xlarge",),
    "p4d": ("24xlarge",),
    "p4de": ("24xlarge",),
    "p5": ("48xlarge",),
    "p5e": ("48xlarge",),
    "inf1": ("xlarge", "2xlarge", "6xlarge", "24xlarge"),
    "inf2": ("xlarge", "8xlarge", "24xlarge", "48xlarge"),
    "trn1": ("2xlarge", "32xlarge"),
    "trn1n": ("32xlarge",),
}
# Where EC2 breaks its own rule.
_EXCEPTIONS = {"ml.c4.8xlarge": 36}


def _size_vcpus(size: str) -> int:
    if size in _SIZE_VCPUS:
        return _SIZE_VCPUS[size]
    return 4 * int(size.removesuffix("xlarge"))


VCPUS: dict[str, int] = {
    f"ml.{family}.{size}": _EXCEPTIONS.get(f"ml.{family}.{size}", _size_vcpus(size))
    for family, sizes in _FAMILY_SIZES.items()
    for size in sizes
}


def vcpu_count(instance_type: str) -> int:
    """vCPUs of a SageMaker instance type of the table; KeyError names the sizes its family offers."""
    try:
        return VCPUS[instance_type]
    except KeyError:
        raise KeyError(
            f"'{instance_type}' is not in the vCPU table (sizes of ml.{instance_family(instance_type)}: "
            f"{', '.join(allowed_sizes(instance_type)) or 'none'})"
        ) from None


def allowed_sizes(instance_type: str) -> tuple[str, ...]:
    return _FAMILY_SIZES.get(instance_family(instance_type), ())
