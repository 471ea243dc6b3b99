"""The AWS services a SageMaker job or endpoint in private subnets calls, by VPC endpoint service name.

The spec's validation (which paths a VPC must offer) and the stack's endpoint component (which
endpoints it declares) both read this list, so they cannot drift apart. Standard library only.
"""

from __future__ import annotations

# S3: inputs, outputs, manifests, captured data and ECR's image layers. ECR api + dkr: the image.
# logs: the jobs' logs. monitoring: the merge and quality steps publish CloudWatch metrics.
# sts: the SDK in the container resolves its credentials through STS (regional endpoint).
GATEWAY_SERVICES = ("s3",)
INTERFACE_SERVICES = ("monitoring", "logs", "ecr.api", "ecr.dkr", "sts")
JOB_VPC_SERVICES = (*GATEWAY_SERVICES, *INTERFACE_SERVICES)
