"""Translate one resolved spec into the AWS components of its model."""

from __future__ import annotations

from typing import Any

from deployment_spec import ResolvedSpec
from infra.aws.model_artifact_bucket import ModelArtifactBucket, ModelArtifactBucketArgs
from infra.aws.model_kms_key import ModelKmsKey, ModelKmsKeyArgs
from stacks.context import StackContext, aws_tags


def deploy_model_on_aws(resolved: ResolvedSpec, context: StackContext) -> dict[str, Any]:
    name = f"{resolved.name}-{context.environment}"
    model_tags = aws_tags(resolved, context)
    key = ModelKmsKey(
        f"{resolved.name}-kms",
        ModelKmsKeyArgs(
            alias=f"slipstack/{name}",
            account_id=context.account_id,
            description=f"Slipstack: artifacts, captured data and logs of {name}",
            tags=model_tags,
        ),
    )
    bucket = ModelArtifactBucket(
        f"{resolved.name}-artifacts",
        ModelArtifactBucketArgs(
            bucket_name=f"{name}-artifacts-{context.region}",
            kms_key_arn=key.arn,
            tags=model_tags,
        ),
    )
    return {"region": context.region, "kms_key_arn": key.arn, "artifact_bucket": bucket.bucket.bucket}
